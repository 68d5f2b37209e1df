"""The prepare step (stylefuse.pipeline.prepare): every path's one look at an input."""

import numpy as np
import pytest

from stylefuse.errors import UserError
from stylefuse.pipeline import prepare, prepare_pair


def test_prepare_lays_out_and_ranges_without_copying():
    stack = (np.arange(3 * 8 * 9 * 4) % 4000).astype(np.uint16).reshape(3, 8, 9, 4)  # RGBA stack
    before = stack.copy()
    p = prepare(stack)
    assert p.layout.is_stack and p.layout.slices == 3 and p.layout.alpha and p.layout.colour_channels == 3
    colour = stack[..., :3]
    assert (p.rng.lo, p.rng.hi) == (float(colour.min()), float(colour.max()))  # alpha never stretches it
    assert np.shares_memory(p.view, stack) and p.view.shape == (3, 8, 9, 4)
    assert p.alpha(slice(0, 1), slice(0, 2)).shape == (1, 2, 9, 1)
    np.testing.assert_array_equal(stack, before)
    assert prepare(stack[0, ..., 0], value_range=(0, 10)).rng.hi == 10


def test_tiling_plan_for_a_model():
    class Model:
        receptive_radius, spatial_multiple = 64, 4

    plan = prepare(np.zeros((40, 40), np.uint8)).tiling(Model(), 256)
    assert plan["tile_size"] == 256 and plan["margin"] % 4 == 0 and plan["multiple"] == 4
    with pytest.raises(UserError, match="tile_size"):
        prepare(np.zeros((4, 4), np.uint8)).tiling(Model(), 3)


def test_prepare_refuses_what_the_user_can_fix():
    with pytest.raises(UserError, match="NaN"):
        prepare(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(UserError, match="dtype"):
        prepare(np.zeros((4, 4), bool))


def test_prepare_pair_ranges_and_shapes():
    a, b = np.zeros((2, 6, 6), np.int16), np.full((2, 6, 6), 7, np.uint16)
    pa, pb = prepare_pair(a, b, value_range=((0, 1), (0, 9)))
    assert (pa.rng.hi, pb.rng.hi) == (1, 9)
    with pytest.raises(UserError, match="resample=True"):
        prepare_pair(a, b[:, :5], is_stack=True)
    pa, pb = prepare_pair(a, b[:, :5], is_stack=True, resample=True)
    assert pb.layout.height == 5
