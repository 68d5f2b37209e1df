"""All eight fusion metrics at once, and SSIM(F, A) + SSIM(F, B)."""

from __future__ import annotations

from numpy.typing import ArrayLike

from ._common import _as_grey_triple, to_grey_u8
from .gradient import qabf
from .information import entropy, mutual_information, scd, spatial_frequency, standard_deviation
from .reference import ssim
from .visual_fidelity import vif

FUSION_METRIC_NAMES: tuple[str, ...] = ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM")


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
