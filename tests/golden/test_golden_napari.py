"""Golden outputs of the napari plug-in: the Style transfer and Fuse layers widgets on stacks
(in-process and through the session's Triton server), on a real viewer under Xvfb."""

import numpy as np
import pytest
from golden import check, int16_stacks, uint16_stack

pytest.importorskip("napari", reason="the napari tier needs: pip install -e '.[napari,test]'")
pytest.importorskip("pytestqt", reason="the napari tier needs pytest-qt")


@pytest.fixture
def viewer(make_napari_viewer, torch_threads):
    return make_napari_viewer()


def dock(viewer, name):
    _, widget = viewer.window.add_plugin_dock_widget("stylefuse", name)
    return widget


def run(widget, wait_jobs):
    job = widget.start()
    assert job is not None, "the widget did not start a job"
    wait_jobs()
    assert job.outcome == "done"


def use_triton(widget, server):
    widget.backend.kind.value = "Triton server"
    widget.backend.url.value = server.grpc_url
    assert widget.backend.test_connection(), widget.backend.status.value


def style_stack(viewer, wait_jobs, server=None):
    stack = uint16_stack()
    layer = viewer.add_image(stack, name="u16")
    ref = viewer.add_image(np.ascontiguousarray(stack[1, ::-1]), name="ref")
    labels = np.zeros(stack.shape, np.uint8)
    labels[:, 6:30, 8:36] = 1
    mask = viewer.add_labels(labels, name="roi")
    widget = dock(viewer, "Style transfer")
    if server is not None:
        use_triton(widget, server)
    widget.image.value, widget.model.value = layer, "udnie"
    widget.slicing.batch.value = 2
    run(widget, wait_jobs)
    plain = viewer.layers[-1].data
    # The server run takes mask and strength only: when these hashes were recorded a reference layer
    # with a stack failed through Triton (fixed since; tests/server/test_runner_triton.py covers it).
    widget.reference.value = ref if server is None else None
    widget.mask.value, widget.strength.value = mask, 0.8
    run(widget, wait_jobs)
    np.testing.assert_array_equal(layer.data, uint16_stack())  # the input is never modified
    return plain, viewer.layers[-1].data


def fuse_stacks(viewer, wait_jobs, server=None):
    ct, other = int16_stacks()
    a, b = viewer.add_image(ct, name="ct"), viewer.add_image(other, name="other")
    widget = dock(viewer, "Fuse layers")
    if server is not None:
        use_triton(widget, server)
    widget.a.value, widget.b.value, widget.model.value = a, b, "fuse-medical"
    widget.slicing.batch.value = 2
    run(widget, wait_jobs)
    return viewer.layers[-1].data


def test_napari_style_stack_in_process(viewer, wait_jobs):
    plain, styled = style_stack(viewer, wait_jobs)
    check("napari_style_uint16_stack", plain)
    check("napari_style_uint16_stack_reference_mask", styled)


def test_napari_fuse_stack_in_process(viewer, wait_jobs):
    check("napari_fuse_int16_stacks", fuse_stacks(viewer, wait_jobs))


def test_napari_style_and_fuse_through_triton(viewer, wait_jobs, triton_server):
    pytest.importorskip("tritonclient.grpc")
    plain, styled = style_stack(viewer, wait_jobs, triton_server)
    check("napari_triton_style_uint16_stack", plain)
    check("napari_triton_style_uint16_stack_mask", styled)
    check("napari_triton_fuse_int16_stacks", fuse_stacks(viewer, wait_jobs, triton_server))
