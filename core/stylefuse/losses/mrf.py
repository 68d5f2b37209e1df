"""A patch-matching (MRF) texture loss without a pretrained network (Li & Wand 2016's CNNMRF idea, on
pixels instead of VGG features).

For every output patch (k x k, at each scale) the nearest patch of the painting is found, and the
output patch is pulled towards it (L2). Unlike a Gram or band-histogram statistic, the target is one
real painted patch, not an average, and it is not fixed in position (unlike a paired L1 target): the
output may put a stroke wherever its own content suggests one.

Patches live in the painting's decorrelated colour axes (`synthesis.colour.colour_axes`), optionally
high-pass filtered (the image minus its Gaussian blur) so that they match texture, not tone: the
palette step and the content terms own the tone. The search is exact (squared distances by matmul in
bounded chunks) and carries no gradient; with `match="cosine"` patches are matched by direction
(normalised), so a nearly flat output patch still finds a textured painting patch and is pulled
towards its full energy (texture seeded into flat regions).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..synthesis.colour import colour_axes, gaussian_blur

MATCHES = ("l2", "cosine")


def nearest_rows(queries: torch.Tensor, bank: torch.Tensor, cosine: bool, chunk: int = 2048) -> torch.Tensor:
    """Index into `bank` (M x D) of each query row's (Q x D) nearest row, searched in chunks of queries."""
    with torch.no_grad():
        if cosine:
            queries = F.normalize(queries, dim=1, eps=1e-6)
            bank = F.normalize(bank, dim=1, eps=1e-6)
            bank_sq = None
        else:
            bank_sq = (bank * bank).sum(1)
        out = []
        for start in range(0, queries.shape[0], chunk):
            score = queries[start : start + chunk] @ bank.T  # Q' x M
            if bank_sq is not None:
                score = 2 * score - bank_sq  # larger = nearer (|q|^2 is constant per row)
            out.append(score.argmax(1))
        return torch.cat(out)


def _resize(image: torch.Tensor, scale: float) -> torch.Tensor:
    if scale == 1.0:
        return image
    return F.interpolate(image, scale_factor=scale, mode="bilinear", align_corners=False, antialias=True)


class PatchMRFLoss(nn.Module):
    """Mean squared distance of output patches to their nearest painting patches, over the scales.

    output, style: N x C x H x W in [0, 1]. `pooled`: every sample searches the patches of every style
    crop of the batch (one painting: more of it per step); otherwise sample i searches style[i] only
    (the arbitrary model: each row has its own reference).
    """

    def __init__(
        self,
        patch: int = 7,
        scales: tuple[float, ...] = (0.5, 1.0),
        highpass: float = 4.0,
        match: str = "cosine",
        pooled: bool = False,
        stride: int = 2,
        bank_stride: int = 2,
    ):
        super().__init__()
        if match not in MATCHES:
            raise ValueError(f"unknown patch match {match!r}; choose from {MATCHES}")
        if patch < 1 or stride < 1 or bank_stride < 1 or highpass < 0:
            raise ValueError("patch, stride and bank_stride must be >= 1, highpass >= 0")
        self.patch, self.scales, self.highpass = patch, tuple(scales), highpass
        self.cosine, self.pooled = match == "cosine", pooled
        self.stride, self.bank_stride = stride, bank_stride

    def _features(self, image: torch.Tensor, axes) -> torch.Tensor:
        feats = axes.to_axes(image)
        if self.highpass > 0:
            feats = feats - gaussian_blur(feats, self.highpass)
        return feats

    def forward(
        self, output: torch.Tensor, style: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        total = output.new_zeros(())
        n = output.shape[0]
        groups = [slice(0, n)] if self.pooled else [slice(i, i + 1) for i in range(n)]
        for scale in self.scales:
            out_s, sty_s = _resize(output, scale), _resize(style, scale).detach()
            if min(out_s.shape[-2:]) < self.patch or min(sty_s.shape[-2:]) < self.patch:
                continue
            # a random offset of the strided query grid: every position is a query over the steps
            dy, dx = (int(v) for v in torch.randint(self.stride, (2,), generator=generator))
            for group in groups:
                with torch.no_grad():
                    sty_g = sty_s[group]
                    axes = colour_axes(sty_g.permute(1, 0, 2, 3).flatten(1)[None, :, :, None])
                    bank_feats = self._features(sty_g, axes)
                    bank = F.unfold(bank_feats, self.patch, stride=self.bank_stride)  # G x D x L
                    bank = bank.permute(0, 2, 1).reshape(-1, bank.shape[1])
                out_feats = self._features(out_s[group], axes)[:, :, dy:, dx:]
                queries = F.unfold(out_feats, self.patch, stride=self.stride)
                queries = queries.permute(0, 2, 1).reshape(-1, queries.shape[1])
                nearest = bank[nearest_rows(queries.detach(), bank, self.cosine)]
                total = total + F.mse_loss(queries, nearest) * (group.stop - group.start) / n
        return total / len(self.scales)


class StyleWithMRFLoss(nn.Module):
    """The style task's loss (content/structure and whatever else is weighted) plus weight x the MRF
    term; paired terms too when the inner loss takes targets. The adversarial term is the step's."""

    def __init__(self, inner: nn.Module, mrf: PatchMRFLoss, weight: float):
        super().__init__()
        self.inner, self.mrf, self.weight = inner, mrf, weight

    def forward(self, output, content, style, target=None, generator=None) -> dict[str, torch.Tensor]:
        if target is None:
            terms = self.inner(output, content, style, generator=generator)
        else:
            terms = self.inner(output, content, style, target=target, generator=generator)
        terms["mrf"] = self.mrf(output, style, generator=generator)
        terms["total"] = terms["total"] + self.weight * terms["mrf"]
        return terms
