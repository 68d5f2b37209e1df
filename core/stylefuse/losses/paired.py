"""Paired losses to synthesis targets: the fast style generators learn from `stylefuse.synthesis`.

The synthesis engine paints every training photo with the painting's own patches; those paintings
are the targets (`stylefuse train --targets DIR`). Two terms:

- pixel: L1 between the output and the target crop. On its own it teaches the layout of the
  strokes but, where the generator cannot know exactly which stroke synthesis chose, L1's optimum is
  their blur: the texture would be averaged away.
- bands: per difference-of-Gaussians band (the bands synthesis matches, `synthesis.colour.band_pyramid`)
  and channel, the 1-D Wasserstein distance between the output's and the target's value
  distributions (sorted values compared). It asks for the target's amount and kind of detail at
  every scale without asking where, so it is what keeps the strokes' energy that L1 would blur.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..synthesis.colour import BAND_SIGMAS, band_pyramid

# Fine bands carry little energy next to the low-pass rest; the distances are divided by the
# target band's own spread so each scale counts about equally.
BAND_EPS = 1e-3


def sorted_band_distance(
    out_band: torch.Tensor, target_band: torch.Tensor, normalise: bool = True
) -> torch.Tensor:
    """Mean over samples and channels of W1(out values, target values) of one band (N x C x H x W)."""
    n, c = out_band.shape[:2]
    so = out_band.reshape(n, c, -1).sort(dim=2).values
    st = target_band.reshape(n, c, -1).sort(dim=2).values
    distance = (so - st).abs().mean(dim=2)  # N x C
    if normalise:
        distance = distance / (st.std(dim=2) + BAND_EPS)
    return distance.mean()


def band_statistics_loss(output: torch.Tensor, target: torch.Tensor, sigmas=BAND_SIGMAS) -> torch.Tensor:
    """Per-band histogram distance (DoG bands, finest first; the low-pass rest excluded: the pixel
    term already pins the colours, and the rest's histogram of a crop is the crop's layout)."""
    out_bands = band_pyramid(output, sigmas)[:-1]
    with torch.no_grad():
        target_bands = band_pyramid(target, sigmas)[:-1]
    return sum(sorted_band_distance(o, t) for o, t in zip(out_bands, target_bands, strict=True)) / len(
        out_bands
    )


class PairedTargetLoss(nn.Module):
    """pixel_weight x L1(output, target) + band_weight x band statistics; returns the named terms."""

    def __init__(self, pixel_weight: float = 1.0, band_weight: float = 1.0):
        super().__init__()
        self.pixel_weight, self.band_weight = pixel_weight, band_weight

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        if output.shape != target.shape:
            raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
        pixel = F.l1_loss(output, target)
        bands = band_statistics_loss(output, target) if self.band_weight > 0 else output.new_zeros(())
        return {
            "paired_pixel": pixel,
            "paired_bands": bands,
            "paired": self.pixel_weight * pixel + self.band_weight * bands,
        }


class StyleWithTargetsLoss(nn.Module):
    """The style task's loss with synthesis targets: every StyleTransferLoss term (content/structure
    above all) plus the paired terms; the adversarial term is added by the training step as before."""

    def __init__(self, style_loss: nn.Module, paired: PairedTargetLoss):
        super().__init__()
        self.style_loss, self.paired = style_loss, paired

    def forward(
        self,
        output: torch.Tensor,
        content: torch.Tensor,
        style: torch.Tensor,
        target: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        terms = self.style_loss(output, content, style, generator=generator)
        if target is None:
            raise ValueError("training with --targets needs the batch's target crops")
        paired = self.paired(output, target)
        terms |= paired
        terms["total"] = terms["total"] + paired["paired"]
        return terms
