"""Fixtures shared by the test tiers: the shipped default models, small synthetic images, and one real
tritonserver (the nvidia-pytriton wheel's binary) on the exported shipped models for the whole session:
it listens on free loopback ports, becomes ready within a deadline (else the test fails with the
server's log tail) and is stopped by the fixture, which also removes its shared-memory regions.
"""

import socket

import numpy as np
import pytest


@pytest.fixture(scope="session")
def torch_threads():
    """Keep torch to two threads: the test machines share their few cores."""
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    return torch


@pytest.fixture(scope="session")
def style_model(torch_threads):
    from stylefuse.registry import default_model_name, load_model

    return load_model(default_model_name("style"), task="style")


@pytest.fixture(scope="session")
def fuse_model(torch_threads):
    from stylefuse.registry import default_model_name, load_model

    return load_model(default_model_name("fuse"), task="fuse")


def make_scene(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A float32 RGB picture in [0, 1] with smooth gradients, edges and some noise (not just noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y /= max(height - 1, 1)
    x /= max(width - 1, 1)
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], axis=-1)
    rgb += rng.normal(0.0, 0.04, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


@pytest.fixture
def scene():
    """`scene(h, w, seed=0)` -> float32 RGB H x W x 3 in [0, 1]."""
    return make_scene


# ---------------------------------------------------------------- the real Triton server (server, napari, gimp tiers)
READY_TIMEOUT_S = 240  # two models with warm-up on a busy 2-core machine


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="session")
def triton_repo(tmp_path_factory):
    from stylefuse_triton.repository import write_repository

    repo = tmp_path_factory.mktemp("triton-repo")
    write_repository(repo, torch_threads=2)  # all shipped models, CPU profile
    return repo


@pytest.fixture(scope="session")
def triton_server(triton_repo, torch_threads):
    pytest.importorskip("tritonclient.grpc", reason="install the serve extra: pip install 'stylefuse[serve]'")
    from stylefuse_triton.launcher import TritonServer

    http, grpc, metrics = free_ports(3)
    server = TritonServer(triton_repo, http_port=http, grpc_port=grpc, metrics_port=metrics)
    server.start(READY_TIMEOUT_S)
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def server_ports():
    """`server_ports(n)` -> n free loopback ports; also the readiness deadline as `.ready_timeout`."""
    free_ports.ready_timeout = READY_TIMEOUT_S
    return free_ports


class SpareServer:
    """A second real tritonserver (udnie only) that fault tests may kill and restart; never the shared one.

    `kill()` sends SIGKILL to the tritonserver process this fixture started (by PID) and waits for it;
    `ensure_running()` starts it again on the same loopback ports (what a restarted server looks like
    to a client that keeps its connection object).
    """

    def __init__(self, server):
        self.server = server

    @property
    def grpc_url(self) -> str:
        return self.server.grpc_url

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def pid(self) -> int | None:
        proc = self.server.process
        return proc.pid if proc is not None and proc.poll() is None else None

    def kill(self) -> None:
        import os
        import signal

        proc = self.server.process
        if proc is not None and proc.poll() is None:
            self.server.track_shm()  # its stubs' PIDs: stop() ends them once the server is gone
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)

    def ensure_running(self) -> "SpareServer":
        if self.pid is None:
            self.server.stop()  # removes what the dead one left (its stubs by PID, its shm regions)
            self.server.start(READY_TIMEOUT_S)
        return self


@pytest.fixture(scope="session")
def spare_server(triton_repo, torch_threads):
    pytest.importorskip("tritonclient.grpc", reason="install the serve extra: pip install 'stylefuse[serve]'")
    from stylefuse_triton.launcher import TritonServer

    http, grpc, metrics = free_ports(3)
    server = TritonServer(triton_repo, http_port=http, grpc_port=grpc, metrics_port=metrics, models=["udnie"])
    server.start(READY_TIMEOUT_S)
    try:
        yield SpareServer(server)
    finally:
        server.cleanup()
