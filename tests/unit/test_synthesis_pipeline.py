"""stylize(..., method="synthesis") through the pipeline: dtype, range, alpha, mask, strength, stacks."""

import hashlib

import numpy as np
import pytest

from stylefuse.errors import UserError
from stylefuse.pipeline import Cancelled, stylize

rng = np.random.default_rng(0)
YY, XX = np.mgrid[0:48, 0:64] / 64.0
PHOTO = (np.stack([0.3 + 0.5 * XX, 0.2 + 0.6 * YY, 0.5 - 0.3 * XX * YY], -1) * 255).astype(np.uint8)
PAINTING = np.zeros((56, 56, 3), np.uint8)
PAINTING[:, ::5, 0] = 255  # red stripes on blue
PAINTING[..., 2] = 160
SMALL = 64  # synthesis size for the tests: small, fast


def run(image, **kw):
    kw.setdefault("synthesis_size", SMALL)
    return stylize(image, reference=kw.pop("reference", PAINTING), method="synthesis", **kw)


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_uint8_rgb_takes_the_painting_colours_and_keeps_the_input():
    before = digest(PHOTO)
    out = run(PHOTO)
    assert out.dtype == np.uint8 and out.shape == PHOTO.shape
    assert digest(PHOTO) == before
    # the painting has no green: the result loses the photo's green ramp
    assert out[..., 1].mean() < 0.3 * PHOTO[..., 1].mean()
    assert np.array_equal(out, run(PHOTO))  # deterministic


def test_alpha_passes_through_and_mask_zero_is_untouched():
    rgba = np.concatenate([PHOTO, rng.integers(0, 256, (48, 64, 1), dtype=np.uint8)], -1)
    mask = np.zeros((48, 64), np.float32)
    mask[:, :32] = 1.0
    out = run(rgba, mask=mask)
    assert np.array_equal(out[..., 3], rgba[..., 3])
    assert np.array_equal(out[:, 32:], rgba[:, 32:])
    assert not np.array_equal(out[:, :32, :3], rgba[:, :32, :3])


def test_strength_zero_is_the_input_and_half_is_between():
    assert np.array_equal(run(PHOTO, strength=0.0), PHOTO)
    full = run(PHOTO).astype(float)
    half = run(PHOTO, strength=0.5).astype(float)
    assert np.abs(half - (PHOTO + 0.5 * (full - PHOTO))).max() <= 1.0


def test_uint16_grey_and_hounsfield_float_keep_their_range():
    grey16 = (YY * 60000 + 1000).astype(np.uint16)
    out = run(grey16)
    assert out.dtype == np.uint16 and out.shape == grey16.shape and out.max() <= 61000 + 1
    hu = (YY * 2000 - 1000).astype(np.float32)
    out = run(hu)
    assert out.dtype == np.float32 and out.min() >= -1000 - 1e-3 and out.max() <= hu.max() + 1e-3


def test_preserve_color_keeps_the_input_chroma():
    out = run(PHOTO, preserve_color=True).astype(float)

    # chroma of the result close to the photo's (the painting's blue cast is not taken)
    def cb(a):
        return -0.1687 * a[..., 0] - 0.3313 * a[..., 1] + 0.5 * a[..., 2]

    assert abs(cb(out).mean() - cb(PHOTO.astype(float)).mean()) < 6


def test_large_image_is_painted_at_the_working_size_and_carried_up():
    big = np.repeat(np.repeat(PHOTO, 3, 0), 3, 1)  # 144 x 192, working size 64: factor 3
    out = run(big)
    assert out.shape == big.shape
    small = run(PHOTO)
    # the big result, shrunk, looks like the small result (same painting at the same scale)
    shrunk = big_mean = out.reshape(48, 3, 64, 3, 3).mean((1, 3))
    assert np.abs(shrunk - small.astype(float)).mean() < 40
    assert big_mean.shape == small.shape


def test_stack_is_consistent_slice_to_slice():
    stack = np.stack([(PHOTO[..., 0].astype(np.uint16) * 200 + k * 50) for k in range(4)])
    out = run(stack, is_stack=True)
    assert out.shape == stack.shape and out.dtype == np.uint16
    flicker_out = np.abs(np.diff(out.astype(float), axis=0)).mean()
    single = np.stack([run(s) for s in stack])  # each slice on its own: no shared patch choices
    flicker_single = np.abs(np.diff(single.astype(float), axis=0)).mean()
    assert flicker_out <= flicker_single


def test_progress_and_cancel():
    seen = []
    run(PHOTO, progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 1
    calls = []
    with pytest.raises(Cancelled):
        run(PHOTO, cancel=lambda: calls.append(1) or len(calls) > 1)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"reference": None}, "give a reference"),
        ({"synthesis_size": 10}, "synthesis size"),
        ({"reference": np.zeros((8, 8, 3), np.uint8)}, "too small"),
    ],
)
def test_bad_input_is_a_clear_error(kw, message):
    before = digest(PHOTO)
    with pytest.raises(UserError, match=message):
        run(PHOTO, **kw)
    assert digest(PHOTO) == before


def test_unknown_method():
    with pytest.raises(UserError, match="unknown style method"):
        stylize(PHOTO, reference=PAINTING, method="magic")
