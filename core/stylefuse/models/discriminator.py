"""PatchGAN discriminators (single- and multi-scale) with spectral normalisation."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    """Judges overlapping patches as real or generated; returns a map of logits."""

    def __init__(self, channels: int = 3, base: int = 32, n_layers: int = 3, spectral: bool = True):
        super().__init__()
        wrap = spectral_norm if spectral else (lambda m: m)
        layers = []
        in_ch, out_ch = channels, base
        for _i in range(n_layers):
            layers.append(wrap(nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1)))
            in_ch, out_ch = out_ch, min(out_ch * 2, base * 8)
        layers.append(wrap(nn.Conv2d(in_ch, in_ch, 3, padding=1)))
        self.layers = nn.ModuleList(layers)
        self.out = wrap(nn.Conv2d(in_ch, 1, 3, padding=1))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
            feats.append(x)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x)[-1])


class MultiScaleDiscriminator(nn.Module):
    """PatchGANs on the image and on 2x, 4x ... downsampled copies: strokes and layout both judged."""

    def __init__(
        self, channels: int = 3, base: int = 32, n_layers: int = 3, n_scales: int = 2, spectral: bool = True
    ):
        super().__init__()
        self.scales = nn.ModuleList(
            [PatchDiscriminator(channels, base, n_layers, spectral) for _ in range(n_scales)]
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        logits = []
        for i, d in enumerate(self.scales):
            if i > 0:
                x = F.avg_pool2d(x, 2)
            logits.append(d(x))
        return logits
