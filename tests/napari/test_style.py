"""Style transfer through the dock widget and the Layers-menu command, on real viewers."""

import numpy as np
import pytest
from conftest import ct_stack, grey_u16, scene_u8

from stylefuse.pipeline import stylize


def dock(viewer, name):
    _, widget = viewer.window.add_plugin_dock_widget("stylefuse", name)
    return widget


def run(widget, wait_jobs):
    job = widget.start()
    assert job is not None, "the widget did not start a job"
    wait_jobs()
    assert job.outcome == "done"
    return job


def check_kept(result, source, rgb):
    np.testing.assert_allclose(result.scale, source.scale)
    np.testing.assert_allclose(result.translate, source.translate)
    np.testing.assert_allclose(result.rotate, source.rotate)
    np.testing.assert_allclose(result.shear, source.shear)
    np.testing.assert_allclose(result.affine.affine_matrix, source.affine.affine_matrix)
    assert tuple(result.units) == tuple(source.units) and tuple(result.axis_labels) == tuple(
        source.axis_labels
    )
    assert result.metadata == source.metadata
    assert result.rgb == rgb


CASES = {
    "rgb-2d": dict(data=lambda: scene_u8(40, 48), kwargs={"metadata": {"patient": "p1"}}),
    "uint16-2d": dict(data=lambda: grey_u16(40, 36), kwargs={"scale": (0.5, 0.5), "metadata": {"bits": 12}}),
    "int16-3d": dict(
        data=lambda: ct_stack(5, 32, 28),
        kwargs={
            "scale": (2.5, 1, 1),
            "translate": (-10, 4.0, 7.5),
            "metadata": {"unit": "HU"},
            "units": ("mm", "mm", "mm"),
            "axis_labels": ("z", "y", "x"),
        },
    ),
    "uint16-4d": dict(
        data=lambda: np.stack([grey_u16(24, 20, s) for s in range(6)]).reshape(2, 3, 24, 20),
        kwargs={
            "scale": (1, 2.5, 0.8, 0.8),
            "rotate": 10,
            "shear": (0.1, 0, 0, 0, 0, 0),
            "affine": np.diag([1.0, 1.0, 2.0, 1.0, 1.0]),
            "metadata": {"t": "4d"},
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_style_widget_keeps_layer_properties_and_matches_the_pipeline(viewer, wait_jobs, case):
    data = CASES[case]["data"]()
    original = data.copy()
    layer = viewer.add_image(data, name="input", **CASES[case]["kwargs"])
    widget = dock(viewer, "Style transfer")
    widget.image.value = layer
    widget.slicing.batch.value = 2
    assert widget.model.value == "udnie"
    run(widget, wait_jobs)

    result = viewer.layers[-1]
    assert result.name == "input (stylized)"
    assert result.data.dtype == data.dtype and result.data.shape == data.shape
    check_kept(result, layer, rgb=layer.rgb)
    np.testing.assert_array_equal(layer.data, original)  # the input is never modified
    # The plugin is the pipeline: slice-wise batches give what one call on the whole stack gives.
    planes = original if layer.rgb else original.reshape(-1, *original.shape[-2:])
    expected = stylize(planes, model="udnie", is_stack=not layer.rgb).reshape(original.shape)
    diff = np.abs(result.data.astype(np.int64) - expected.astype(np.int64))
    assert diff.max() <= 1
    lo, hi = original.min(), original.max()
    if data.dtype != np.uint8:  # 12-bit stays 12-bit, CT stays in HU
        assert result.data.min() >= lo and result.data.max() <= hi


def test_style_reference_layer_strength_and_mask(viewer, wait_jobs):
    data = grey_u16(32, 32)
    layer = viewer.add_image(data, name="mri")
    ref = viewer.add_image(scene_u8(40, 40, seed=3), name="painting")
    labels = np.zeros((32, 32), np.uint8)
    labels[8:24, 8:24] = 1
    mask = viewer.add_labels(labels, name="roi")
    widget = dock(viewer, "Style transfer")
    widget.image.value, widget.reference.value, widget.mask.value = layer, ref, mask
    widget.strength.value = 0.5
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    assert result.name == "mri (painting)"
    np.testing.assert_array_equal(result.data[labels == 0], data[labels == 0])  # outside the mask: untouched
    expected = stylize(data, model="udnie", reference=ref.data, strength=0.5, mask=labels > 0)
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1


def test_shapes_mask_on_a_stack(viewer, wait_jobs):
    data = ct_stack(3, 32, 32)
    layer = viewer.add_image(data, name="ct")
    shapes = viewer.add_shapes(
        [np.array([[4, 4], [4, 20], [20, 20], [20, 4]])], shape_type="polygon", name="roi"
    )
    widget = dock(viewer, "Style transfer")
    widget.image.value, widget.mask.value = layer, shapes
    run(widget, wait_jobs)
    result = viewer.layers[-1].data
    inside = np.zeros((32, 32), bool)
    inside[4:21, 4:21] = True
    np.testing.assert_array_equal(result[:, ~inside], data[:, ~inside])  # one 2-D mask for every slice
    assert (result[:, 6:18, 6:18] != data[:, 6:18, 6:18]).any()


def test_stack_along_a_chosen_axis(viewer, wait_jobs):
    data = ct_stack(6, 20, 24)
    layer = viewer.add_image(data, name="ct", scale=(2.5, 1, 1))
    widget = dock(viewer, "Style transfer")
    widget.image.value = layer
    widget.slicing.axis.value = "axis 2"  # sagittal planes: Z x Y for each X
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    assert result.data.shape == data.shape and result.data.dtype == np.int16
    expected = np.moveaxis(
        stylize(np.ascontiguousarray(np.moveaxis(data, 2, 0)), model="udnie", is_stack=True), 0, 2
    )
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1


def test_cancel_leaves_no_layer(viewer, wait_jobs, notifications):
    data = ct_stack(40, 48, 48)
    original = data.copy()
    layer = viewer.add_image(data, name="ct")
    widget = dock(viewer, "Style transfer")
    widget.image.value = layer
    widget.slicing.batch.value = 1
    job = widget.start()
    job.worker.yielded.connect(lambda *_: job.cancel())  # cancel after the first slice
    wait_jobs()
    assert job.outcome == "cancelled"
    assert [lyr.name for lyr in viewer.layers] == ["ct"]
    np.testing.assert_array_equal(layer.data, original)
    assert widget.bar.run.enabled and not widget.bar.cancel.enabled
    assert any("cancelled" in message for message in notifications)


def execute(command_id: str):
    from napari._app_model import get_app_model

    return get_app_model().commands.execute_command(command_id).result()


def test_style_and_fusion_submenu_in_layers_filter(viewer):
    from napari._app_model import get_app_model

    menus = get_app_model().menus
    assert any(
        getattr(item, "submenu", None) == "stylefuse/style_fusion"
        for item in menus.get_menu("napari/layers/filter")
    )
    ids = {item.command.id for item in menus.get_menu("stylefuse/style_fusion")}
    assert {
        f"stylefuse.{name}"
        for name in (
            "stylize_default",
            "fuse_selected",
            "open_style_widget",
            "open_fuse_widget",
            "open_train_widget",
        )
    } <= ids


def test_open_widget_commands(viewer):
    for command, name in [
        ("open_style_widget", "Style transfer"),
        ("open_fuse_widget", "Fuse layers"),
        ("open_train_widget", "Train style"),
    ]:
        execute(f"stylefuse.{command}")
        assert any(name in title for title in viewer.window.dock_widgets), list(viewer.window.dock_widgets)


def test_menu_command_stylizes_the_active_layer(viewer, wait_jobs):
    data = grey_u16(24, 24)
    layer = viewer.add_image(data, name="slice", scale=(0.7, 0.7))
    viewer.layers.selection.active = layer
    execute("stylefuse.stylize_default")
    wait_jobs()
    result = viewer.layers[-1]
    assert result.name == "slice (stylized)" and result.data.dtype == np.uint16
    np.testing.assert_allclose(result.scale, (0.7, 0.7))


def test_errors_are_notifications(viewer, wait_jobs, notifications):
    viewer.add_labels(np.zeros((8, 8), np.uint8), name="labels")
    execute("stylefuse.stylize_default")
    assert any("select an image layer" in message for message in notifications)
    widget = dock(viewer, "Style transfer")
    assert widget.start() is None  # no image layer at all
    assert any("choose an image layer" in message for message in notifications)
    widget.backend.kind.value = "Triton server"
    widget.backend.url.value = "127.0.0.1:9"  # nothing listens there
    assert widget.backend.test_connection() is False
    assert widget.backend.status.value == "not reachable"
    assert any("cannot reach the server" in message for message in notifications)
    widget.image.value = viewer.add_image(grey_u16(16, 16), name="img")
    assert widget.start() is None  # a run against an unreachable server never starts
    assert any(
        "cannot reach the stylefuse server at 127.0.0.1:9" in m and "stylefuse serve" in m
        for m in notifications
    )
    assert [lyr.name for lyr in viewer.layers] == ["labels", "img"]


def test_synthesis_method_paints_with_the_style_layer(viewer, wait_jobs, notifications):
    data = scene_u8(40, 48)
    original = data.copy()
    layer = viewer.add_image(data, name="photo")
    painting = viewer.add_image(scene_u8(48, 48, seed=5), name="painting")
    widget = dock(viewer, "Style transfer")
    widget.image.value = layer
    widget.method.value = "synthesis"
    assert not widget.model.enabled  # synthesis uses no model
    assert widget.start() is None  # no style layer: a clear notification, no job
    assert any("choose an image layer under 'style from'" in m for m in notifications)
    widget.reference.value = painting
    seen = []
    job = widget.start()
    job.worker.yielded.connect(
        lambda *_: seen.append(widget.bar.progress.value if hasattr(widget.bar, "progress") else 1)
    )
    wait_jobs()
    assert job.outcome == "done"
    result = viewer.layers[-1]
    assert (
        result.name == "photo (painting)"
        and result.data.dtype == np.uint8
        and result.data.shape == data.shape
    )
    np.testing.assert_array_equal(layer.data, original)
    expected = stylize(original, reference=painting.data, method="synthesis")
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1
    assert seen  # progress reached the widget


def test_synthesis_on_a_stack_can_be_cancelled(viewer, wait_jobs):
    data = ct_stack(8, 40, 40)
    original = data.copy()
    layer = viewer.add_image(data, name="ct")
    painting = viewer.add_image(scene_u8(48, 48, seed=5), name="painting")
    widget = dock(viewer, "Style transfer")
    widget.image.value, widget.reference.value, widget.method.value = layer, painting, "synthesis"
    job = widget.start()
    job.worker.yielded.connect(lambda *_: job.cancel())  # cancel at the first progress report
    wait_jobs()
    assert job.outcome == "cancelled"
    assert [lyr.name for lyr in viewer.layers] == ["ct", "painting"]
    np.testing.assert_array_equal(layer.data, original)


def test_device_choice_for_in_process_runs(viewer, wait_jobs, notifications):
    import torch

    widget = dock(viewer, "Style transfer")
    assert not widget.backend.device.native.isHidden() and widget.backend.device.value == "auto"
    widget.backend.device.value = "cpu"
    assert str(widget.backend.backend().device) == "cpu"
    widget.image.value = viewer.add_image(grey_u16(16, 16), name="img")
    run(widget, wait_jobs)  # runs on the chosen device
    assert viewer.layers[-1].name == "img (stylized)"
    if not torch.cuda.is_available():
        widget.backend.device.value = "cuda"
        assert widget.start() is None  # a clear notification, no job, no traceback
        assert any("cuda" in m.lower() for m in notifications)
    widget.backend.kind.value = "Triton server"
    assert widget.backend.device.native.isHidden()  # a server decides its own device
