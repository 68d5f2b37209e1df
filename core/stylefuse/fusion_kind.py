"""What kind of fusion pair two images are, from cheap statistics: the first half of the automatic
fusion-model rule (the second half, which model lists that kind on its card, is
`stylefuse.model_choice.fusion_model_for_kind`).

Kinds (`KINDS`): "medical", "infrared-visible", "multi-focus", "multi-exposure". The rule, in order:

1. data that is not an 8-bit or [0, 1] picture (uint16, int16/HU, float outside 0..1) -> medical;
2. both images black along at least 60 % of their border, or black on at least 40 % of their area
   -> medical (scans: the body surrounded by black, MRI, CT, PET, SPECT);
3. the same scene -- edges agree (`edge_agreement` >= 0.85) and both grey or both colour -- then
   mean brightness differing by >= 0.05 -> multi-exposure, else multi-focus;
4. anything else -> infrared-visible (two modalities of one natural scene).

The statistics are taken on a fixed grid of sample points (`GRID` x `GRID`, averaged in `BLOCK` x
`BLOCK` blocks for the edges), never on every pixel: the rule costs about a millisecond on any image,
and the GIMP plug-in (standard library only, no numpy) repeats it exactly in sfkind.py
(tests/gimp/test_sfkind.py checks that both agree). Thresholds were set on the real pairs in
shared/data/fusion and scikit-image photos made into focus/exposure pairs (scripts/fusion_kind_accuracy.py);
the rule is not trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pipeline.layout import parse_layout

KINDS = ("medical", "infrared-visible", "multi-focus", "multi-exposure")
GRID = 128  # sample points per side
BLOCK = 4  # GRID / BLOCK blocks per side for the edge statistics (blurred copies still agree there)
BLACK_LEVEL = 0.06  # luma at or below this (of 0..1) counts as black background
MEDICAL_BLACK = 0.40  # measured: scans 54-93 % black, infrared/visible at most 29 % in both
FRAME = GRID // 16  # the border: the outer 1/16 of each side
MEDICAL_BORDER = 0.60  # measured: scans' borders >= 95 % black (a cropped brain slice 80 %), TNO <= 35 %
SAME_SCENE = 0.85  # measured: most focus/exposure pairs >= 0.88; infrared/visible and scans <= 0.81
EXPOSURE_SHIFT = 0.05  # measured: exposure pairs differ by >= 0.10 in mean luma, focus pairs by < 0.01
COLOUR_SHARE = 0.01  # a 3-channel image with R, G, B apart at >= 1 % of the points is in colour
COLOUR_DIFF = 0.04


@dataclass(frozen=True)
class PairKind:
    """A pair's kind and the numbers that decided it, as one line for people (`why`)."""

    kind: str
    why: str


