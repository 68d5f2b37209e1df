"""The generator family G(source, reference, z=None) for both tasks.

Both generators share one U-shaped trunk: stride-2 dense 3x3 convs down to 1/2**levels resolution
(1/8 by default), residual blocks there, and upsampling with skips back to 1/2 resolution, then a
pixel shuffle to full resolution. Dense convs at reduced resolution are what runs fast on CPUs with
PyTorch; depthwise convs and wide full-resolution layers are slow there (memory-bound). The 1/8
trunk also gives a receptive field of ~100 px, the scale at which paintings have shapes and strokes.
At inference activations are channels-last: oneDNN's convolutions run ~1.7x faster in that layout
on CPUs. Training stays channels-first: there the channels-last backward pass was ~10x slower.

- StyleGenerator: the reference (a style image) is summarised once into a style code by a small
  encoder (channel means and standard deviations of its features); the code modulates the residual
  blocks (FiLM). A single-style model also stores the code of its training painting, so the
  reference may be omitted. The output is a residual in logit space around the source.
- FusionGenerator: source and reference are two aligned images; the trunk sees both and predicts a
  per-pixel blending weight plus a small residual; the result is exactly zero where both inputs are.

The input is reflect-padded by `edge_pad` pixels before the trunk: zero padding inside the convs
then falls on the mirrored margin, which is cropped, instead of darkening the picture's edges.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ModulatedResBlock, conv3x3, pad_for_trunk, resize_to

# The head starts small, so a fresh model is close to the identity (style) or to an average (fusion),
# but not tiny: the whole trunk's gradient passes through it, and at 1e-3 the first hundreds of steps
# barely moved the picture.
HEAD_INIT_STD = 0.02


def _layout(x: torch.Tensor, training: bool) -> torch.Tensor:
    return x if training else x.contiguous(memory_format=torch.channels_last)


class Trunk(nn.Module):
    def __init__(self, in_ch: int, widths: list[int], n_res: int, code_dim: int, noise_dim: int, full: int):
        super().__init__()
        chans = [in_ch] + list(widths)
        self.down = nn.ModuleList([conv3x3(chans[i], chans[i + 1], stride=2) for i in range(len(widths))])
        body = widths[-1]
        self.blocks = nn.ModuleList([ModulatedResBlock(body, code_dim) for _ in range(n_res)])
        self.noise_dim = noise_dim
        self.noise_proj = nn.Conv2d(max(noise_dim, 1), body, 1)
        # up[i] brings level i+2 features to level i+1 (after a bilinear upsampling), skip added.
        self.up = nn.ModuleList([conv3x3(widths[i + 1], widths[i]) for i in range(len(widths) - 2, -1, -1)])
        # Full resolution is memory-bound on CPUs: compute at 1/2 resolution and pixel-shuffle up.
        self.to_full = conv3x3(widths[0], 4 * full)
        self.out_ch = full + in_ch

    def half(
        self,
        x: torch.Tensor,
        code: torch.Tensor | None,
        z: torch.Tensor | None,
        fold_upsampling: bool = False,
    ) -> torch.Tensor:
        """The full-resolution features before their pixel shuffle: 4 * `full` channels at 1/2 resolution.

        `fold_upsampling`: the last bilinear upsampling (to 1/2) and the conv after it as one conv at
        1/4 resolution (`upsampled_conv_into`); the same outputs except within FOLD_BORDER px of the
        input's border at full resolution, so only for callers that crop that much (inference). The
        deeper upsamplings are not folded: their border differences would spread further in."""
        skips: list[torch.Tensor] = []
        h = x
        for conv in self.down:
            h = conv(h).relu_()  # in place: no extra full-size buffer (ReLU's backward needs only its output)
            skips.append(h)
        if z is not None and self.noise_dim > 0:
            h = h + self.noise_proj(resize_to(z, h.shape[-2], h.shape[-1]))
        for block in self.blocks:
            h = block(h, code)
        i = len(skips) - 2
        for conv in self.up:
            skip = skips[i]
            # (in place into the skip: not where autograd still needs it)
            if (
                fold_upsampling
                and i == 0
                and not skip.requires_grad
                and skip.shape[-2] == 2 * h.shape[-2]
                and skip.shape[-1] == 2 * h.shape[-1]
                and skip.is_contiguous(memory_format=torch.channels_last)
            ):
                h = upsampled_conv_into(h, conv.weight, conv.bias, skip).relu_()
            else:
                h = (
                    conv(resize_to(h, skip.shape[-2], skip.shape[-1])).add_(skip).relu_()
                )  # in place: no extra buffer
            i -= 1
        return self.to_full(h).relu_()

    def forward(self, x: torch.Tensor, code: torch.Tensor | None, z: torch.Tensor | None) -> torch.Tensor:
        """Full-resolution features (`full` channels)."""
        return F.pixel_shuffle(self.half(x, code, z), 2)  # ReLU and pixel shuffle commute


# Full-resolution rows within this distance of the padded input's border may differ when the last
# upsampling is folded: its outermost 1/2-resolution row, widened by to_full (1 row) and the head
# (1 px) is full-resolution rows 0..4 (see upsampled_conv_into; tests/unit/test_generator.py).
FOLD_BORDER = 6


def upsampled_conv_into(
    h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, skip: torch.Tensor
) -> torch.Tensor:
    """skip += conv3x3(upsample2x(h)) computed as one 3x3 conv at h's resolution with 4 x the output
    channels (one per output phase), added into the channels-last `skip` in place, phase by phase.

    The bilinear upsampling clamps at the edges (the replicate padding here); the conv's zero padding
    at full resolution is the one thing not reproduced: the outermost row and column of the result
    differ, and through the later layers full-resolution pixels up to FOLD_BORDER from the border.
    It saves the upsampled copy and runs the conv on 1/4 of the pixels with 4x the channels.
    """
    n, o = skip.shape[0], weight.shape[0]
    # Bilinear 2x (align_corners=False), then tap t of the conv: full-resolution row 2i + a reads upsampled
    # row 2i + a + t - 1, a mix of rows i - 1 .. i + 1 (u = 0..2) of h: weights [a, t, u].
    taps = torch.tensor(
        [
            [[0.75, 0.25, 0.0], [0.25, 0.75, 0.0], [0.0, 0.75, 0.25]],
            [[0.25, 0.75, 0.0], [0.0, 0.75, 0.25], [0.0, 0.25, 0.75]],
        ],
        dtype=weight.dtype,
        device=weight.device,
    )
    kernel = torch.einsum("octs,atu,bsv->abocuv", [weight, taps, taps]).reshape(4 * o, weight.shape[1], 3, 3)
    b = None if bias is None else bias.repeat(4)
    phases = F.conv2d(F.pad(h, [1, 1, 1, 1], mode="replicate"), kernel, b).contiguous(
        memory_format=torch.channels_last
    )
    gh, gw = phases.shape[-2], phases.shape[-1]
    skip.permute(0, 2, 3, 1).view(n, gh, 2, gw, 2, o).add_(
        phases.permute(0, 2, 3, 1).view(n, gh, gw, 2, 2, o).permute(0, 1, 3, 2, 4, 5)
    )
    return skip


def head_conv(
    weight: torch.Tensor, bias: torch.Tensor | None, feats: torch.Tensor, x: torch.Tensor
) -> torch.Tensor:
    """The head conv of `cat([feats, x])` (weight and bias of a 3x3 conv) without building the concatenation: two convolutions over the weight's
    two slices. The input joins the last layer so fine detail needs no trip through low resolution;
    at full resolution the concatenated copy alone cost ~10 % of a style call."""
    k = feats.shape[1]
    return F.conv2d(feats, weight[:, :k], bias, padding=1) + F.conv2d(x, weight[:, k:], None, padding=1)


def dual_grid_kernels(weight: torch.Tensor, feats: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The head conv of `cat([pixel_shuffle(g), x])` (weight O x (feats + C) x 3 x 3) as two convs
    on a half-resolution grid shifted by one full-resolution pixel: output (i, j) of both holds the
    four full-resolution pixels (2i - 1 + a, 2j - 1 + b), channel (a * 2 + b) * O + o.

    Full-resolution row 2i - 1 + a reads rows 2i - 2 + a .. 2i + a: on the features g that is g's rows
    i - 1 and i (a 2x2 conv, padding 1; tap row u at phase a' is row t = 2u + a' - a of the kernel, or
    nothing), on the input x rows 2i - 2 .. 2i + 1 (a 4x4 conv of stride 2, padding 2; tap row a + t).
    Zero padding at full resolution is zero padding there, so borders agree too.
    """
    o = weight.shape[0]
    w_feats, w_x = weight[:, :feats], weight[:, feats:]
    padded = F.pad(w_feats, [1, 1, 1, 1])
    a = torch.arange(2, device=weight.device)
    index = (2 * a[None, :, None] + a[None, None, :] - a[:, None, None] + 1).flatten()  # [a, u, a']: t + 1
    taps = padded.index_select(2, index).index_select(3, index).reshape(o, feats, 2, 2, 2, 2, 2, 2)
    on_feats = taps.permute(2, 5, 0, 1, 4, 7, 3, 6).reshape(
        4 * o, 4 * feats, 2, 2
    )  # (a b o), (c a' b'), u, v
    phases: list[torch.Tensor] = []
    for pa in range(2):
        for pb in range(2):
            phases.append(F.pad(w_x, [pb, 1 - pb, pa, 1 - pa]))
    on_x = torch.stack(phases).reshape(4 * o, w_x.shape[1], 4, 4)
    return on_feats, on_x


