"""Property-based tests (hypothesis) of the pipeline's promises, on tiny images with the shipped models.

For any dtype the pipeline accepts, any layout (H x W, H x W x 1/2/3/4, small stacks) and any finite
values (the dtype's extremes included): the output has the input's shape and dtype, finite values
within the input's value range, alpha passed through, and the input is untouched; a mask of zeros
(or strength 0) gives the input back bit for bit. Example counts are modest: these run in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="install the test extra: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from stylefuse.pipeline import fuse, stylize  # noqa: E402

DTYPES = [
    np.uint8,
    np.uint16,
    np.int16,
    np.int8,
    np.int32,
    np.int64,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _elements(dtype, unit: bool):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        if unit:
            return st.floats(0.0, 1.0, width=8 * dtype.itemsize)
        return st.floats(allow_nan=False, allow_infinity=False, width=8 * dtype.itemsize)
    return None  # the dtype's whole range


@st.composite
def images(draw, max_side: int = 9, stacks: bool = True):
    """(array, is_stack): any accepted dtype, layout and finite values."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    layout = draw(st.sampled_from(["hw", "hwc", "zhw", "zhwc"] if stacks else ["hw", "hwc"]))
    c = draw(st.sampled_from([1, 2, 3, 4]))
    z = draw(st.integers(1, 3))
    shape = {"hw": (h, w), "hwc": (h, w, c), "zhw": (z, h, w), "zhwc": (z, h, w, c)}[layout]
    unit = dtype.kind == "f" and draw(st.booleans())  # float data in [0, 1], or anywhere
    array = draw(hnp.arrays(dtype, shape, elements=_elements(dtype, unit)))
    return array, layout.startswith("z")


def _colour(array: np.ndarray, is_stack: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour channels, alpha or None) as the pipeline splits them."""
    if array.ndim - int(is_stack) == 2:
        return array, None
    c = array.shape[-1]
    colour = 3 if c >= 3 else 1
    return array[..., :colour], (array[..., colour:] if c in (2, 4) else None)


def _check_range(out_colour: np.ndarray, in_colour: np.ndarray) -> None:
    """Output values lie in the input's value range (the pipeline's range rule)."""
    if in_colour.dtype == np.uint8:
        return
    lo, hi = (float(in_colour.min()), float(in_colour.max())) if in_colour.size else (0.0, 1.0)
    if in_colour.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    if in_colour.dtype.kind in "iu":
        assert int(out_colour.min()) >= int(in_colour.min()) and int(out_colour.max()) <= int(in_colour.max())
    else:
        assert float(out_colour.min()) >= lo and float(out_colour.max()) <= hi


@given(data=images())
@SETTINGS
def test_stylize_keeps_shape_dtype_range_and_alpha(data, style_model):
    array, is_stack = data
    before = array.copy()
    out = stylize(array, model=style_model, is_stack=is_stack)
    assert out.shape == array.shape and out.dtype == array.dtype
    np.testing.assert_array_equal(array, before)  # the input is never modified
    if out.dtype.kind == "f":
        assert np.isfinite(out).all()
    colour_out, alpha_out = _colour(out, is_stack)
    colour_in, alpha_in = _colour(array, is_stack)
    _check_range(colour_out, colour_in)
    if alpha_in is not None:
        assert alpha_out.tobytes() == alpha_in.tobytes()


@given(
    data=images(),
    zero=st.sampled_from(["mask", "strength", "both"]),
    mask_dtype=st.sampled_from([np.bool_, np.uint8, np.uint16, np.float32, np.float64]),
)
@SETTINGS
def test_nothing_to_apply_is_the_identity(data, zero, mask_dtype, style_model):
    array, is_stack = data
    plane = array.shape[int(is_stack) : int(is_stack) + 2]
    mask = np.zeros(plane, mask_dtype) if zero in ("mask", "both") else None
    strength = 0.0 if zero in ("strength", "both") else 0.8
    out = stylize(array, model=style_model, mask=mask, strength=strength, is_stack=is_stack)
    assert out.shape == array.shape and out.dtype == array.dtype
    assert out.tobytes() == array.tobytes()  # bit for bit: -0.0, float16 extremes and all


@given(data=images(), partial=st.floats(0.0, 1.0))
@SETTINGS
def test_mask_zero_pixels_are_untouched(data, partial, style_model):
    array, is_stack = data
    plane = array.shape[int(is_stack) : int(is_stack) + 2]
    mask = np.zeros(plane, np.float32)
    mask[::2, ::2] = partial
    out = stylize(array, model=style_model, mask=mask, is_stack=is_stack)
    lead = (slice(None),) if is_stack else ()
    untouched = lead + (mask == 0,)
    assert out[untouched].tobytes() == array[untouched].tobytes()


@st.composite
def pairs(draw):
    a, is_stack = draw(images(stacks=True))
    spatial = a.shape[: 2 + int(is_stack)]
    b_dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    c = draw(st.sampled_from([None, 1, 3, 4]))
    shape = spatial if c is None else (*spatial, c)
    unit = b_dtype.kind == "f" and draw(st.booleans())
    b = draw(hnp.arrays(b_dtype, shape, elements=_elements(b_dtype, unit)))
    return a, b, is_stack


@given(data=pairs())
@SETTINGS
def test_fuse_keeps_a_dtype_layout_and_range(data, fuse_model):
    a, b, is_stack = data
    before_a, before_b = a.copy(), b.copy()
    out = fuse(a, b, model=fuse_model, is_stack=is_stack)
    np.testing.assert_array_equal(a, before_a)
    np.testing.assert_array_equal(b, before_b)
    assert out.dtype == a.dtype
    lead = a.shape[: 2 + int(is_stack)]
    assert out.shape[: len(lead)] == lead
    colour_a, alpha_a = _colour(a, is_stack)
    colour_b, _ = _colour(b, is_stack)
    colour = (
        3
        if (colour_a.ndim > len(lead) and colour_a.shape[-1] == 3)
        or (colour_b.ndim > len(lead) and colour_b.shape[-1] == 3)
        else 1
    )
    channels = colour + (alpha_a.shape[-1] if alpha_a is not None else 0)
    if channels == 1 and a.ndim == len(lead):
        assert out.shape == lead  # no channel axis in, none out
    else:
        assert out.shape == (*lead, channels)
    if out.dtype.kind == "f":
        assert np.isfinite(out).all()
    out_colour, out_alpha = _colour(out, is_stack) if out.ndim > len(lead) else (out, None)
    if colour == 1:
        _check_range(out_colour, colour_a)
    if alpha_a is not None:
        assert out_alpha.tobytes() == alpha_a.tobytes()
