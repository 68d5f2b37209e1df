"""VIF (fusion): pixel-domain multi-scale visual information fidelity of the fused image to each source."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from stylefuse.errors import UserError

from ._common import _as_grey_triple

# VIF: noise variance of the HVS model and the numerical floor.
_VIF_SIGMA_NSQ = 2.0
_VIF_EPS = 1e-10
_VIF_MIN_SIDE = 41  # smallest side for which all four 'valid' scales are non-empty


def _vif_window(n: int) -> np.ndarray:
    """n×n Gaussian window with sd n/5, as MATLAB's fspecial('gaussian', n, n/5)."""
    sd = n / 5.0
    r = (n - 1) / 2.0
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    h = np.exp(-(xx * xx + yy * yy) / (2.0 * sd * sd))
    h[h < np.finfo(h.dtype).eps * h.max()] = 0.0
    return h / h.sum()


def _vif_window_1d(n: int) -> np.ndarray:
    """The 1-D factor g of the n×n window: ``_vif_window(n)`` equals outer(g, g) (no entry is cut off there)."""
    sd = n / 5.0
    r = (n - 1) / 2.0
    g = np.exp(-((np.arange(n) - r) ** 2) / (2.0 * sd * sd))
    return g / g.sum()


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """2-D 'valid' convolution with the separable symmetric window outer(g, g), as two 1-D passes.

    Same result as ``convolve2d(img, outer(g, g), mode="valid")`` up to rounding (about 10x faster for
    the 17×17 window), and exact zeros stay exact zeros (black backgrounds decide VIF's flat tests).
    """
    r = len(g) // 2
    rows = ndimage.correlate1d(img, g, axis=0, mode="constant")[r : img.shape[0] - r]
    return ndimage.correlate1d(rows, g, axis=1, mode="constant")[:, r : img.shape[1] - r]


def _vif_pair(ref: np.ndarray, dist: np.ndarray) -> float:
    """Pixel-domain VIF of ``dist`` against reference ``ref``, sums over 4 scales then num / den."""
    num = 0.0
    den = 0.0
    for scale in range(1, 5):
        n = 2 ** (5 - scale) + 1  # 17, 9, 5, 3
        win = _vif_window_1d(n)

        def filt(img: np.ndarray, w: np.ndarray = win) -> np.ndarray:
            return _filter_valid(img, w)

        if scale > 1:
            ref = filt(ref)[::2, ::2]
            dist = filt(dist)[::2, ::2]
        mu1, mu2 = filt(ref), filt(dist)
        sigma1_sq = np.maximum(filt(ref * ref) - mu1 * mu1, 0.0)
        sigma2_sq = np.maximum(filt(dist * dist) - mu2 * mu2, 0.0)
        sigma12 = filt(ref * dist) - mu1 * mu2

        g = sigma12 / (sigma1_sq + _VIF_EPS)
        sv_sq = sigma2_sq - g * sigma12

        flat_ref = sigma1_sq < _VIF_EPS
        g[flat_ref] = 0.0
        sv_sq[flat_ref] = sigma2_sq[flat_ref]
        sigma1_sq[flat_ref] = 0.0

        flat_dist = sigma2_sq < _VIF_EPS
        g[flat_dist] = 0.0
        sv_sq[flat_dist] = 0.0

        neg = g < 0
        sv_sq[neg] = sigma2_sq[neg]
        g[neg] = 0.0
        sv_sq[sv_sq <= _VIF_EPS] = _VIF_EPS

        num += float(np.sum(np.log10(1.0 + g * g * sigma1_sq / (sv_sq + _VIF_SIGMA_NSQ))))
        den += float(np.sum(np.log10(1.0 + sigma1_sq / _VIF_SIGMA_NSQ)))
    if den == 0.0:
        return 1.0  # 0/0: flat reference (the evaluator maps its NaN to 1)
    return num / den


def vif(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """VIF: multi-scale pixel-domain visual information fidelity, VIF(A, F) + VIF(B, F).

    Four scales with Gaussian windows 17/9/5/3 (sd = N/5), noise variance 2; images need at least
    41 pixels on each side.
    """
    f, a_, b_ = _as_grey_triple(fused, a, b)
    if min(f.shape) < _VIF_MIN_SIDE:
        raise UserError(f"VIF needs at least {_VIF_MIN_SIDE}×{_VIF_MIN_SIDE} pixels, got {f.shape}")
    return _vif_pair(a_, f) + _vif_pair(b_, f)
