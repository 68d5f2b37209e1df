"""Tile plans and the tiled runner, checked with models whose tiled result is known exactly."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from stylefuse.errors import UserError
from stylefuse.pipeline.runner import Cancelled, run_tiled
from stylefuse.pipeline.tiling import plan_axis, tile_options


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(1, 3000),
    tile_size=st.integers(16, 700),
    overlap=st.one_of(st.none(), st.integers(0, 200)),
    radius=st.integers(0, 80),
)
def test_plan_properties(length, tile_size, overlap, radius):
    try:
        opts = tile_options(tile_size, overlap, radius, 4)
    except UserError:
        assert overlap is not None  # only an explicit overlap can be refused
        return
    spans = plan_axis(length, **{k: opts[k] for k in ("tile_size", "overlap", "margin", "multiple")})
    total = np.zeros(length, np.float64)
    for i, s in enumerate(spans):
        total[s.blend] += s.weight
        assert s.read.start % 4 == 0  # on the model's stride grid
        assert s.read.start == 0 or s.blend.start - s.read.start >= radius
        assert s.read.stop == length or s.read.stop - s.blend.stop >= radius
        assert s.blend.stop - s.blend.start <= max(tile_size, 0) or len(spans) == 1
        if i + 2 < len(spans):  # only neighbours overlap
            assert spans[i + 2].blend.start >= s.blend.stop
    assert np.allclose(total, 1.0, atol=1e-6)


def blocky(x: torch.Tensor) -> torch.Tensor:
    """A toy 'generator' on a stride-4 grid with zero padding: 4x4 block means, then a 3x3 blur."""
    h, w = x.shape[-2:]
    x = F.pad(x, [0, -w % 4, 0, -h % 4], mode="replicate")
    coarse = F.avg_pool2d(x, 4)
    coarse = F.conv2d(coarse, torch.full((x.shape[1], 1, 3, 3), 1 / 9), padding=1, groups=x.shape[1])
    return F.interpolate(coarse, scale_factor=4, mode="nearest")[..., :h, :w] + x[..., :h, :w]


@pytest.mark.parametrize("shape, tile_size", [((2, 97, 130), 32), ((3, 64, 64), 24), ((1, 200, 33), 40)])
def test_tiled_run_equals_untiled(shape, tile_size):
    image = np.random.default_rng(0).random((*shape, 2), np.float32)

    def run(tile):
        out = np.full(image.shape, np.nan, np.float32)

        def prepare(z, rows, cols):
            return (torch.from_numpy(np.ascontiguousarray(image[z, rows, cols].transpose(0, 3, 1, 2))),)

        def finish(z, rows, result):
            assert np.isnan(out[z, rows]).all()  # each row is finished exactly once
            out[z, rows] = result

        run_tiled(
            shape[0],
            shape[1],
            shape[2],
            2,
            prepare,
            blocky,
            finish,
            tile_size=tile,
            overlap=8,
            margin=8,
            multiple=4,
            batch_size=2,
        )
        return out

    # Receptive radius of `blocky`: 3 px inside the block, plus one block for the blur, rounded up.
    assert np.abs(run(tile_size) - run(None)).max() < 1e-5


def test_runner_cancel_and_progress():
    calls = []
    with pytest.raises(Cancelled):
        run_tiled(
            4,
            40,
            40,
            1,
            lambda z, r, c: (torch.zeros(z.stop - z.start, 1, r.stop - r.start, c.stop - c.start),),
            lambda x: x,
            lambda z, r, res: None,
            tile_size=20,
            overlap=4,
            margin=4,
            multiple=4,
            batch_size=4,
            progress=lambda d, t: calls.append((d, t)),
            cancel=lambda: len(calls) > 2,
        )
    assert calls == [(0, 36), (4, 36), (8, 36)]  # 4 slices x 3 x 3 tiles, stopped before the third call


def test_single_tile_goes_straight_to_finish():
    """An image that fits one tile skips the band and the feathering: the model's output is what
    `finish` gets, each batch of slices once, with progress and cancel as for tiled runs."""
    image = np.random.default_rng(1).random((5, 40, 36, 2), np.float32)
    out = np.full(image.shape, np.nan, np.float32)
    calls = []

    def prepare(z, rows, cols):
        assert (rows, cols) == (slice(0, 40), slice(0, 36))
        return (torch.from_numpy(np.ascontiguousarray(image[z].transpose(0, 3, 1, 2))),)

    def finish(z, rows, result):
        assert rows == slice(0, 40) and np.isnan(out[z]).all()
        out[z] = result

    run_tiled(
        5,
        40,
        36,
        2,
        prepare,
        blocky,
        finish,
        tile_size=64,
        overlap=8,
        margin=8,
        multiple=4,
        batch_size=2,
        progress=lambda d, t: calls.append((d, t)),
    )
    expected = blocky(torch.from_numpy(image.transpose(0, 3, 1, 2))).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(out, expected) and calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    with pytest.raises(Cancelled):
        run_tiled(
            5,
            40,
            36,
            2,
            prepare,
            blocky,
            lambda z, r, res: None,
            tile_size=None,
            overlap=8,
            margin=8,
            multiple=4,
            batch_size=2,
            progress=lambda d, t: calls.append((d, t)),
            cancel=lambda: len(calls) > 5,
        )


def test_default_tile_takes_2048_and_3000_in_two_by_two():
    """The default tile size is chosen so that 2048² and 3000² (9 MP) images with the shipped models'
    context margin need 2 x 2 tiles, not 3 x 3 (the margins, read on every inner side, are what tiling costs)."""
    from stylefuse.pipeline.tiling import DEFAULT_TILE_SIZE

    opts = tile_options(DEFAULT_TILE_SIZE, None, 116, 8)  # udnie's card: receptive radius 116, multiple 8
    spans = plan_axis(2048, **opts)
    assert len(spans) == 2 and plan_axis(1024, **opts)[0].read == slice(0, 1024)
    assert len(plan_axis(3000, **opts)) == 2
    longest = max(s.read.stop - s.read.start for s in plan_axis(8192, **opts))
    assert longest <= 1780  # what the 8192² memory figure (limits.py) was measured with
