"""The in-process pipeline: strength and mask blending, and the style reference image.

Shared fake models are in pipeline_helpers.py, fixtures (`style_model`, `fuse_model`, `scene`) in tests/conftest.py.
"""

import numpy as np
import pytest
from pipeline_helpers import invert_model, uint8_image

from stylefuse.errors import UserError
from stylefuse.pipeline import stylize


def test_strength_zero_is_identical(style_model, scene):
    wide = (scene(32, 36) * 9.3 - 2.1).astype(np.float64)  # a range whose float round trip is inexact
    assert np.array_equal(stylize(wide, style_model, strength=0.0), wide)


def test_strength_and_soft_mask_blend_linearly(scene):
    rgb = scene(16, 20)
    assert np.allclose(stylize(rgb, invert_model(), strength=0.5), 0.5, atol=1e-6)
    mask = np.linspace(0, 1, 20, dtype=np.float32)[None].repeat(16, 0)
    out = stylize(rgb, invert_model(), strength=0.5, mask=mask)
    assert np.allclose(out, rgb + 0.5 * mask[..., None] * (1 - 2 * rgb), atol=1e-6)


def test_plain_call_equals_the_blended_path(style_model, scene):
    """Full strength without a mask skips the source's [0, 1] copy and the blend: the same pixels as
    an all-ones mask, which goes through them, in one tile and in several."""
    image = (scene(80, 72) * 255).astype(np.uint8)
    ones = np.ones(image.shape[:2], np.float32)
    for tile in (None, 48):
        assert np.array_equal(
            stylize(image, style_model, tile_size=tile),
            stylize(image, style_model, tile_size=tile, mask=ones),
        )


@pytest.mark.parametrize("kind", ["bool", "uint8", "float"])
def test_mask_zero_is_bit_identical(style_model, scene, kind):
    # float64 in an odd range: its round trip through float32 [0, 1] is not exact, so only a
    # pass-through of the input's own values keeps masked-out pixels bit-identical.
    wide = scene(32, 36).astype(np.float64) * 9.3 - 2.1
    keep = np.zeros((32, 36), bool)
    keep[:, 18:] = True
    mask = {"bool": keep, "uint8": keep.astype(np.uint8) * 255, "float": keep.astype(np.float32)}[kind]
    out = stylize(wide, style_model, mask=mask)
    assert np.array_equal(out[:, :18], wide[:, :18])
    assert np.abs(out[:, 18:] - wide[:, 18:]).max() > 1e-3


def test_2d_mask_applies_to_every_slice(scene):
    stack = np.stack([scene(12, 10, s)[..., 0] for s in range(3)])
    mask = np.zeros((12, 10), bool)
    mask[:6] = True
    out = stylize(stack, invert_model(), mask=mask)
    assert np.array_equal(out[:, 6:], stack[:, 6:])
    assert np.allclose(out[:, :6], 1 - stack[:, :6], atol=1e-6)


@pytest.mark.parametrize("strength", [float("nan"), -0.1, 1.5, "strong", None])
def test_bad_strength(strength):
    with pytest.raises(UserError, match="strength"):
        stylize(np.zeros((8, 8), np.uint8), invert_model(), strength=strength)


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.ones((8, 9), bool), r"\(8, 9\)"),
        (np.ones((8, 8, 3), np.float32), "shape"),
        (np.full((9, 8), 2.0), "mask"),
        (np.ones((9, 8), np.int64), "dtype"),
    ],
)
def test_bad_mask(mask, message):
    with pytest.raises(UserError, match=message):
        stylize(np.zeros((9, 8), np.uint8), invert_model(), mask=mask)


# --- reference -------------------------------------------------------------------------------------------


def test_reference_encoded_once_and_shrunk(scene):
    model = invert_model()
    ref = np.round(scene(700, 1000, 7)[..., 0] * 60000).astype(np.uint16)  # grey, another dtype
    stylize(uint8_image(scene, 100, 90), model, reference=ref, tile_size=32)
    assert model.module.encoded == [(1, 3, 358, 512)]
    assert len(model.module.seen) > 4  # tiled, yet encoded once


def test_reference_with_real_model(style_model, scene):
    image = uint8_image(scene)
    ref_a = np.round(scene(64, 64, 8)[..., ::-1] * 255).astype(np.uint8)
    out = stylize(image, style_model, reference=ref_a)
    assert out.shape == image.shape and out.dtype == np.uint8


def test_missing_reference_and_wrong_task(fuse_model):
    with pytest.raises(UserError, match="reference"):
        stylize(np.zeros((8, 8), np.uint8), invert_model(needs_reference=True))
    with pytest.raises(UserError, match="'fuse' model"):
        stylize(np.zeros((8, 8), np.uint8), fuse_model)
