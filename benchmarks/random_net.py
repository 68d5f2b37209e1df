"""The fixed random conv net behind the benchmark's Gram texture scores (style_metrics' seed-777 net and
texture_metrics' net B): [k x k conv + ReLU] per layer, 2x2 pooling between, weights drawn once from a
seed, never trained. Each score keeps its own seed, widths, kernels, weight draw and pooling."""

from __future__ import annotations

import numpy as np
import torch


class RandomConvNet(torch.nn.Module):
    """widths/kernels: one per layer; init "normal" (He-normal weights, N(0, 0.1) biases) or "uniform"
    (He-uniform weights, U(-0.2, 0.2) biases); pool "avg" or "max"."""

    def __init__(self, widths, kernels, seed: int, init: str, pool: str):
        super().__init__()
        if init not in ("normal", "uniform") or pool not in ("avg", "max"):
            raise ValueError(f"init {init!r}, pool {pool!r}")
        self.pool = torch.nn.functional.avg_pool2d if pool == "avg" else torch.nn.functional.max_pool2d
        gen = torch.Generator().manual_seed(seed)
        self.convs = torch.nn.ModuleList()
        c_in = 3
        for width, k in zip(widths, kernels, strict=True):
            conv = torch.nn.Conv2d(c_in, width, k, padding=k // 2, padding_mode="reflect")
            fan_in = c_in * k * k
            with torch.no_grad():
                if init == "normal":
                    conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                    conv.bias.copy_(torch.randn(width, generator=gen) * 0.1)
                else:
                    bound = (6.0 / fan_in) ** 0.5
                    conv.weight.copy_((torch.rand(conv.weight.shape, generator=gen) * 2 - 1) * bound)
                    conv.bias.copy_((torch.rand(width, generator=gen) * 2 - 1) * 0.2)
            conv.requires_grad_(False)
            self.convs.append(conv)
            c_in = width
        self.eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i, conv in enumerate(self.convs):
            if i:
                x = self.pool(x, 2)
            x = torch.relu(conv(x))
            feats.append(x)
        return feats


def standardise(x: torch.Tensor) -> torch.Tensor:
    """1 x C x H x W, each channel at zero mean and unit deviation (deviation floored at 1e-3)."""
    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
    return (x - mean) / std


def gram(feature: torch.Tensor) -> torch.Tensor:
    """The Gram matrix (C x C, divided by H x W, float64) of a 1 x C x H x W feature map."""
    flat = feature[0].flatten(1).double()
    return flat @ flat.T / flat.shape[1]


def gram_distance(grams_x: list[torch.Tensor], grams_ref: list[torch.Tensor]) -> float:
    """Mean over layers of ||G_x - G_ref||_F / ||G_ref||_F."""
    return float(
        np.mean(
            [
                float(torch.linalg.norm(gx - gr) / torch.linalg.norm(gr))
                for gx, gr in zip(grams_x, grams_ref, strict=True)
            ]
        )
    )
