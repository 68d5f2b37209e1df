"""A stack in parts (a video's chunks of frames) through the runner gives what the whole stack gives.

`Runner.stylize_parts`/`fuse_parts` run each part as a stack with one StackState carried along: the
generator's slices are independent, synthesis continues from the previous slice's patch choices, and
the steady hold (`stylefuse.pipeline.temporal`) from the previous frame. Checked bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from stylefuse.pipeline import StackState, steady_frames
from stylefuse.runner import LocalRunner


def frames(n: int, h: int = 40, w: int = 48, seed: int = 0) -> np.ndarray:
    """A moving gradient with noise: N x H x W x 3 uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    out = [
        128
        + 80 * np.sin((xx[..., None] + 2 * k + np.arange(3) * 5) / 7.0) * np.cos(yy[..., None] / 9.0)
        + rng.normal(0, 3, (h, w, 3))
        for k in range(n)
    ]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def split(stack: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(stack, np.cumsum(sizes)[:-1])


@pytest.fixture(scope="module")
def runner() -> LocalRunner:
    return LocalRunner("cpu")


def test_generator_parts_with_steady_hold_equal_the_whole(runner):
    clip = frames(7)
    whole = next(runner.stylize_parts([clip], model="udnie", steady=True))
    parts = np.concatenate(list(runner.stylize_parts(split(clip, [3, 1, 3]), model="udnie", steady=True)))
    np.testing.assert_array_equal(parts, whole)
    plain = runner.stylize(clip, model="udnie", is_stack=True)
    np.testing.assert_array_equal(whole[0], plain[0])  # the first frame is its own stylization
    assert not np.array_equal(whole, plain)  # later ones hold what did not move


def test_synthesis_parts_carry_the_patch_choices(runner):
    clip = frames(4, 32, 32, seed=1)
    painting = frames(1, 48, 48, seed=2)[0][..., ::-1].copy()
    options = {"reference": painting, "method": "synthesis", "synthesis_size": 64}
    whole = runner.stylize(clip, is_stack=True, **options)
    parts = np.concatenate(list(runner.stylize_parts(split(clip, [2, 2]), **options)))
    np.testing.assert_array_equal(parts, whole)
    fresh = np.concatenate([runner.stylize(p, is_stack=True, **options) for p in split(clip, [2, 2])])
    assert not np.array_equal(fresh[2], whole[2])  # without the state the third frame starts afresh


def test_fuse_parts_equal_the_whole_and_count_progress_in_frames(runner):
    a, b = frames(5, seed=3), frames(5, seed=4)
    whole = runner.fuse(a, b, model="fuse-general", is_stack=True)
    seen: list[tuple[int, int]] = []
    parts = runner.fuse_parts(
        zip(split(a, [2, 3]), split(b, [2, 3]), strict=True),
        total=5,
        progress=lambda done, total: seen.append((done, total)),
        model="fuse-general",
    )
    np.testing.assert_array_equal(np.concatenate(list(parts)), whole)
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert all(d1 <= d2 for (d1, _), (d2, _) in zip(seen, seen[1:], strict=False))


def test_steady_hold_keeps_still_pixels_and_follows_motion():
    still = np.full((3, 32, 32, 3), 100, np.uint8)
    still[1:] += np.random.default_rng(5).integers(0, 3, still[1:].shape, dtype=np.uint8)  # noise only
    painted = np.random.default_rng(6).integers(0, 256, still.shape, dtype=np.uint8)  # "boiling" output
    held = steady_frames(still, painted, StackState())
    assert (
        np.abs(held[2].astype(int) - held[0]).mean()
        < 0.5 * np.abs(painted[2].astype(int) - painted[0]).mean()
    )
    moved = still.copy()
    moved[2, :, :16] = 250  # the left half changes for real: it takes the new stylization there
    held = steady_frames(moved, painted, StackState())
    np.testing.assert_array_equal(held[2, :, :10], painted[2, :, :10])


def test_steady_hold_carries_the_painting_along_a_pan():
    """The picture moves 3 pixels a frame: the held painting moves with it (what frame 0 painted
    shows up 3 and 6 pixels further on), instead of boiling with each frame's fresh painting."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(7)
    scene = gaussian_filter(rng.uniform(0, 255, (48, 96, 3)), (2, 2, 0)) * 4 - 380  # smooth, full range
    scene = np.clip(scene, 0, 255)
    inputs = np.stack([scene[:, 3 * k : 3 * k + 64] for k in range(3)]).astype(np.uint8)
    painting = rng.integers(0, 256, (48, 96, 3)).astype(np.float32)  # strokes fixed to the scene
    boiling = rng.normal(0, 40, (3, 48, 64, 3))  # and what each frame's painting adds afresh
    painted = np.stack([painting[:, 3 * k : 3 * k + 64] for k in range(3)]) + boiling
    painted = np.clip(np.rint(painted), 0, 255).astype(np.uint8)
    held = steady_frames(inputs, painted, StackState()).astype(float)
    inner = (slice(8, -8), slice(8, -16))
    carried = np.abs(held[2][:, 2:-6][inner] - held[0][:, 8:][inner]).mean()
    afresh = np.abs(painted[2][:, 2:-6][inner].astype(float) - painted[0][:, 8:][inner]).mean()
    assert carried < 0.2 * afresh, (carried, afresh)
