"""Small building blocks shared by the generators (dense 3x3 convs: fast on CPUs, see the model card)."""

import torch
import torch.nn.functional as F
from torch import nn


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    # Zero padding is deliberate: it keeps the receptive field local, so tiles blend seam-free.
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1)


class ModulatedResBlock(nn.Module):
    """Residual block whose features are scaled and shifted per channel by a style code (FiLM).

    With no code the block is a plain residual block; that is how fusion generators use it.
    """

    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.conv2 = conv3x3(channels, channels)
        self.code_dim = code_dim
        self.film = nn.Linear(code_dim, 2 * channels) if code_dim > 0 else nn.Identity()
        if code_dim > 0:
            # Start as the identity modulation so early training behaves like a plain network.
            nn.init.zeros_(self.film.weight)
            nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        h = self.conv1(x).relu_()
        if code is not None and self.code_dim > 0:
            gamma_beta = self.film(code)
            gamma, beta = gamma_beta.chunk(2, dim=1)
            h = h * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]
        h = self.conv2(h)
        return (x + h).relu_()


def pad_for_trunk(x: torch.Tensor, edge: int, multiple: int) -> torch.Tensor:
    """Pad `edge` pixels on every side (mirrored) and the bottom/right up to a multiple of `multiple`.

    Mirroring needs more pixels than the pad; tiny images are edge-replicated instead.
    """
    h, w = x.shape[-2], x.shape[-1]
    ph = edge + (multiple - h % multiple) % multiple
    pw = edge + (multiple - w % multiple) % multiple
    if edge == 0 and ph == 0 and pw == 0:
        return x
    mode = "reflect" if h > ph and w > pw else "replicate"
    return F.pad(x, [edge, pw, edge, ph], mode=mode)


def resize_to(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.interpolate(x, size=[h, w], mode="bilinear", align_corners=False)
