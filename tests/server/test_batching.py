"""Real batching in the python backend: concurrent requests of one shape share generator forwards.

A real tritonserver (udnie only); bursts of concurrent gRPC requests (same shape; different strengths,
one with a mask, one bad one) until the backend's own counter (`stylefuse_forwards_total{merged="k"}`
on the metrics endpoint) shows a forward that served more than one request; every answer equals the
in-process pipeline's result (<= 1 LSB), and the bad request fails alone.
"""

from __future__ import annotations

import re
import threading
import urllib.request

import numpy as np
import pytest

from stylefuse import pipeline

BURST = 6


def forwards_by_merged(metrics_url: str, model: str = "udnie") -> dict[int, float]:
    """The backend's own forward counter from Triton's metrics endpoint: {requests merged: forwards}."""
    text = urllib.request.urlopen(f"{metrics_url}/metrics", timeout=10).read().decode()
    counts: dict[int, float] = {}
    for labels, value in re.findall(r"^stylefuse_forwards_total\{([^}]*)\}\s+(\S+)$", text, re.M):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("model") == model:
            counts[int(fields["merged"])] = counts.get(int(fields["merged"]), 0) + float(value)
    return counts


@pytest.fixture(scope="module")
def udnie_server(triton_repo, server_ports, torch_threads):
    pytest.importorskip("tritonclient.grpc", reason="install the serve extra: pip install 'stylefuse[serve]'")
    from stylefuse_triton.launcher import TritonServer

    http, grpc, metrics = server_ports(3)
    server = TritonServer(triton_repo, http_port=http, grpc_port=grpc, metrics_port=metrics, models=["udnie"])
    server.start(server_ports.ready_timeout)
    try:
        yield server
    finally:
        server.cleanup()


def _request(i: int, rng) -> dict:
    image = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    kwargs: dict = {"strength": [1.0, 0.6, 0.3][i % 3]}
    if i == 1:
        kwargs["mask"] = np.linspace(0, 1, 96 * 128, dtype=np.float32).reshape(96, 128)
    return {"image": image, **kwargs}


def _bad_request(url: str, image: np.ndarray):
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url)
    try:
        source = grpcclient.InferInput("SOURCE_UINT8", [1, *image.shape], "UINT8")
        source.set_data_from_numpy(image[None])
        bad = grpcclient.InferInput("VALUE_RANGE", [1, 2], "FP32")
        bad.set_data_from_numpy(np.array([[5.0, 1.0]], np.float32))
        return client.infer("udnie", [source, bad], client_timeout=120)
    finally:
        client.close()


def test_concurrent_requests_run_as_one_forward(udnie_server):
    from stylefuse.client import TritonTransport

    metrics_url = f"http://127.0.0.1:{udnie_server.metrics_port}"
    rng = np.random.default_rng(7)
    requests = [_request(i, rng) for i in range(BURST)]
    expected = [
        pipeline.stylize(r["image"], "udnie", **{k: v for k, v in r.items() if k != "image"})
        for r in requests
    ]
    transports = [TritonTransport(udnie_server.grpc_url, timeout=120) for _ in range(BURST + 1)]
    before = forwards_by_merged(metrics_url)
    try:
        for _attempt in range(4):  # a burst may arrive spread out on a busy machine: try again
            results: list = [None] * (BURST + 1)
            gate = threading.Barrier(BURST + 1)

            def send(i: int, gate=gate, results=results) -> None:
                gate.wait()
                try:
                    if i == BURST:  # a bad request (lo > hi) of the same shape in the same burst
                        results[i] = _bad_request(udnie_server.grpc_url, requests[0]["image"])
                    else:
                        r = requests[i]
                        results[i] = transports[i].stylize(
                            r["image"], model="udnie", **{k: v for k, v in r.items() if k != "image"}
                        )
                except Exception as exc:  # noqa: BLE001 - checked below
                    results[i] = exc

            threads = [threading.Thread(target=send, args=(i,)) for i in range(BURST + 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            assert isinstance(results[BURST], Exception) and "lo < hi" in str(results[BURST]), results[BURST]
            for got, want in zip(results[:BURST], expected, strict=True):
                assert not isinstance(got, Exception), got
                assert got.shape == want.shape and got.dtype == want.dtype
                assert np.abs(got.astype(np.int16) - want.astype(np.int16)).max() <= 1
            after = forwards_by_merged(metrics_url)
            merged = {k: after.get(k, 0) - before.get(k, 0) for k in after if k > 1}
            if any(v > 0 for v in merged.values()):
                break
        else:
            pytest.fail(
                f"no forward served more than one request; the backend counted {after} "
                f"(before {before}); log:\n{udnie_server.log_tail()}"
            )
    finally:
        for t in transports:
            t.close()
