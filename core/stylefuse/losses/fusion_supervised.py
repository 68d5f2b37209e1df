"""Fusion losses for pairs with a ground truth, and the mix of real (unsupervised) and synthetic rows."""

import torch
import torch.nn.functional as F
from torch import nn

from .fusion import FusionLoss
from .image_ops import sobel, ssim


class SupervisedFusionLoss(nn.Module):
    """L1 + gradient L1 + (1 - SSIM) of the fused image to the truth: 0 for a perfect fusion."""

    def __init__(self, l1_weight: float = 1.0, gradient_weight: float = 1.0, ssim_weight: float = 0.5):
        super().__init__()
        self.weights = dict(l1=l1_weight, gradient=gradient_weight, ssim=ssim_weight)

    def forward(self, fused: torch.Tensor, truth: torch.Tensor) -> dict[str, torch.Tensor]:
        fx, fy = sobel(fused)
        tx, ty = sobel(truth)
        terms = dict(
            l1=F.l1_loss(fused, truth),
            gradient=F.l1_loss(fx, tx) + F.l1_loss(fy, ty),
            ssim=(1.0 - ssim(fused, truth)).clamp_min(0.0),
        )
        terms["total"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms


class MixedFusionLoss(nn.Module):
    """FusionLoss on the rows without a truth, `supervised_weight` x SupervisedFusionLoss on the rows with one."""

    def __init__(
        self, unsupervised: FusionLoss, supervised: SupervisedFusionLoss, supervised_weight: float = 1.0
    ):
        super().__init__()
        self.unsupervised, self.supervised, self.supervised_weight = (
            unsupervised,
            supervised,
            supervised_weight,
        )

    def forward(
        self,
        fused: torch.Tensor,
        a: torch.Tensor,
        b: torch.Tensor,
        truth: torch.Tensor | None = None,
        rows: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        if truth is None or rows is None:
            return self.unsupervised(fused, a, b)
        terms: dict[str, torch.Tensor] = {}
        total = fused.new_zeros(())
        real = ~rows
        if bool(real.any()):
            for k, v in self.unsupervised(fused[real], a[real], b[real]).items():
                terms[k] = v
            total = total + terms["total"]
        if bool(rows.any()):
            for k, v in self.supervised(fused[rows], truth[rows]).items():
                terms["truth_" + k] = v
            total = total + self.supervised_weight * terms["truth_total"]
        terms["total"] = total
        return terms
