"""The in-process pipeline: tiling, stacks in batches, progress and cancel.

Shared fake models are in pipeline_helpers.py, fixtures (`style_model`, `fuse_model`, `scene`) in tests/conftest.py.
"""

import numpy as np
import pytest

from stylefuse.pipeline import Cancelled, stylize
from stylefuse.pipeline.tiling import plan_axis, tile_options


def test_tiled_matches_untiled(style_model, scene):
    image = scene(512, 512, 9)
    calls = []
    untiled = stylize(image, style_model, tile_size=None)
    tiled = stylize(image, style_model, tile_size=128, progress=lambda d, t: calls.append((d, t)))
    opts = tile_options(128, None, style_model.receptive_radius, style_model.spatial_multiple)
    per_axis = len(plan_axis(512, 128, opts["overlap"], opts["margin"], style_model.spatial_multiple))
    assert per_axis >= 4 and calls[-1] == (per_axis**2, per_axis**2)  # really tiled, every tile reported
    assert np.abs(tiled - untiled).max() <= 1 / 255


def test_tile_plan_is_on_the_model_grid():
    for length in [129, 300, 513, 1000]:
        spans = plan_axis(length, 128, 24, 48, 4)
        assert all(s.read.start % 4 == 0 for s in spans)
        assert all(s.blend.start - s.read.start >= 48 or s.read.start == 0 for s in spans)
        assert all(s.read.stop - s.blend.stop >= 46 or s.read.stop == length for s in spans)
        total = np.zeros(length, np.float32)
        for s in spans:
            total[s.blend] += s.weight
        assert np.allclose(total, 1.0, atol=1e-6)


def test_stack_batched_matches_slice_by_slice(style_model):
    stack = np.random.default_rng(10).random((37, 20, 24), np.float32)
    calls = []
    batched = stylize(stack, style_model, batch_size=8, progress=lambda d, t: calls.append((d, t)))
    single = stylize(stack, style_model, batch_size=1)
    assert np.abs(batched - single).max() <= 1e-6
    assert [d for d, _ in calls] == [0, 8, 16, 24, 32, 37] and calls[-1] == (37, 37)


def test_cancel_raises_between_batches(style_model):
    stack = np.zeros((12, 8, 8), np.uint8)
    calls = []
    with pytest.raises(Cancelled):
        stylize(
            stack,
            style_model,
            batch_size=2,
            progress=lambda d, t: calls.append(d),
            cancel=lambda: len(calls) > 1,
        )
    assert calls == [0, 2]
