"""Qabf (fusion): edge information carried from the sources to the fused image (Xydeas-Petrovic)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import convolve2d

from ._common import _as_grey_triple

# Xydeas-Petrovic Qabf constants (as in the MATLAB original and the CDDFuse evaluator).
_QABF_TG, _QABF_KG, _QABF_DG = 0.9994, -15.0, 0.5
_QABF_TA, _QABF_KA, _QABF_DA = 0.9879, -22.0, 0.8


_SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_SOBEL_Y = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])


def _sobel_strength_angle(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel edge strength and orientation atan(sy / sx) (pi/2 where sx == 0), zero padding."""
    sx = convolve2d(img, _SOBEL_X, mode="same", boundary="fill", fillvalue=0)
    sy = convolve2d(img, _SOBEL_Y, mode="same", boundary="fill", fillvalue=0)
    strength = np.sqrt(sx * sx + sy * sy)
    angle = np.full(img.shape, math.pi / 2)
    nz = sx != 0
    angle[nz] = np.arctan(sy[nz] / sx[nz])
    return strength, angle


def _qabf_preservation(g_src: np.ndarray, a_src: np.ndarray, g_f: np.ndarray, a_f: np.ndarray) -> np.ndarray:
    """Per-pixel edge preservation Q^{XF} = Q_g · Q_a of the source X in the fused image F."""
    ratio = np.empty_like(g_src)
    gt, lt, eq = g_src > g_f, g_src < g_f, g_src == g_f
    ratio[gt] = g_f[gt] / g_src[gt]
    ratio[lt] = g_src[lt] / g_f[lt]
    ratio[eq] = g_f[eq]  # the original's convention (not 1) where strengths are equal
    orient = 1.0 - np.abs(a_src - a_f) / (math.pi / 2)
    q_g = _QABF_TG / (1.0 + np.exp(_QABF_KG * (ratio - _QABF_DG)))
    q_a = _QABF_TA / (1.0 + np.exp(_QABF_KA * (orient - _QABF_DA)))
    return q_g * q_a


def qabf(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """Qabf: Xydeas–Petrović gradient-based edge preservation, weighted by source edge strength (L=1).

    Returns NaN when neither source has any edge (the index is undefined there).
    """
    f, a_, b_ = _as_grey_triple(fused, a, b)
    g_a, ang_a = _sobel_strength_angle(a_)
    g_b, ang_b = _sobel_strength_angle(b_)
    g_f, ang_f = _sobel_strength_angle(f)
    q_af = _qabf_preservation(g_a, ang_a, g_f, ang_f)
    q_bf = _qabf_preservation(g_b, ang_b, g_f, ang_f)
    den = float(np.sum(g_a + g_b))
    if den == 0.0:
        return math.nan
    return float(np.sum(q_af * g_a + q_bf * g_b) / den)
