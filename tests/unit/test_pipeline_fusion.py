"""The in-process pipeline: fusion (colour rules, exact zeros, shapes), resampling onto the first input's grid.

Shared fake models are in pipeline_helpers.py, fixtures (`style_model`, `fuse_model`, `scene`) in tests/conftest.py.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pipeline_helpers import FakeFuseModule, FakeModel, chroma_u8

from stylefuse.errors import UserError
from stylefuse.pipeline import fuse
from stylefuse.pipeline.color import chroma, fuse_chroma, luma
from stylefuse.pipeline.resample import resample_region


def brain_pair(scene, h=40, w=44):
    """A grey 'MRI' and a colour 'PET' with a common black background."""
    mri = np.round(scene(h, w, 11)[..., 1] * 255).astype(np.uint8)
    pet = np.round(scene(h, w, 12) * [1.0, 0.4, 0.1] * 255).astype(np.uint8)
    mri[:, :10] = 0
    pet[:, :10] = 0
    return mri, pet


def test_fuse_grey_and_colour_gives_colour_with_its_chroma(fuse_model, scene):
    mri, pet = brain_pair(scene)
    out = fuse(mri, pet, fuse_model)
    assert out.shape == pet.shape and out.dtype == np.uint8
    inside = (out > 2).all(-1) & (out < 253).all(-1)
    assert inside.mean() > 0.3
    assert np.abs(chroma_u8(out) - chroma_u8(pet))[inside].max() < 2.5 / 255
    assert np.all(out[:, :10] == 0)  # exactly zero where both inputs are


def test_fuse_exact_zero_and_dtype_of_a(fuse_model, scene):
    a = np.round(scene(36, 32, 13)[..., 0] * 4095).astype(np.uint16)
    b = scene(36, 32, 14)[..., 2]
    a[10:20, 5:15], b[10:20, 5:15] = 0, 0
    out = fuse(a, b, fuse_model)
    assert out.dtype == np.uint16 and out.shape == a.shape and out.max() <= a.max()
    assert np.all(out[10:20, 5:15] == 0)


def test_fuse_colour_rules():
    model = FakeModel(FakeFuseModule(), task="fuse", channels=1)
    grey = np.full((4, 4), 0.5, np.float32)
    red = np.broadcast_to(np.array([0.6, 0.3, 0.2], np.float32), (4, 4, 3))
    out = fuse(grey, red, model)
    assert np.allclose(chroma(out), chroma(red), atol=1e-6)
    assert np.allclose(luma(out), 0.5, atol=1e-6)
    cb_cr = fuse_chroma(np.array([[0.5, 0.9], [0.6, 0.2]]), np.array([[0.7, 0.5], [0.4, 0.5]]))
    assert np.allclose(cb_cr, [[0.7, 0.9], [0.5, 0.2]])


def test_fuse_shape_mismatch_and_resample(fuse_model):
    a = np.random.default_rng(15).integers(0, 256, (32, 40), np.uint8)
    b = np.random.default_rng(16).integers(0, 256, (24, 30), np.uint8)
    with pytest.raises(UserError, match="32x40.*24x30"):
        fuse(a, b, fuse_model)
    out = fuse(a, b, fuse_model, resample=True)
    assert out.shape == a.shape and out.dtype == a.dtype
    with pytest.raises(UserError, match="differ"):
        fuse(np.zeros((3, 8, 8), np.uint8), np.zeros((4, 8, 8), np.uint8), fuse_model, resample=True)


@pytest.mark.parametrize(
    ("in_shape", "out_shape"), [((23, 31), (40, 17)), ((200, 150), (37, 61)), ((10, 9), (30, 27))]
)
def test_resample_region_matches_whole_image_antialiased_resize(in_shape, out_shape):
    """Regions equal torch's whole-image antialiased bilinear resize, enlarging and shrinking."""
    image = np.random.default_rng(17).random((1, *in_shape, 2), np.float32)
    whole = (
        F.interpolate(
            torch.from_numpy(image).permute(0, 3, 1, 2),
            size=out_shape,
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        .permute(0, 2, 3, 1)
        .numpy()
    )
    rows, cols = slice(5, out_shape[0] - 3), slice(3, out_shape[1] - 2)
    region = resample_region(lambda r, c: image[:, r, c], in_shape, out_shape, rows, cols)
    assert np.allclose(region, whole[:, rows, cols], atol=1e-5)


def test_fuse_resample_shrinks_without_aliasing(fuse_model):
    """A fine checkerboard shrunk 4x onto a's grid averages to grey; point sampling would keep stripes."""
    a = np.full((32, 32), 128, np.uint8)
    b = (np.indices((128, 128)).sum(axis=0) % 2 * 255).astype(np.uint8)
    board = b[None, :, :, None].astype(np.float32) / 255
    shrunk = resample_region(lambda r, c: board[:, r, c], (128, 128), (32, 32), slice(0, 32), slice(0, 32))
    assert np.abs(shrunk - 0.5).max() < 0.02
    assert fuse(a, b, fuse_model, resample=True).shape == a.shape


def test_fuse_stack_tiled_with_progress(fuse_model):
    a = np.random.default_rng(18).random((3, 64, 72), np.float32)
    b = np.random.default_rng(19).random((3, 64, 72), np.float32)
    calls = []
    tiled = fuse(a, b, fuse_model, tile_size=48, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3 * 2 * 2, 3 * 2 * 2)
    assert np.abs(tiled - fuse(a, b, fuse_model, tile_size=None)).max() <= 1 / 255
