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

from ._common import to_grey_u8
from .fusion import FUSION_METRIC_NAMES, fusion_metrics, ssim_sum
from .gradient import qabf
from .information import entropy, mutual_information, scd, spatial_frequency, standard_deviation
from .reference import psnr, ssim
from .visual_fidelity import vif

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
