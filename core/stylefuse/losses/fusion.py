"""Loss for fusion: keep the brighter intensity, the stronger edge, and the structure of both."""

import torch
import torch.nn.functional as F
from torch import nn

from .image_ops import sobel, ssim


class FusionLoss(nn.Module):
    def __init__(self, intensity_weight: float = 1.0, gradient_weight: float = 2.0, ssim_weight: float = 0.5):
        super().__init__()
        self.weights = dict(intensity=intensity_weight, gradient=gradient_weight, ssim=ssim_weight)

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
        terms["total"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms
