"""Full-reference metrics for general use: PSNR and SSIM."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from stylefuse.errors import UserError

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
