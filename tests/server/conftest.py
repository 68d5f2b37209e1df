"""A real tritonserver (the nvidia-pytriton wheel's binary) on the exported shipped models, once per session.

It listens on free loopback ports, becomes ready within a deadline (else the test fails with the
server's log tail) and is stopped by the fixture, which also removes its shared-memory regions.
"""

import socket

import pytest

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
