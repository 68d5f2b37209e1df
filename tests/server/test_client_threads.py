"""A transport made on one thread works from another (napari and GIMP call from worker threads)."""

import threading

import numpy as np
import pytest

from stylefuse.pipeline import stylize


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_transport_used_from_a_worker_thread(triton_server, protocol):
    from stylefuse.client import TritonTransport

    url = triton_server.http_url if protocol == "http" else triton_server.grpc_url
    transport = TritonTransport(url, protocol=protocol)
    transport.ping()  # connect on this thread first, as the napari widget does
    image = (np.random.default_rng(1).random((20, 28, 3)) * 255).astype(np.uint8)
    results, errors = [], []

    def work():
        try:
            results.append(transport.stylize(image, model="udnie"))
        except Exception as exc:  # reported below: the assertion names it
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(120)
    transport.close()
    assert not errors, errors
    diff = np.abs(results[0].astype(int) - stylize(image, model="udnie").astype(int)).max()
    assert diff <= 1