def head_output(
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    feats_half: torch.Tensor,
    x: torch.Tensor,
    eps: float,
    top: int,
    left: int,
    h: int,
    w: int,
) -> torch.Tensor:
    """sigmoid(logit(clamp(x)) + head_conv(weight, bias, pixel_shuffle(feats_half), x)) on rows
    top..top+h and columns left..left+w, without the full-resolution features.

    The head conv runs on the shifted half-resolution grid of `dual_grid_kernels` and is interleaved
    into full resolution once, for its 3 output channels; shuffling, storing and convolving the
    `full`-channel features at full resolution (memory-bound on CPUs) took ~1/4 of a style call.
    Same function as the full-resolution head up to float rounding; x channels-last (inference)."""
    n, o = x.shape[0], weight.shape[0]
    on_feats, on_x = dual_grid_kernels(weight, feats_half.shape[1] // 4)
    b = None if bias is None else bias.repeat(4)
    grid = F.conv2d(feats_half, on_feats, b, padding=1)
    grid = grid.add_(F.conv2d(x, on_x, None, stride=2, padding=2)).contiguous(
        memory_format=torch.channels_last
    )
    gh, gw = grid.shape[-2], grid.shape[-1]
    # channels-last (n, i, j, a, b, o) -> (n, 2i + a, 2j + b, o): full-resolution rows -1 .. 2 * gh - 2
    full = grid.permute(0, 2, 3, 1).view(n, gh, gw, 2, 2, o).permute(0, 1, 3, 2, 4, 5)
    full = full.reshape(n, 2 * gh, 2 * gw, o).permute(0, 3, 1, 2)
    kept = full[:, :, top + 1 : top + 1 + h, left + 1 : left + 1 + w]
    return torch.logit(x[:, :, top : top + h, left : left + w], eps).add_(kept).sigmoid_()


def receptive_radius(widths: list[int], n_res: int) -> int:
    """Pixels of context on each side a full-resolution output pixel depends on (an upper bound).

    Each conv at scale s (s = 2**level) reaches s pixels; a stride-2 conv is counted at its output
    scale, a bilinear upsampling from scale s reaches s; then to_full (2), shuffle (1), head (1).
    tests/unit/test_generator.py measures the true radius and checks it stays below this bound.
    """
    levels = len(widths)
    down = sum(2**level for level in range(1, levels + 1))
    body = 2 * n_res * 2**levels
    up = sum(2 ** (level + 1) + 2**level for level in range(1, levels))
    return down + body + up + 2 + 1 + 1


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

    def __init__(
        self,
        channels: int = 3,
        widths: tuple[int, ...] = (16, 32, 64),
        n_res: int = 5,
        code_dim: int = 64,
        noise_dim: int = 4,
        full: int = 8,
        edge_pad: int = 16,
    ):
        super().__init__()
        self.channels = channels
        self.multiple = 2 ** len(widths)  # tile origins and the padded size must be multiples of this
        self.edge_pad = edge_pad
        self.fold_border = FOLD_BORDER  # an attribute: TorchScript reads no module globals
        self.config = dict(
            channels=channels,
            widths=list(widths),
            n_res=n_res,
            code_dim=code_dim,
            noise_dim=noise_dim,
            full=full,
            edge_pad=edge_pad,
        )
        self.style_encoder = StyleEncoder(channels, code_dim)
        self.trunk = Trunk(channels, list(widths), n_res, code_dim, noise_dim, full)
        self.head = conv3x3(self.trunk.out_ch, channels)
        nn.init.normal_(self.head.weight, std=HEAD_INIT_STD)
        nn.init.zeros_(self.head.bias)
        # The code of the painting a single-style model was trained on (used when no reference is given).
        self.register_buffer("default_code", torch.zeros(1, code_dim))
        self.register_buffer("has_default_code", torch.zeros(1))

    @torch.jit.export
    def encode_style(self, reference: torch.Tensor) -> torch.Tensor:
        """N x C x H x W style image(s) in [0, 1] -> N x code_dim style code."""
        if reference.shape[1] != self.channels:
            raise ValueError("reference has the wrong number of channels for this model")
        return self.style_encoder(_layout(reference, self.training))

    @torch.jit.export
    def default_style(self, batch: int) -> torch.Tensor:
        if bool(self.has_default_code[0] == 0):
            raise ValueError("this style model needs a reference (style) image")
        return self.default_code.expand(batch, -1)

    @torch.jit.export
    def forward_code(
        self, source: torch.Tensor, code: torch.Tensor, z: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Stylise N x C x H x W source in [0, 1] with a precomputed style code."""
        if source.dim() != 4 or source.shape[1] != self.channels:
            raise ValueError("source must be N x C x H x W with the model's channel count")
        h, w = source.shape[-2], source.shape[-1]
        x = _layout(pad_for_trunk(source, self.edge_pad, self.multiple), self.training)
        if code.shape[0] == 1 and x.shape[0] > 1:
            code = code.expand(x.shape[0], -1)
        eps = 1.0 / 512.0
        p = self.edge_pad
        if self.training:
            feats = self.trunk(x, code, z)
            base = torch.logit(x.clamp(eps, 1.0 - eps))
            out = torch.sigmoid(base + head_conv(self.head.weight, self.head.bias, feats, x))
            return out[:, :, p : p + h, p : p + w]
        # Inference: the same function with the head computed at half resolution, only on the kept pixels.
        feats = self.trunk.half(x, code, z, p >= self.fold_border)
        return head_output(self.head.weight, self.head.bias, feats, x, eps, p, p, h, w)

    def forward(
        self, source: torch.Tensor, reference: torch.Tensor | None = None, z: torch.Tensor | None = None
    ) -> torch.Tensor:
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

    def __init__(
        self,
        channels: int = 1,
        widths: tuple[int, ...] = (8, 16, 32),
        n_res: int = 3,
        noise_dim: int = 0,
        full: int = 4,
        edge_pad: int = 16,
    ):
        super().__init__()
        self.channels = channels
        self.multiple = 2 ** len(widths)
        self.edge_pad = edge_pad
        self.config = dict(
            channels=channels,
            widths=list(widths),
            n_res=n_res,
            noise_dim=noise_dim,
            full=full,
            edge_pad=edge_pad,
        )
        self.trunk = Trunk(2 * channels, list(widths), n_res, 0, noise_dim, full)
        # One blending-weight map shared by all channels, plus a per-channel residual.
        self.head = conv3x3(self.trunk.out_ch, 1 + channels)
        nn.init.normal_(self.head.weight, std=HEAD_INIT_STD)
        nn.init.zeros_(self.head.bias)

    def forward(
        self, source: torch.Tensor, reference: torch.Tensor | None = None, z: torch.Tensor | None = None
    ) -> torch.Tensor:
        reference = check_fusion_inputs(source, reference, self.channels)
        h, w = source.shape[-2], source.shape[-1]
        p = self.edge_pad
        a = _layout(source, self.training)
        b = _layout(reference, self.training)
        x = _layout(pad_for_trunk(torch.cat([a, b], dim=1), p, self.multiple), self.training)
        out = head_conv(self.head.weight, self.head.bias, self.trunk(x, None, z), x)[
            :, :, p : p + h, p : p + w
        ]
        weight = torch.sigmoid(out[:, :1])
        residual = 0.25 * torch.tanh(out[:, 1:])
        fused = (weight * a + (1.0 - weight) * b + residual).clamp(0.0, 1.0)
        # Exact zeros where both sources are zero: black backgrounds of medical slices stay black.
        support = ((a + b) > 0).to(fused.dtype)
        return fused * support


def check_fusion_inputs(source: torch.Tensor, reference: torch.Tensor | None, channels: int) -> torch.Tensor:
    """The two images of a fusion call, checked (TorchScript-compatible); returns the reference."""
    if reference is None:
        raise ValueError("fusion needs two images: source and reference")
    if source.shape != reference.shape:
        raise ValueError("fusion inputs must have the same shape")
    if source.dim() != 4 or source.shape[1] != channels:
        raise ValueError("fusion inputs must be N x C x H x W with the model's channel count")
    return reference


def generator_receptive_radius(generator: nn.Module) -> int:
    cfg = generator.config
    # context_radius: what a generator adds around the trunk (e.g. FocusFusionGenerator's focus measure)
    return receptive_radius(cfg["widths"], cfg["n_res"]) + int(cfg.get("context_radius", 0))
