"""The Triton server dies in the middle of a stack run from the Style transfer widget: the job fails with a
notification that names the server and how to start one, no (half) layer is added, the input layer is
unchanged, and after the server is back the same widget runs again. The server is the tests' spare one
(tests/conftest.py), killed by its PID; the shared one is never touched."""

import hashlib

import numpy as np
from conftest import ct_stack
from test_style import dock, run


def test_server_killed_in_the_middle_of_a_stack(viewer, wait_jobs, notifications, spare_server, monkeypatch):
    from stylefuse.client import TritonTransport

    spare_server.ensure_running()
    data = ct_stack(6, 24, 24)
    layer = viewer.add_image(data, name="ct")
    before = hashlib.sha256(data.tobytes()).hexdigest()
    widget = dock(viewer, "Style transfer")
    widget.backend.kind.value = "Triton server"
    widget.backend.protocol.value = "grpc"
    widget.backend.url.value = spare_server.grpc_url
    assert widget.backend.test_connection(), widget.backend.status.value
    widget.image.value, widget.model.value = layer, "udnie"
    widget.slicing.batch.value = 1

    sent = []
    original = TritonTransport._infer

    def infer_then_kill(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        sent.append(1)
        if len(sent) == 2:  # two of six slices done: the server dies
            spare_server.kill()
        return result

    monkeypatch.setattr(TritonTransport, "_infer", infer_then_kill)
    job = widget.start()
    assert job is not None
    wait_jobs()
    assert job.outcome == "failed"
    message = next(m for m in reversed(notifications) if "failed" in m)
    assert "cannot reach the stylefuse server" in message and spare_server.grpc_url in message, message
    assert "stylefuse serve" in message
    assert [lyr.name for lyr in viewer.layers] == ["ct"], "a half result was added"
    assert hashlib.sha256(np.asarray(layer.data).tobytes()).hexdigest() == before
    assert widget.bar.run.enabled and not widget.bar.cancel.enabled

    monkeypatch.setattr(TritonTransport, "_infer", original)
    spare_server.ensure_running()  # the server is back: the same widget (and its client) works again
    run(widget, wait_jobs)
    assert viewer.layers[-1].name == "ct (stylized)" and viewer.layers[-1].data.shape == data.shape
