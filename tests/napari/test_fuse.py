"""Fusion through the dock widget and the Layers-menu command, on real viewers."""

import numpy as np
from conftest import ct_stack, grey_u16, scene_u8
from test_style import dock, execute, run

from stylefuse.pipeline import fuse


def test_fuse_widget_grey_mri_with_colour_functional_image(viewer, wait_jobs):
    mri, pet = grey_u16(48, 44), scene_u8(48, 44, seed=2)
    mri_copy, pet_copy = mri.copy(), pet.copy()
    a = viewer.add_image(mri, name="MRI", scale=(0.9, 0.9), translate=(3, -2), metadata={"modality": "MR"})
    b = viewer.add_image(pet, name="PET")
    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = a, b
    assert widget.model.value == "auto (by image kind)"  # the core's rule: 16-bit MRI -> fuse-medical
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    assert result.name == "MRI + PET (fused)"
    assert result.rgb and result.data.shape == (48, 44, 3) and result.data.dtype == np.uint16  # a's dtype
    np.testing.assert_allclose(result.scale, a.scale)
    np.testing.assert_allclose(result.translate, a.translate)
    assert result.metadata == {"modality": "MR"}
    np.testing.assert_array_equal(a.data, mri_copy)
    np.testing.assert_array_equal(b.data, pet_copy)
    expected = fuse(mri_copy, pet_copy, model="fuse-medical")
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1
    assert widget.choice.value.startswith("auto: medical") and widget.choice.value.endswith("fuse-medical")
    assert set(widget.metrics_values) == {"EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM"}
    assert all(np.isfinite(v) for v in widget.metrics_values.values())
    assert "Qabf" in widget.metrics.value


def test_fuse_int16_stacks_keep_hu_and_geometry(viewer, wait_jobs):
    ct = ct_stack(4, 24, 20)
    mr = (np.stack([grey_u16(24, 20, s) for s in range(4)]).astype(np.int32) - 500).astype(np.int16)
    a = viewer.add_image(ct, name="CT", scale=(2.5, 1, 1), translate=(5, 0, 0), metadata={"unit": "HU"})
    b = viewer.add_image(mr, name="MR", scale=(2.5, 1, 1), translate=(5, 0, 0))
    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = a, b
    widget.slicing.batch.value = 3
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    assert result.data.dtype == np.int16 and result.data.shape == ct.shape and not result.rgb
    assert result.data.min() >= ct.min() and result.data.max() <= ct.max()  # CT stays in HU
    np.testing.assert_allclose(result.scale, (2.5, 1, 1))
    np.testing.assert_allclose(result.translate, (5, 0, 0))
    expected = fuse(ct, mr, model="fuse-medical", is_stack=True)
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1


def test_fuse_4d_stack(viewer, wait_jobs):
    a_data = np.stack([grey_u16(20, 16, s) for s in range(6)]).reshape(2, 3, 20, 16)
    b_data = np.stack([grey_u16(20, 16, s + 9) for s in range(6)]).reshape(2, 3, 20, 16)
    a = viewer.add_image(a_data, name="a", scale=(1, 2.5, 1, 1))
    b = viewer.add_image(b_data, name="b", scale=(1, 2.5, 1, 1))
    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = a, b
    run(widget, wait_jobs)
    result = viewer.layers[-1]
    assert result.data.shape == a_data.shape and result.data.dtype == np.uint16
    expected = fuse(a_data.reshape(6, 20, 16), b_data.reshape(6, 20, 16), model="fuse-medical", is_stack=True)
    assert np.abs(result.data.astype(np.int64) - expected.reshape(a_data.shape)).max() <= 1


def test_fuse_selected_command_and_shape_errors(viewer, wait_jobs, notifications):
    a = viewer.add_image(grey_u16(24, 24), name="a")
    b = viewer.add_image(grey_u16(24, 24, seed=5), name="b")
    viewer.layers.selection = {a, b}
    execute("stylefuse.fuse_selected")
    wait_jobs()
    assert viewer.layers[-1].name == "a + b (fused)" and viewer.layers[-1].data.dtype == np.uint16

    small = viewer.add_image(grey_u16(16, 20), name="small")
    viewer.layers.selection = {a, small}
    execute("stylefuse.fuse_selected")
    wait_jobs()
    assert any("layers differ in shape" in m and "resample" in m for m in notifications), notifications
    assert viewer.layers[-1].name == "small"  # nothing added

    viewer.layers.selection = {a}
    execute("stylefuse.fuse_selected")
    assert any("select exactly two image layers" in m for m in notifications)

    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = a, small
    widget.resample.value = True  # different sizes are fine when b is resampled onto a
    run(widget, wait_jobs)
    assert viewer.layers[-1].data.shape == (24, 24)
