"""Loss for fusion: keep the brighter intensity, the stronger edge, and the structure of both.

Optionally the sum of the correlations of differences (SCD, Aslantas and Bendes 2015), per image:
corr(A, F - B) + corr(B, F - A). Max-intensity and max-gradient targets pull a fusion towards
picking one input per pixel, which keeps each input's contrast but little of what the other input
adds where it loses (infrared/visible models scored SCD 1.1 against guided-filter fusion's 1.3);
SCD rewards carrying each input's complementary part into the result.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .image_ops import sobel, ssim


def correlation(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of each image of x with the same image of y (over C x H x W): N values."""
    xc = x.flatten(1) - x.flatten(1).mean(1, keepdim=True)
    yc = y.flatten(1) - y.flatten(1).mean(1, keepdim=True)
    return (xc * yc).sum(1) / torch.sqrt((xc * xc).sum(1) * (yc * yc).sum(1) + eps)


class FusionLoss(nn.Module):
    def __init__(
        self,
        intensity_weight: float = 1.0,
        gradient_weight: float = 2.0,
        ssim_weight: float = 0.5,
        scd_weight: float = 0.0,
    ):
        super().__init__()
        self.weights = dict(intensity=intensity_weight, gradient=gradient_weight, ssim=ssim_weight)
        if scd_weight:
            self.weights["scd"] = scd_weight

    def forward(self, fused: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        intensity = F.l1_loss(fused, torch.maximum(a, b))
        fx, fy = sobel(fused)
        ax, ay = sobel(a)
        bx, by = sobel(b)
        # Per pixel, the target gradient is the source gradient with the larger magnitude.
        take_a = (ax * ax + ay * ay) >= (bx * bx + by * by)
        tx = torch.where(take_a, ax, bx)
        ty = torch.where(take_a, ay, by)
        gradient = F.l1_loss(fx, tx) + F.l1_loss(fy, ty)
        ssim_term = (1.0 - ssim(fused, a)) + (1.0 - ssim(fused, b))
        terms = dict(intensity=intensity, gradient=gradient, ssim=ssim_term)
        if "scd" in self.weights:
            # 2 - SCD: >= 0, zero only where both differences correlate perfectly with the other input
            terms["scd"] = 2.0 - (correlation(a, fused - b) + correlation(b, fused - a)).mean()
        terms["total"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms
