"""The generator family G(source, reference, z=None) for both tasks.

Both generators share one trunk: two stride-2 dense 3x3 convs down to 1/4 resolution, residual
blocks there (where most of the compute is cheap), and upsampling with a skip back to full
resolution. Dense convs at reduced resolution are what runs fast on CPUs with PyTorch; depthwise
convs and wide full-resolution layers are slow there (see the model card's GFLOP/MP).

- StyleGenerator: the reference (a style image) is summarised once into a style code by a small
  encoder (channel means and standard deviations of its features); the code modulates the residual
  blocks (FiLM). A single-style model also stores the code of its training painting, so the
  reference may be omitted. The output is a residual in logit space around the source.
- FusionGenerator: source and reference are two aligned images; the trunk sees both and predicts a
  per-pixel blending weight plus a small residual; the result is exactly zero where both inputs are.
"""


import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ModulatedResBlock, conv3x3, pad_to_multiple, resize_to

SPATIAL_MULTIPLE = 4  # the trunk works at 1/4 resolution: tile origins must be multiples of this
FULL_RES_CHANNELS = 8


class Trunk(nn.Module):
    def __init__(self, in_ch: int, width: int, body: int, n_res: int, code_dim: int, noise_dim: int):
        super().__init__()
        self.enc1 = conv3x3(in_ch, width, stride=2)
        self.enc2 = conv3x3(width, body, stride=2)
        self.blocks = nn.ModuleList([ModulatedResBlock(body, code_dim) for _ in range(n_res)])
        self.noise_dim = noise_dim
        self.noise_proj = nn.Conv2d(max(noise_dim, 1), body, 1)
        self.up1 = conv3x3(body, width)
        # Full resolution is memory-bound on CPUs: compute at 1/2 resolution and pixel-shuffle up.
        self.up2 = conv3x3(width, 4 * FULL_RES_CHANNELS)
        self.out_ch = FULL_RES_CHANNELS + in_ch

    def forward(self, x: torch.Tensor, code: torch.Tensor | None, z: torch.Tensor | None) -> torch.Tensor:
        h1 = F.relu(self.enc1(x))
        h = F.relu(self.enc2(h1))
        if z is not None and self.noise_dim > 0:
            h = h + self.noise_proj(resize_to(z, h.shape[-2], h.shape[-1]))
        for block in self.blocks:
            h = block(h, code)
        h = resize_to(h, h1.shape[-2], h1.shape[-1])
        h = F.relu(self.up1(h) + h1)
        h = F.relu(F.pixel_shuffle(self.up2(h), 2))
        # The input itself joins the last layer so fine detail needs no trip through 1/4 resolution.
        return torch.cat([h, x], dim=1)


class StyleEncoder(nn.Module):
    """Summarises a style image into a code: per-channel mean and std of features at two depths."""

    def __init__(self, in_ch: int, code_dim: int):
        super().__init__()
        self.c1 = conv3x3(in_ch, 32, stride=2)
        self.c2 = conv3x3(32, 64, stride=2)
        self.c3 = conv3x3(64, 96, stride=2)
        self.c4 = conv3x3(96, 128, stride=2)
        self.mlp = nn.Sequential(nn.Linear(2 * (96 + 128), 128), nn.ReLU(), nn.Linear(128, code_dim))

    def forward(self, ref: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.c1(ref))
        h = F.relu(self.c2(h))
        h3 = F.relu(self.c3(h))
        h4 = F.relu(self.c4(h3))
        stats = [h3.mean(dim=[2, 3]), h3.std(dim=[2, 3]), h4.mean(dim=[2, 3]), h4.std(dim=[2, 3])]
        return self.mlp(torch.cat(stats, dim=1))


