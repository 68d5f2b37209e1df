"""The widgets with the Triton backend against a real tritonserver: the in-process result within one
level (1e-5 for float). The server is the one `stylefuse serve` runs (nvidia-pytriton's binary)."""

import numpy as np
import pytest
from conftest import ct_stack, grey_u16, scene_u8
from test_style import dock, run

from stylefuse.pipeline import fuse, stylize


@pytest.fixture(scope="module")
def triton(triton_server):
    """The session's real tritonserver (tests/conftest.py); the client module must be importable too."""
    pytest.importorskip("stylefuse.client")
    return triton_server


def use_triton(widget, server, protocol="grpc"):
    widget.backend.kind.value = "Triton server"
    widget.backend.protocol.value = protocol
    widget.backend.url.value = server.grpc_url if protocol == "grpc" else server.http_url.split("://")[-1]
    assert widget.backend.test_connection(), widget.backend.status.value
    assert "is up" in widget.backend.status.value


def close(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        return np.abs(got.astype(np.float64) - want).max() <= 1e-5
    return np.abs(got.astype(np.int64) - want).max() <= 1


@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_style_widget_through_triton_matches_in_process(viewer, wait_jobs, triton, protocol):
    data = ct_stack(5, 32, 28)
    original = data.copy()
    layer = viewer.add_image(
        data, name="ct", scale=(2.5, 1, 1), translate=(4, 0, -3), metadata={"unit": "HU"}
    )
    widget = dock(viewer, "Style transfer")
    use_triton(widget, triton, protocol)
    assert "udnie" in widget.model.choices  # the server's model list
    widget.image.value, widget.model.value = layer, "udnie"
    widget.slicing.batch.value = 2
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    np.testing.assert_allclose(result.scale, (2.5, 1, 1))
    np.testing.assert_allclose(result.translate, (4, 0, -3))
    assert result.metadata == {"unit": "HU"}
    np.testing.assert_array_equal(layer.data, original)
    assert close(result.data, stylize(original, model="udnie", is_stack=True))


def test_style_float_and_fuse_through_triton(viewer, wait_jobs, triton):
    photo = scene_u8(36, 40).astype(np.float32) / 255
    layer = viewer.add_image(photo, name="photo", rgb=True)
    widget = dock(viewer, "Style transfer")
    use_triton(widget, triton)
    widget.image.value = layer
    run(widget, wait_jobs)
    assert close(viewer.layers[-1].data, stylize(photo, model="udnie"))

    mri, pet = grey_u16(48, 44), scene_u8(48, 44, seed=2)
    a, b = viewer.add_image(mri, name="MRI"), viewer.add_image(pet, name="PET")
    fuser = dock(viewer, "Fuse layers")
    use_triton(fuser, triton)
    fuser.a.value, fuser.b.value = a, b
    # the default is the core's rule, applied on the client: a 16-bit scan + a colour image -> medical
    assert fuser.model.value == "auto (by image kind)"
    run(fuser, wait_jobs)
    assert close(viewer.layers[-1].data, fuse(mri, pet, model="fuse-medical"))
    assert fuser.metrics_values is not None