def _sample(array: np.ndarray, is_stack: bool | None, what: str) -> tuple[np.ndarray | None, bool, str]:
    """(GRID x GRID x C points of the middle slice in 0..1, or None for non-picture data; colour; dtype)."""
    array = np.asarray(array)
    layout = parse_layout(array.shape, is_stack, what)
    planes = array.reshape(layout.slices, layout.height, layout.width, layout.channels)
    if planes.size == 0:  # nothing to fuse: any kind will do (the pipeline returns an empty result)
        return np.zeros((GRID, GRID, layout.colour_channels)), False, str(array.dtype)
    plane = planes[layout.slices // 2]
    rows = (2 * np.arange(GRID) + 1) * layout.height // (2 * GRID)
    cols = (2 * np.arange(GRID) + 1) * layout.width // (2 * GRID)
    points = plane[rows][:, cols, : layout.colour_channels].astype(np.float64)
    dtype = array.dtype
    if dtype == np.uint8:
        points /= 255.0
    elif not (dtype.kind == "f" and points.min() >= 0.0 and points.max() <= 1.0):
        return None, layout.colour, str(dtype)
    colour = False
    if layout.colour:
        spread = np.maximum(np.abs(points[..., 0] - points[..., 1]), np.abs(points[..., 1] - points[..., 2]))
        colour = bool((spread > COLOUR_DIFF).mean() >= COLOUR_SHARE)
    return points, colour, str(dtype)


def _luma(points: np.ndarray) -> np.ndarray:
    if points.shape[-1] == 1:
        return points[..., 0]
    return points[..., 0] * 0.299 + points[..., 1] * 0.587 + points[..., 2] * 0.114


def _border_black(luma: np.ndarray) -> float:
    """The share of the border's points (the outer FRAME rows and columns) that are black."""
    frame = np.ones(luma.shape, bool)
    frame[FRAME:-FRAME, FRAME:-FRAME] = False
    return float((luma[frame] <= BLACK_LEVEL).mean())


def _gradient(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.gradient's central differences (one-sided at the borders), written out so sfkind.py can match."""
    gy, gx = np.empty_like(blocks), np.empty_like(blocks)
    gy[1:-1], gy[0], gy[-1] = (blocks[2:] - blocks[:-2]) / 2, blocks[1] - blocks[0], blocks[-1] - blocks[-2]
    gx[:, 1:-1] = (blocks[:, 2:] - blocks[:, :-2]) / 2
    gx[:, 0], gx[:, -1] = blocks[:, 1] - blocks[:, 0], blocks[:, -1] - blocks[:, -2]
    return gy, gx


def _agreement(luma_a: np.ndarray, luma_b: np.ndarray) -> float:
    ya, xa = _gradient(luma_a)
    yb, xb = _gradient(luma_b)
    ma, mb = np.hypot(ya, xa), np.hypot(yb, xb)
    weight = np.minimum(ma, mb)
    both = weight > 0
    total = weight.sum()
    if total <= 0:
        return 0.0
    cosine = (ya[both] * yb[both] + xa[both] * xb[both]) / (ma[both] * mb[both])
    return float((weight[both] * cosine).sum() / total)


def edge_agreement(luma_a: np.ndarray, luma_b: np.ndarray) -> float:
    """How far the two images' edges point the same way: the cosine between their gradients, weighted by
    the weaker of the two magnitudes (1: same edges, same sign; 0: unrelated; < 0: inverted), the larger
    of its value on the points and on their block means. Tone curves (exposure) keep the points' edges;
    blur (focus) keeps the blocks'; infrared against visible light, where warm things are bright in one
    and dark in the other, keeps neither."""
    n = GRID // BLOCK
    blocks_a = luma_a.reshape(n, BLOCK, n, BLOCK).mean(axis=(1, 3))
    blocks_b = luma_b.reshape(n, BLOCK, n, BLOCK).mean(axis=(1, 3))
    return max(_agreement(luma_a, luma_b), _agreement(blocks_a, blocks_b))


def explain_fusion_pair(a: np.ndarray, b: np.ndarray, is_stack: bool | None = None) -> PairKind:
    """The kind of the pair (a, b) and why (see this module's docstring); stacks: their middle slices."""
    pa, colour_a, dtype_a = _sample(a, is_stack, "input A")
    pb, colour_b, dtype_b = _sample(b, is_stack, "input B")
    if pa is None or pb is None:
        dtypes = " and ".join(sorted({d for p, d in ((pa, dtype_a), (pb, dtype_b)) if p is None}))
        return PairKind("medical", f"medical ({dtypes} data, not an 8-bit picture)")
    la, lb = _luma(pa), _luma(pb)
    black_a, black_b = float((la <= BLACK_LEVEL).mean()), float((lb <= BLACK_LEVEL).mean())
    border = min(_border_black(la), _border_black(lb))
    black = f"{100 * min(black_a, black_b):.0f} % black background, {100 * border:.0f} % black border"
    if min(black_a, black_b) >= MEDICAL_BLACK or border >= MEDICAL_BORDER:
        return PairKind("medical", f"medical ({black})")
    agree = edge_agreement(la, lb)
    shift = abs(float(la.mean()) - float(lb.mean()))
    if agree >= SAME_SCENE and colour_a == colour_b:
        if shift >= EXPOSURE_SHIFT:
            return PairKind(
                "multi-exposure",
                f"multi-exposure (same scene, edges agree {agree:.2f}; brightness differs by {shift:.2f})",
            )
        return PairKind(
            "multi-focus",
            f"multi-focus (same scene, edges agree {agree:.2f}; same brightness within {shift:.2f})",
        )
    return PairKind("infrared-visible", f"infrared-visible (edges agree {agree:.2f}, {black})")


def classify_fusion_pair(a: np.ndarray, b: np.ndarray, is_stack: bool | None = None) -> str:
    """The kind of the pair (a, b): one of `KINDS`."""
    return explain_fusion_pair(a, b, is_stack).kind


def default_fusion_model(a: np.ndarray, b: np.ndarray, is_stack: bool | None = None) -> str:
    """The installed fusion model the automatic rule picks for (a, b) (what `stylefuse fuse` runs
    without --model)."""
    from .model_choice import fusion_model_for_kind
    from .registry import installed_models

    return fusion_model_for_kind(classify_fusion_pair(a, b, is_stack), installed_models())