class StyleGenerator(nn.Module):
    task: str = "style"

    def __init__(self, channels: int = 3, width: int = 24, body: int = 48, n_res: int = 4,
                 code_dim: int = 64, noise_dim: int = 4):
        super().__init__()
        self.channels = channels
        self.multiple = SPATIAL_MULTIPLE
        self.config = dict(channels=channels, width=width, body=body, n_res=n_res,
                           code_dim=code_dim, noise_dim=noise_dim)
        self.style_encoder = StyleEncoder(channels, code_dim)
        self.trunk = Trunk(channels, width, body, n_res, code_dim, noise_dim)
        self.head = conv3x3(self.trunk.out_ch, channels)
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.zeros_(self.head.bias)
        # The code of the painting a single-style model was trained on (used when no reference is given).
        self.register_buffer("default_code", torch.zeros(1, code_dim))
        self.register_buffer("has_default_code", torch.zeros(1))

    @torch.jit.export
    def encode_style(self, reference: torch.Tensor) -> torch.Tensor:
        """N x C x H x W style image(s) in [0, 1] -> N x code_dim style code."""
        if reference.shape[1] != self.channels:
            raise ValueError("reference has the wrong number of channels for this model")
        return self.style_encoder(reference)

    @torch.jit.export
    def default_style(self, batch: int) -> torch.Tensor:
        if bool(self.has_default_code[0] == 0):
            raise ValueError("this style model needs a reference (style) image")
        return self.default_code.expand(batch, -1)

    @torch.jit.export
    def forward_code(self, source: torch.Tensor, code: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """Stylise N x C x H x W source in [0, 1] with a precomputed style code."""
        if source.dim() != 4 or source.shape[1] != self.channels:
            raise ValueError("source must be N x C x H x W with the model's channel count")
        h, w = source.shape[-2], source.shape[-1]
        x = pad_to_multiple(source, self.multiple)
        if code.shape[0] == 1 and x.shape[0] > 1:
            code = code.expand(x.shape[0], -1)
        feats = self.trunk(x, code, z)
        eps = 1.0 / 512.0
        base = torch.logit(x.clamp(eps, 1.0 - eps))
        out = torch.sigmoid(base + self.head(feats))
        return out[:, :, :h, :w]

    def forward(self, source: torch.Tensor, reference: torch.Tensor | None = None,
                z: torch.Tensor | None = None) -> torch.Tensor:
        if reference is None:
            code = self.default_style(source.shape[0])
        else:
            code = self.encode_style(reference)
        return self.forward_code(source, code, z)

    def set_default_style(self, reference: torch.Tensor) -> None:
        """Store the style code of `reference` (e.g. the training painting) for reference-free use."""
        with torch.no_grad():
            self.default_code.copy_(self.encode_style(reference).mean(dim=0, keepdim=True))
            self.has_default_code.fill_(1.0)


class FusionGenerator(nn.Module):
    task: str = "fuse"

    def __init__(self, channels: int = 1, width: int = 16, body: int = 32, n_res: int = 3, noise_dim: int = 0):
        super().__init__()
        self.channels = channels
        self.multiple = SPATIAL_MULTIPLE
        self.config = dict(channels=channels, width=width, body=body, n_res=n_res, noise_dim=noise_dim)
        self.trunk = Trunk(2 * channels, width, body, n_res, 0, noise_dim)
        # One blending-weight map shared by all channels, plus a per-channel residual.
        self.head = conv3x3(self.trunk.out_ch, 1 + channels)
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.zeros_(self.head.bias)

    def forward(self, source: torch.Tensor, reference: torch.Tensor | None = None,
                z: torch.Tensor | None = None) -> torch.Tensor:
        if reference is None:
            raise ValueError("fusion needs two images: source and reference")
        if source.shape != reference.shape:
            raise ValueError("fusion inputs must have the same shape")
        if source.dim() != 4 or source.shape[1] != self.channels:
            raise ValueError("fusion inputs must be N x C x H x W with the model's channel count")
        h, w = source.shape[-2], source.shape[-1]
        a = pad_to_multiple(source, self.multiple)
        b = pad_to_multiple(reference, self.multiple)
        out = self.head(self.trunk(torch.cat([a, b], dim=1), None, z))
        weight = torch.sigmoid(out[:, :1])
        residual = 0.25 * torch.tanh(out[:, 1:])
        fused = (weight * a + (1.0 - weight) * b + residual).clamp(0.0, 1.0)
        # Exact zeros where both sources are zero: black backgrounds of medical slices stay black.
        support = ((a + b) > 0).to(fused.dtype)
        return (fused * support)[:, :, :h, :w]


def receptive_radius(body_res_convs: int) -> int:
    """Pixels of context on each side a full-resolution output pixel depends on (an upper bound).

    enc1 (1) + enc2 (2) + 3x3 convs at 1/4 resolution (4 each) + two bilinear upsamplings (4 + 2)
    + up1 (2) + up2 (2) + head (1).
    """
    return 1 + 2 + 4 * body_res_convs + 6 + 2 + 2 + 1
