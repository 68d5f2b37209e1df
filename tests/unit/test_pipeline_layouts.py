"""The in-process pipeline: layouts, alpha, grey and colour, preserve-colour, odd shapes, bad inputs.

Shared fake models are in pipeline_helpers.py, fixtures (`style_model`, `fuse_model`, `scene`) in tests/conftest.py.
"""

import numpy as np
import pytest
import torch
from pipeline_helpers import FakeModel, FakeStyleModule, chroma_u8, invert_model, uint8_image

from stylefuse.errors import UserError
from stylefuse.pipeline import stylize
from stylefuse.pipeline.color import chroma, luma


def test_alpha_passes_through_bit_identical(style_model, scene):
    rgba = np.concatenate(
        [uint8_image(scene), np.random.default_rng(3).integers(0, 256, (48, 40, 1), np.uint8)], -1
    )
    out = stylize(rgba, style_model)
    assert np.array_equal(out[..., 3], rgba[..., 3])
    assert not np.array_equal(out[..., :3], rgba[..., :3])
    grey_alpha = np.stack([rgba[..., 0].astype(np.uint16) * 16, rgba[..., 3].astype(np.uint16) * 257], -1)
    out = stylize(grey_alpha, style_model)
    assert out.shape == grey_alpha.shape and np.array_equal(out[..., 1], grey_alpha[..., 1])


def test_alpha_does_not_stretch_the_range():
    rgba = np.zeros((8, 8, 4), np.uint16)
    rgba[..., :3] = np.arange(64, dtype=np.uint16).reshape(8, 8, 1) * 10
    rgba[..., 3] = 65535
    out = stylize(rgba, invert_model())
    assert np.array_equal(out[..., :3], 630 - rgba[..., :3])


def test_grey_in_grey_out(style_model, scene):
    grey = uint8_image(scene)[..., 1]
    out = stylize(grey, style_model)
    assert out.shape == grey.shape and out.dtype == np.uint8
    assert stylize(grey[..., None], style_model).shape == grey.shape + (1,)
    # Into a 3-channel model the grey is replicated; the result comes back as its luma.
    swap = FakeModel(FakeStyleModule(lambda x: torch.cat([x[:, :1] * 0.5, x[:, 1:]], 1)))
    out = stylize(grey.astype(np.float32) / 255, swap)
    seen = swap.module.seen[0]
    assert torch.equal(seen[:, 0], seen[:, 1]) and torch.equal(seen[:, 1], seen[:, 2])
    assert np.allclose(out, grey / 255 * (1 - 0.5 * 0.299), atol=1e-5)


def test_colour_into_grey_model_restyles_luma_only(scene):
    rgb = scene(24, 20)
    out = stylize(rgb, invert_model(channels=1))
    inside = (out > 0.01).all(-1) & (out < 0.99).all(-1)
    assert np.allclose(luma(out)[inside], 1 - luma(rgb)[inside], atol=1e-5)
    assert np.allclose(chroma(out)[inside], chroma(rgb)[inside], atol=1e-5)


def test_preserve_color_keeps_chroma(scene):
    rotate = FakeModel(FakeStyleModule(lambda x: x[:, [2, 0, 1]]))  # a model that changes hues
    rgb = uint8_image(scene)
    plain = stylize(rgb, rotate)
    kept = stylize(rgb, rotate, preserve_color=True)
    inside = (kept > 2).all(-1) & (kept < 253).all(-1)
    assert inside.mean() > 0.5
    assert np.abs(chroma_u8(kept) - chroma_u8(rgb))[inside].max() < 2.5 / 255
    assert np.abs(chroma_u8(plain) - chroma_u8(rgb))[inside].max() > 0.05
    assert np.allclose(luma(kept / 255)[inside], luma(plain / 255)[inside], atol=2 / 255)


def test_preserve_color_with_real_model(style_model, scene):
    rgb = uint8_image(scene)
    out = stylize(rgb, style_model, preserve_color=True)
    inside = (out > 2).all(-1) & (out < 253).all(-1)
    assert np.abs(chroma_u8(out) - chroma_u8(rgb))[inside].max() < 2.5 / 255


def test_five_d_and_tiny_images(style_model):
    tt = np.random.default_rng(4).integers(0, 256, (2, 3, 9, 7, 3), np.uint8)
    assert stylize(tt, style_model).shape == tt.shape
    for shape in [(1, 1), (1, 13), (5, 1, 3), (3, 1, 1)]:
        image = np.random.default_rng(5).random(shape, np.float32)
        assert stylize(image, style_model).shape == shape
    assert stylize(np.zeros((0, 5), np.uint8), style_model).shape == (0, 5)
    assert stylize(np.zeros((0, 8, 8), np.uint16), style_model, is_stack=True).shape == (0, 8, 8)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((4, 4, 4, 4, 4, 1), np.uint8), "dimension"),
        (np.zeros(16, np.uint8), "dimension"),
        (np.zeros((4, 4, 7, 5), np.uint8), "channels"),
        (np.zeros((4, 4), bool), "dtype"),
        (np.zeros((4, 4), np.complex64), "dtype"),
        (np.array([[1, None]], object), "dtype"),
        (np.array([[0.5, np.nan]], np.float32), "NaN"),
        (np.array([[0.5, np.inf]], np.float64), "infinite"),
    ],
)
def test_bad_inputs_are_user_errors(image, message):
    with pytest.raises(UserError, match=message):
        stylize(image, invert_model())


def test_is_stack_overrides_the_guess():
    three = np.random.default_rng(6).integers(0, 256, (3, 8, 3), np.uint8)
    model = invert_model()
    assert np.array_equal(stylize(three, model), 255 - three)  # guessed: one 3 x 8 RGB image
    assert stylize(three, model, is_stack=True).shape == three.shape  # three 8 x 3 grey slices
    with pytest.raises(UserError, match="only a stack"):
        stylize(np.zeros((2, 4, 4, 3), np.uint8), model, is_stack=False)
