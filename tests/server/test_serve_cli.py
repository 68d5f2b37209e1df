"""`stylefuse serve` as a user runs it: ready, answers, heals a killed backend stub, stops cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest


def _stub_pids(server_pid: int, model: str) -> list[int]:
    from stylefuse_triton.launcher import _children

    pids = []
    for pid in _children(server_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "triton_python_backend_stub" in cmdline and f"/{model}/" in cmdline:
            pids.append(pid)
    return pids


class Lines:
    """The process's output lines, read in a thread; `wait(text)` with a deadline."""

    def __init__(self, proc):
        self.lines, self.proc = [], proc
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.proc.poll() is not None and not any(text in line for line in self.lines):
                break
            time.sleep(0.2)
        raise AssertionError(
            f"no {text!r} from stylefuse serve within {timeout} s; output:\n" + "\n".join(self.lines)
        )


@pytest.mark.slow
def test_serve_heals_a_killed_stub_and_stops_cleanly(triton_repo, server_ports):
    from stylefuse.client import TritonTransport

    http, grpc, metrics = server_ports(3)
    ready_timeout = server_ports.ready_timeout
    cmd = [
        sys.executable,
        "-m",
        "stylefuse.cli",
        "serve",
        "--repo",
        str(triton_repo),
        "--models",
        "udnie",
        "--http-port",
        str(http),
        "--grpc-port",
        str(grpc),
        "--metrics-port",
        str(metrics),
        "--health-interval",
        "1",
        "--ready-timeout",
        str(ready_timeout),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Lines(proc)
    try:
        out.wait("tritonserver ready", ready_timeout + 10)
        transport = TritonTransport(f"127.0.0.1:{grpc}", timeout=120)
        image = (np.random.default_rng(0).random((24, 24, 3)) * 255).astype(np.uint8)
        first = transport.stylize(image, model="udnie")
        server_pid = next(p for p in _stub_parents(proc.pid))
        stubs = _stub_pids(server_pid, "udnie")
        assert stubs, "no python backend stub found for udnie"
        # Only this server's regions: other servers (another test run) may be up at the same time.
        shm_before = _mapped_regions([server_pid, *stubs])
        assert shm_before, "the server maps no python-backend shared-memory region"
        for pid in stubs:
            os.kill(pid, signal.SIGKILL)
        out.wait("reloaded", 120)
        np.testing.assert_array_equal(transport.stylize(image, model="udnie"), first)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, "\n".join(out.lines)
    assert "stopping tritonserver" in "\n".join(out.lines)
    left = {n for n in os.listdir("/dev/shm") if n.startswith("triton_python_backend_shm_region")}
    assert not (shm_before & left), "serve left its shared-memory regions behind"


def _mapped_regions(pids) -> set[str]:
    """Names of the python-backend shared-memory regions the processes `pids` have mapped."""
    names = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in maps.splitlines():
            if "/dev/shm/triton_python_backend_shm_region" in line:
                names.add(line.rsplit("/", 1)[-1].split()[0])
    return names


def _stub_parents(cli_pid: int):
    """The tritonserver process started by the `stylefuse serve` process."""
    from stylefuse_triton.launcher import _children

    for pid in _children(cli_pid):
        try:
            if Path(f"/proc/{pid}/exe").resolve().name == "tritonserver":
                yield pid
        except OSError:
            continue
