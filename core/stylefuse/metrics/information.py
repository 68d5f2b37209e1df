"""Fusion metrics from statistics and information: EN, SD, SF, MI, SCD."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from stylefuse.errors import UserError

from ._common import _as_grey, _as_grey_triple, _levels_u8

# --------------------------------------------------------------------------------------------------
# fusion metrics (no reference): single-image
# --------------------------------------------------------------------------------------------------


def entropy(img: ArrayLike) -> float:
    """EN: Shannon entropy in bits of the 256-bin histogram of the (rounded) grey levels."""
    levels = _levels_u8(_as_grey(img)).ravel()
    p = np.bincount(levels, minlength=256) / levels.size
    p = p[p > 0]
    return float(-np.sum(p * np.log2(p)))


def standard_deviation(img: ArrayLike) -> float:
    """SD: population standard deviation of the grey levels."""
    return float(np.std(_as_grey(img)))


def spatial_frequency(img: ArrayLike) -> float:
    """SF: sqrt(mean(dx²) + mean(dy²)) with dx, dy the horizontal/vertical first differences."""
    g = _as_grey(img)
    if min(g.shape) < 2:
        raise UserError(f"SF needs at least 2×2 pixels, got {g.shape}")
    dx = np.diff(g, axis=1)
    dy = np.diff(g, axis=0)
    return float(np.sqrt(np.mean(dx * dx) + np.mean(dy * dy)))


# --------------------------------------------------------------------------------------------------
# fusion metrics: fused image against the two sources
# --------------------------------------------------------------------------------------------------


def _mi_pair(x: np.ndarray, y: np.ndarray) -> float:
    joint = np.bincount((x.ravel() * 256 + y.ravel()), minlength=256 * 256).reshape(256, 256)
    pxy = joint / x.size
    px = pxy.sum(axis=1, keepdims=True)
    py = pxy.sum(axis=0, keepdims=True)
    nz = pxy > 0
    mi = np.sum(pxy[nz] * np.log(pxy[nz] / (px @ py)[nz]))
    return float(max(mi, 0.0))


def mutual_information(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """MI: MI(F, A) + MI(F, B) in nats, from 256×256 joint histograms of the rounded 8-bit images.

    Same as the evaluator's ``sklearn.metrics.mutual_info_score`` on integer grey levels.
    """
    f, a_, b_ = (_levels_u8(x) for x in _as_grey_triple(fused, a, b))
    return _mi_pair(f, a_) + _mi_pair(f, b_)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    yc = y - y.mean()
    den = math.sqrt(float(np.sum(xc * xc)) * float(np.sum(yc * yc)))
    if den == 0.0:
        return 0.0
    return float(np.sum(xc * yc) / den)


def scd(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """SCD: sum of the correlations of differences, corr(A, F − B) + corr(B, F − A).

    A term whose correlation is undefined (one of its images is constant, e.g. F == A) counts as 0;
    the evaluator would return NaN there.
    """
    f, a_, b_ = _as_grey_triple(fused, a, b)
    return _corr(a_, f - b_) + _corr(b_, f - a_)
