"""A fixed, random-weight convolutional feature network.

No pretrained network can be downloaded, yet the statistics (means, standard deviations, Gram
matrices) of many random conv filters still describe texture and colour well, and deep random
features keep spatial layout. The weights come from a seed, are never trained and never saved.
"""

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_WIDTHS = (32, 64, 128, 256)


class RandomFeatureNet(nn.Module):
    def __init__(self, in_ch: int = 3, widths: tuple[int, ...] = DEFAULT_WIDTHS, seed: int = 1234):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        convs = []
        prev = in_ch
        for i, w in enumerate(widths):
            k = 5 if i == 0 else 3
            conv = nn.Conv2d(prev, w, k, padding=k // 2, padding_mode="reflect")
            fan_in = prev * k * k
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen) * 0.1)
            conv.requires_grad_(False)
            convs.append(conv)
            prev = w
        self.convs = nn.ModuleList(convs)
        self.in_ch = in_ch

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.shape[1] != self.in_ch:
            x = x.expand(-1, self.in_ch, -1, -1)
        h = (x - 0.45) / 0.25
        feats = []
        for i, conv in enumerate(self.convs):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = F.relu(conv(h))
            feats.append(h)
        return feats


def gram(feat: torch.Tensor) -> torch.Tensor:
    n, c, h, w = feat.shape
    f = feat.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def mean_std(feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return feat.mean(dim=[2, 3]), feat.std(dim=[2, 3]) + 1e-5
