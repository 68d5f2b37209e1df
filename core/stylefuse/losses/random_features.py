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
    def __init__(
        self,
        in_ch: int = 3,
        widths: tuple[int, ...] = DEFAULT_WIDTHS,
        seed: int = 1234,
        first_kernel: int = 5,
        standardised_input: bool = False,
    ):
        super().__init__()
        # standardised_input: the caller already gives zero-mean, unit-deviation channels.
        self.standardised_input = standardised_input
        gen = torch.Generator().manual_seed(seed)
        convs = []
        prev = in_ch
        for i, w in enumerate(widths):
            k = first_kernel if i == 0 else 3
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
        h = x if self.standardised_input else (x - 0.45) / 0.25
        feats = []
        for i, conv in enumerate(self.convs):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = F.relu(conv(h))
            feats.append(h)
        return feats


def standardise_channels(x: torch.Tensor) -> torch.Tensor:
    """Each channel of each image at zero mean and unit deviation (colour no longer counts)."""
    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
    return (x - mean) / std


def relative_gram_distance(fa: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ||G(a) - G(b)||_F / ||G(b)||_F (scale-free: every layer counts alike).

    G(b) is the mean over b's batch: style crops are small samples of one painting, and their mean
    Gram matrix is a steadier target than each crop's own.
    """
    ga, gb = gram(fa), gram(fb).mean(dim=0, keepdim=True)
    return ((ga - gb).flatten(1).norm(dim=1) / gb.flatten(1).norm(dim=1).clamp_min(1e-8)).mean()


def gram(feat: torch.Tensor) -> torch.Tensor:
    n, c, h, w = feat.shape
    f = feat.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def mean_std(feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return feat.mean(dim=[2, 3]), feat.std(dim=[2, 3]) + 1e-5
