"""A short load run against the real tritonserver: several client threads for a few seconds, mixed
sizes (256^2 and smaller odd ones), gRPC and HTTP, zero failed requests. The full run (8 clients,
60 s, 256^2 + 1024^2, p99/p50 and memory growth) is `benchmarks/serving.py`, run by hand."""

from __future__ import annotations

import threading
import time

import numpy as np

CLIENTS = 4
SECONDS = 6.0
SIZES = [(256, 256), (256, 256), (97, 131), (64, 200)]


def test_short_load_has_no_failures(triton_server):
    from stylefuse.client import TritonTransport

    images = {size: (np.random.default_rng(sum(size)).random((*size, 3)) * 255).astype(np.uint8) for size in SIZES}
    done: list[tuple[int, int, float]] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def client(index: int) -> None:
        protocol = "grpc" if index % 2 == 0 else "http"
        url = triton_server.grpc_url if protocol == "grpc" else triton_server.http_url
        transport = TritonTransport(url, protocol=protocol, timeout=120)
        rng = np.random.default_rng(index)
        try:
            while time.monotonic() < stop_at:
                size = SIZES[int(rng.integers(len(SIZES)))]
                start = time.monotonic()
                try:
                    out = transport.stylize(images[size], model="udnie")
                    assert out.shape == (*size, 3) and out.dtype == np.uint8
                except Exception as exc:  # every failure is counted and shown
                    with lock:
                        failures.append(f"client {index} ({protocol}) {size}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    done.append((index, size[0] * size[1], time.monotonic() - start))
        finally:
            transport.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 240)
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not failures, "\n".join(failures[:10])
    assert len(done) >= CLIENTS, f"only {len(done)} requests finished"
    assert {index for index, _, _ in done} == set(range(CLIENTS)), "a client never got an answer"
    # and the server still answers a normal request afterwards
    assert TritonTransport(triton_server.grpc_url).stylize(images[SIZES[2]], model="udnie").shape == (97, 131, 3)
