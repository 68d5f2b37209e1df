"""Loss for fusion: keep the brighter intensity, the stronger edge, and the structure of both.

Optionally the sum of the correlations of differences (SCD, Aslantas and Bendes 2015), per image:
corr(A, F - B) + corr(B, F - A). Max-intensity and max-gradient targets pull a fusion towards
picking one input per pixel, which keeps each input's contrast but little of what the other input
adds where it loses (infrared/visible models scored SCD 1.1 against guided-filter fusion's 1.3);
SCD rewards carrying each input's complementary part into the result.

`targets="saliency"` (issue 17, design B) replaces the two terms that made infrared/visible fusions
drift away from both sources (SSIM(F,A) + SSIM(F,B) 0.86 where averaging scores 0.92 on the
validation pairs): the intensity target max(A, B) is brighter than either source wherever they
alternate (a fused TNO image averaged 92 grey levels from sources of 86 and 87), and the plain SSIM
to both sources asks for the same structure everywhere. Instead, per pixel, each source gets the
weight of its local gradient energy (Sobel magnitude, box-filtered over SALIENCY_RADIUS):
the intensity target is the saliency-weighted mean of A and B (it lies between them) and the SSIM
term is 1 - SSIM map to each source, weighted by that source's saliency (U2Fusion-style adaptive
information preservation, per pixel instead of per image). The max-abs gradient term stays.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .image_ops import sobel, ssim, ssim_map

SALIENCY_RADIUS = 5  # px: the box over which gradient energy decides a source's share (11 x 11)


def correlation(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of each image of x with the same image of y (over C x H x W): N values."""
    xc = x.flatten(1) - x.flatten(1).mean(1, keepdim=True)
    yc = y.flatten(1) - y.flatten(1).mean(1, keepdim=True)
    return (xc * yc).sum(1) / torch.sqrt((xc * xc).sum(1) * (yc * yc).sum(1) + eps)


def saliency_share(energy_a: torch.Tensor, energy_b: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """A's share in [0, 1] of the local gradient energy (box mean over SALIENCY_RADIUS); 0.5 where both are flat."""
    k = 2 * SALIENCY_RADIUS + 1
    ea = F.avg_pool2d(energy_a.sqrt(), k, stride=1, padding=SALIENCY_RADIUS, count_include_pad=False)
    eb = F.avg_pool2d(energy_b.sqrt(), k, stride=1, padding=SALIENCY_RADIUS, count_include_pad=False)
    return (ea + eps) / (ea + eb + 2.0 * eps)


class FusionLoss(nn.Module):
    def __init__(
        self,
        intensity_weight: float = 1.0,
        gradient_weight: float = 2.0,
        ssim_weight: float = 0.5,
        scd_weight: float = 0.0,
        targets: str = "max",
    ):
        super().__init__()
        if targets not in ("max", "saliency"):
            raise ValueError(f"fusion loss targets must be max or saliency, not {targets!r}")
        self.targets = targets
        self.weights = dict(intensity=intensity_weight, gradient=gradient_weight, ssim=ssim_weight)
        if scd_weight:
            self.weights["scd"] = scd_weight

    def forward(self, fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        fx, fy = sobel(fused)
        ax, ay = sobel(a)
        bx, by = sobel(b)
        if self.targets == "saliency":
            wa = saliency_share(ax * ax + ay * ay, bx * bx + by * by)
            intensity = F.l1_loss(fused, wa * a + (1.0 - wa) * b)
            ssim_term = (
                2.0 * (wa * (1.0 - ssim_map(fused, a)) + (1.0 - wa) * (1.0 - ssim_map(fused, b))).mean()
            )
        else:
            intensity = F.l1_loss(fused, torch.maximum(a, b))
            ssim_term = (1.0 - ssim(fused, a)) + (1.0 - ssim(fused, b))
        # Per pixel, the target gradient is the source gradient with the larger magnitude.
        take_a = (ax * ax + ay * ay) >= (bx * bx + by * by)
        tx = torch.where(take_a, ax, bx)
        ty = torch.where(take_a, ay, by)
        gradient = F.l1_loss(fx, tx) + F.l1_loss(fy, ty)
        terms = dict(intensity=intensity, gradient=gradient, ssim=ssim_term)
        if "scd" in self.weights:
            # 2 - SCD: >= 0, zero only where both differences correlate perfectly with the other input
            terms["scd"] = 2.0 - (correlation(a, fused - b) + correlation(b, fused - a)).mean()
        terms["total"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms
