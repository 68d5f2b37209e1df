"""The fusion scores of `stylefuse eval` and napari's Fuse layers widget: one function for both.

    evaluate_fusion(fused, a, b, is_stack) -> {"EN": ..., "SD": ..., ..., "SSIM": ...}

Each image is read as 8-bit grey levels: uint8 as is, uint16 / 257, anything else by the common
range of the three images ([0, 1] when all three are float within it); colour goes to grey with
`stylefuse.metrics.to_grey_u8`. A stack's scores are the means over its slices.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError

METRIC_NAMES = ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM")


def common_range(arrays: list[np.ndarray]) -> tuple[float, float]:
    """The finite min and max over all `arrays` ((0, 1) when all are float within [0, 1])."""
    finite = [a[np.isfinite(a)] if a.dtype.kind == "f" else a for a in arrays]
    common = (min(float(a.min()) for a in finite), max(float(a.max()) for a in finite))
    if all(a.dtype.kind == "f" for a in arrays) and common[0] >= 0 and common[1] <= 1:
        return 0.0, 1.0
    return common


def grey_levels(arr: np.ndarray, common: tuple[float, float]) -> np.ndarray:
    """8-bit levels (uint8) for the metrics: uint8 as is, uint16 / 257, others by the `common` range."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return np.round(arr / 257.0).astype(np.uint8)
    lo, hi = common
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    return np.round(np.clip((arr.astype(np.float64) - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def _scores(f: np.ndarray, a: np.ndarray, b: np.ndarray, strict: bool) -> dict[str, float]:
    from . import metrics

    if strict:
        return {k: float(v) for k, v in metrics.fusion_metrics(f, a, b).items()}
    f, a, b = metrics.to_grey_u8(f), metrics.to_grey_u8(a), metrics.to_grey_u8(b)
    measures = {
        "EN": lambda: metrics.entropy(f),
        "SD": lambda: metrics.standard_deviation(f),
        "SF": lambda: metrics.spatial_frequency(f),
        "MI": lambda: metrics.mutual_information(f, a, b),
        "SCD": lambda: metrics.scd(f, a, b),
        "VIF": lambda: metrics.vif(f, a, b),
        "Qabf": lambda: metrics.qabf(f, a, b),
        "SSIM": lambda: metrics.ssim_sum(f, a, b),
    }
    values = {}
    for name, measure in measures.items():
        try:
            values[name] = float(measure())
        except UserError:  # e.g. VIF needs 41 x 41 pixels
            values[name] = float("nan")
    return values


def evaluate_fusion(
    fused: np.ndarray, a: np.ndarray, b: np.ndarray, is_stack: bool = False, strict: bool = True
) -> dict[str, float]:
    """The eight fusion scores of `fused` against its sources `a` and `b` (same height and width;
    grey or colour each).

    `is_stack`: the arrays are stacks of slices (first axis), scored slice by slice and averaged.
    `strict`: a score that cannot be computed (an image too small for VIF) raises UserError; else it is NaN.
    """
    arrays = [np.asarray(x) for x in (fused, a, b)]
    if is_stack and len({x.shape[0] for x in arrays}) != 1:
        raise UserError(
            "fusion scores need three stacks of as many slices, got "
            + ", ".join("x".join(map(str, x.shape)) for x in arrays)
        )
    common = common_range(arrays)
    grey = [grey_levels(x, common) for x in arrays]
    if not is_stack:
        return _scores(*grey, strict)
    per_slice = [_scores(f, sa, sb, strict) for f, sa, sb in zip(*grey, strict=True)]
    with np.errstate(all="ignore"):
        return {k: float(np.mean([m[k] for m in per_slice])) for k in per_slice[0]}
