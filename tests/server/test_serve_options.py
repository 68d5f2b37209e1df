"""`stylefuse serve --instances N --models a,b --kind cpu|gpu`, lazy loading, and a health probe that
never reloads a model that is only busy; each as a user meets it (the CLI, a real server)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from test_serve_cli import Lines, _stub_parents, _stub_pids  # tests/server is on sys.path (rootdir mode)

from stylefuse.errors import UserError


def _serve(server_ports, *args: str):
    http, grpc, metrics = server_ports(3)
    cmd = [
        sys.executable,
        "-m",
        "stylefuse.cli",
        "serve",
        "--http-port",
        str(http),
        "--grpc-port",
        str(grpc),
        "--metrics-port",
        str(metrics),
        "--ready-timeout",
        str(server_ports.ready_timeout),
        *args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, Lines(proc), grpc, http


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def test_serve_instances_and_models_subset(server_ports):
    import json
    import urllib.request

    from stylefuse.client import TritonTransport

    proc, out, grpc, http = _serve(server_ports, "--models", "udnie,fuse-medical", "--instances", "2")
    try:
        exported = out.wait("exported", 120)
        repo = Path(re.search(r" to (\S+) ", exported).group(1))
        assert sorted(p.name for p in repo.iterdir() if not p.name.startswith(".")) == [
            "fuse-medical",
            "udnie",
        ]
        config = (repo / "udnie" / "config.pbtxt").read_text()
        assert re.search(r"instance_group \[\s*\{\s*count: 2\s*kind: KIND_CPU", config), config
        ready = out.wait("tritonserver ready", server_ports.ready_timeout + 10)
        assert (
            "udnie" in ready and "fuse-medical" in ready and "loading the others" not in "\n".join(out.lines)
        )
        served = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{http}/v2/models/udnie/config").read())
        assert served["instance_group"][0]["count"] == 2
        image = (np.random.default_rng(0).random((24, 24, 3)) * 255).astype(np.uint8)
        transport = TritonTransport(f"127.0.0.1:{grpc}", timeout=120)
        assert transport.stylize(image, model="udnie").shape == image.shape
        assert {m["name"] for m in transport.list_models()} == {"udnie", "fuse-medical"}
        server_pid = next(_stub_parents(proc.pid))
        assert len(_stub_pids(server_pid, "udnie")) == 2  # one backend process per instance
    finally:
        _stop(proc)


@pytest.mark.slow
def test_serve_is_ready_with_the_defaults_and_loads_the_rest_after(server_ports):
    from stylefuse.client import TritonTransport

    proc, out, grpc, _http = _serve(server_ports, "--health-interval", "2")
    try:
        ready = out.wait("tritonserver ready", server_ports.ready_timeout + 10)
        assert "fuse-medical, udnie" in ready  # the default of each task first
        transport = TritonTransport(f"127.0.0.1:{grpc}", timeout=120)
        image = (np.random.default_rng(1).random((20, 20, 3)) * 255).astype(np.uint8)
        assert transport.stylize(image, model="udnie").shape == image.shape
        out.wait("all models loaded", 400)
        assert transport.stylize(image, model="mondrian").shape == image.shape
        time.sleep(5)  # health rounds ran over every model: none was reloaded
        assert not any("reloaded" in line for line in out.lines), out.lines
    finally:
        _stop(proc)


def test_kind_gpu_writes_the_gpu_profile_and_repo_refuses_shape_flags(monkeypatch, tmp_path):
    from stylefuse_triton import launcher, repository

    written = {}
    real_write = repository.write_repository

    def write(root, models=None, **kwargs):
        written.update(kwargs, root=root, models=models)
        return real_write(tmp_path / "repo", models, **kwargs)

    def start(self, timeout=0):
        raise UserError("stopped by the test")

    monkeypatch.setattr(repository, "write_repository", write)
    monkeypatch.setattr(launcher.TritonServer, "start", start)
    with pytest.raises(UserError, match="stopped by the test"):
        launcher.serve(models=["udnie"], kind="gpu", instances=3, say=lambda text: None)
    assert written["profile"] == "gpu" and written["instances"] == 3 and written["models"] == ["udnie"]
    assert "KIND_GPU" in (tmp_path / "repo" / "udnie-generator" / "config.pbtxt").read_text()
    assert "count: 3" in (tmp_path / "repo" / "udnie" / "config.pbtxt").read_text()

    with pytest.raises(UserError, match="--instances and --kind"):
        launcher.serve(repo=tmp_path / "repo", instances=2, say=lambda text: None)
    done = subprocess.run(
        [sys.executable, "-m", "stylefuse.cli", "serve", "--kind", "tpu"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "invalid choice: 'tpu'" in done.stderr


def test_health_probe_leaves_a_busy_model_alone(triton_repo, server_ports):
    from stylefuse.client import TritonTransport
    from stylefuse_triton.launcher import TritonServer

    http, grpc, metrics = server_ports(3)
    server = TritonServer(triton_repo, http_port=http, grpc_port=grpc, metrics_port=metrics, models=["udnie"])
    server.start(server_ports.ready_timeout)
    try:
        stubs = _stub_pids(server.process.pid, "udnie")
        # enough queued work that the probe waits behind it on a fast, idle machine too (1024^2 x 3 was
        # done within the probe's window on one)
        big = (np.random.default_rng(2).random((2048, 2048, 3)) * 255).astype(np.uint8)
        errors: list[Exception] = []

        def work() -> None:
            try:
                TritonTransport(server.grpc_url, timeout=300).stylize(big, model="udnie")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        server.probe_timeout = 0.5  # far shorter than the queue ahead of the probe
        assert server.heal() == []  # busy, not dead: no reload
        assert server.busy.get("udnie", 0) >= 1
        assert _stub_pids(server.process.pid, "udnie") == stubs
        for t in threads:
            t.join(600)
        assert not errors, errors
        server.probe_timeout = 30.0
        assert server.heal() == []  # idle and healthy
    finally:
        server.cleanup()
