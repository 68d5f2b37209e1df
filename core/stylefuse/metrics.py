"""Image quality metrics: PSNR/SSIM for general use and the eight no-reference fusion metrics.

The fusion metrics (EN, SD, SF, MI, SCD, VIF, Qabf, SSIM) follow the conventions of the public
evaluator that most recent fusion papers use (``utils/Evaluator.py`` shipped with CDDFuse, CVPR 2023,
itself a port of the MATLAB originals), so numbers are comparable with published tables:

- every metric works on grey levels 0..255 (``to_grey_u8``: 0.299R + 0.587G + 0.114B, rounded);
- MI is in nats (natural log), from the joint histogram of the rounded 8-bit images;
- VIF is the pixel-domain multi-scale VIF; numerator and denominator are summed over the four
  scales before dividing (as ``vifp_mscale.m``); a 0/0 result (flat reference) counts as 1;
- Qabf uses Sobel gradients with zero padding, L = 1 and the Xydeas–Petrović constants, including
  the original's quirk that the gradient-strength ratio is set to g_F itself (not 1) where
  g_A == g_F;
- SSIM uses a 7×7 uniform window, the sample covariance and data_range = 2, which is what
  ``skimage.metrics.structural_similarity`` used for float images in older scikit-image versions.

Everything is computed in float64, so results can differ from the evaluator's float32 path in the
last digits. The individual fusion metrics expect 2-D grey-level arrays on the 0..255 scale (use
``to_grey_u8`` first); ``fusion_metrics`` does that conversion itself.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage
from scipy.signal import convolve2d

from stylefuse.errors import UserError

__all__ = [
    "FUSION_METRIC_NAMES",
    "entropy",
    "fusion_metrics",
    "mutual_information",
    "psnr",
    "qabf",
    "scd",
    "spatial_frequency",
    "ssim",
    "ssim_sum",
    "standard_deviation",
    "to_grey_u8",
    "vif",
]

FUSION_METRIC_NAMES: tuple[str, ...] = ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM")

# Xydeas–Petrović Qabf constants (as in the MATLAB original and the CDDFuse evaluator).
_QABF_TG, _QABF_KG, _QABF_DG = 0.9994, -15.0, 0.5
_QABF_TA, _QABF_KA, _QABF_DA = 0.9879, -22.0, 0.8

# VIF: noise variance of the HVS model and the numerical floor.
_VIF_SIGMA_NSQ = 2.0
_VIF_EPS = 1e-10
_VIF_MIN_SIDE = 41  # smallest side for which all four 'valid' scales are non-empty

_RGB_WEIGHTS = np.array([0.299, 0.587, 0.114])


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------


def to_grey_u8(img: ArrayLike) -> np.ndarray:
    """Grey levels 0..255 (integer-valued float64, 2-D) of an image, as the fusion evaluator reads it.

    Accepted inputs:

    - shape (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA (alpha is dropped);
    - uint8 (or any integer dtype) with values 0..255, taken as is;
    - float: if all values are within 0..1 the image is taken as 0..1 and multiplied by 255,
      otherwise it is taken as 0..255. (So a float 0..255 image whose maximum is <= 1 is read as
      0..1: pass such near-black images as uint8.)

    Float values are clipped to 0..255 and rounded per channel (as saving an 8-bit PNG would), then
    RGB becomes round(0.299 R + 0.587 G + 0.114 B).
    """
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[2] == 1 else arr[..., :3]
    if arr.ndim not in (2, 3):
        raise UserError(f"expected an image of shape (H, W) or (H, W, 1|3|4), got shape {arr.shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise UserError(f"expected an integer or float image, got dtype {arr.dtype}")
    if arr.size == 0:
        raise UserError("expected a non-empty image")

    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise UserError(
                f"integer image values must be within 0..255, got {arr.min()}..{arr.max()} "
                "(scale 16-bit images to 8 bits first)"
            )
        chans = arr.astype(np.float64)
    else:
        chans = arr.astype(np.float64)
        if not np.all(np.isfinite(chans)):
            raise UserError("image contains NaN or infinite values")
        if chans.min() >= 0.0 and chans.max() <= 1.0:
            chans = chans * 255.0
        chans = np.round(np.clip(chans, 0.0, 255.0))

    if chans.ndim == 3:
        chans = np.round(chans @ _RGB_WEIGHTS)
    return np.clip(chans, 0.0, 255.0)


def _as_grey(img: ArrayLike, name: str = "image") -> np.ndarray:
    arr = np.asarray(img, dtype=np.float64)
    if arr.ndim != 2:
        raise UserError(f"{name} must be a 2-D grey-level array (use to_grey_u8), got shape {arr.shape}")
    if arr.size == 0:
        raise UserError(f"{name} is empty")
    return arr


def _as_grey_triple(
    fused: ArrayLike, a: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f, a_, b_ = _as_grey(fused, "fused"), _as_grey(a, "source a"), _as_grey(b, "source b")
    if not f.shape == a_.shape == b_.shape:
        raise UserError(f"shape mismatch: fused {f.shape}, a {a_.shape}, b {b_.shape}")
    return f, a_, b_


def _levels_u8(img: np.ndarray) -> np.ndarray:
    """Integer grey levels 0..255 (rounded, clipped) as an int64 array."""
    return np.clip(np.round(img), 0, 255).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# general-purpose full-reference metrics
# --------------------------------------------------------------------------------------------------


def psnr(x: ArrayLike, y: ArrayLike, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB, 10 log10(data_range² / MSE); inf for identical images."""
    x_ = np.asarray(x, dtype=np.float64)
    y_ = np.asarray(y, dtype=np.float64)
    if x_.shape != y_.shape:
        raise UserError(f"shape mismatch: {x_.shape} vs {y_.shape}")
    if data_range <= 0:
        raise UserError(f"data_range must be positive, got {data_range}")
    mse = float(np.mean((x_ - y_) ** 2))
    if mse == 0.0:
        return math.inf
    return float(10.0 * np.log10(data_range**2 / mse))


def _ssim_channel(
    x: np.ndarray,
    y: np.ndarray,
    data_range: float,
    gaussian_weights: bool,
    win_size: int,
    sigma: float,
    k1: float,
    k2: float,
    sample_covariance: bool,
) -> float:
    if gaussian_weights:
        truncate = 3.5
        radius = int(truncate * sigma + 0.5)

        def filt(img: np.ndarray) -> np.ndarray:
            return ndimage.gaussian_filter(img, sigma=sigma, truncate=truncate, mode="reflect")

        n_pix = (2 * radius + 1) ** 2
    else:
        radius = (win_size - 1) // 2

        def filt(img: np.ndarray) -> np.ndarray:
            return ndimage.uniform_filter(img, size=win_size, mode="reflect")

        n_pix = win_size**2
    side = 2 * radius + 1
    if min(x.shape) < side:
        raise UserError(f"SSIM needs images of at least {side}×{side} pixels, got {x.shape}")
    cov_norm = n_pix / (n_pix - 1.0) if sample_covariance else 1.0

    ux, uy = filt(x), filt(y)
    vx = cov_norm * (filt(x * x) - ux * ux)
    vy = cov_norm * (filt(y * y) - uy * uy)
    vxy = cov_norm * (filt(x * y) - ux * uy)
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    s_map = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    # only windows that lie fully inside the image count (MATLAB 'valid')
    inner = s_map[radius : s_map.shape[0] - radius, radius : s_map.shape[1] - radius]
    return float(inner.mean())


def ssim(
    x: ArrayLike,
    y: ArrayLike,
    data_range: float,
    *,
    gaussian_weights: bool = True,
    win_size: int = 7,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    sample_covariance: bool | None = None,
) -> float:
    """Mean structural similarity (Wang et al. 2004) of grey (H, W) or colour (H, W, C) images.

    By default an 11×11 Gaussian window with sigma 1.5 and the population covariance, as in the
    paper; ``gaussian_weights=False`` uses a ``win_size`` uniform window instead. The map is averaged
    over windows that lie fully inside the image; colour images give the mean over channels.
    ``sample_covariance`` defaults to ``not gaussian_weights`` (scikit-image's conventions).
    """
    x_ = np.asarray(x, dtype=np.float64)
    y_ = np.asarray(y, dtype=np.float64)
    if x_.shape != y_.shape:
        raise UserError(f"shape mismatch: {x_.shape} vs {y_.shape}")
    if x_.ndim not in (2, 3):
        raise UserError(f"expected (H, W) or (H, W, C) images, got shape {x_.shape}")
    if data_range <= 0:
        raise UserError(f"data_range must be positive, got {data_range}")
    if not gaussian_weights and (win_size < 3 or win_size % 2 == 0):
        raise UserError(f"win_size must be odd and >= 3, got {win_size}")
    if sample_covariance is None:
        sample_covariance = not gaussian_weights
    args = (data_range, gaussian_weights, win_size, sigma, k1, k2, sample_covariance)
    if x_.ndim == 2:
        return _ssim_channel(x_, y_, *args)
    return float(np.mean([_ssim_channel(x_[..., c], y_[..., c], *args) for c in range(x_.shape[2])]))


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
    g = np.exp(-(np.arange(n) - r) ** 2 / (2.0 * sd * sd))
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


def ssim_sum(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> float:
    """SSIM (fusion): SSIM(F, A) + SSIM(F, B), 7×7 uniform window, sample covariance, data_range 2.

    data_range = 2 is what older scikit-image used for float images (that here hold 0..255); the
    published numbers depend on it, so it is fixed.
    """
    f, a_, b_ = _as_grey_triple(fused, a, b)
    return sum(
        ssim(f, src, 2.0, gaussian_weights=False, win_size=7, sample_covariance=True) for src in (a_, b_)
    )


def fusion_metrics(fused: ArrayLike, a: ArrayLike, b: ArrayLike) -> dict[str, float]:
    """All eight fusion metrics of ``fused`` against sources ``a`` and ``b``, keyed by FUSION_METRIC_NAMES.

    Inputs may be grey or RGB, uint8 or float (see ``to_grey_u8``); each is converted to 8-bit grey
    levels first. Higher is better for every metric.
    """
    f, a_, b_ = to_grey_u8(fused), to_grey_u8(a), to_grey_u8(b)
    _as_grey_triple(f, a_, b_)  # shape check
    values = (
        entropy(f),
        standard_deviation(f),
        spatial_frequency(f),
        mutual_information(f, a_, b_),
        scd(f, a_, b_),
        vif(f, a_, b_),
        qabf(f, a_, b_),
        ssim_sum(f, a_, b_),
    )
    return dict(zip(FUSION_METRIC_NAMES, values, strict=True))
