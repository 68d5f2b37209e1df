"""Losses for style transfer: style statistics, content, colour distribution, smoothness."""

import torch
import torch.nn.functional as F
from torch import nn

from .image_ops import gradient_magnitude, luminance
from .random_features import RandomFeatureNet, gram, mean_std, relative_gram_distance, standardise_channels

# The texture term's own random net: per-channel standardised images (the palette step owns the
# colours), 5x5 first kernels for stroke-scale detail. Its seed and widths are its own.
TEXTURE_WIDTHS = (32, 64, 128)
TEXTURE_SEED = 2024


def _sample_pixels(p: torch.Tensor, max_pixels: int, generator: torch.Generator | None) -> torch.Tensor:
    """A random subset of the pixels (N x C x P): sorting all of them dominated the training step."""
    if p.shape[2] <= max_pixels:
        return p
    idx = torch.randint(p.shape[2], (max_pixels,), generator=generator, device=p.device)
    return p[:, :, idx]


def sliced_wasserstein(
    x: torch.Tensor,
    y: torch.Tensor,
    n_proj: int = 32,
    generator: torch.Generator | None = None,
    max_pixels: int = 4096,
) -> torch.Tensor:
    """Distance between the colour distributions of x and y (N x C x H x W), per sample.

    Both pixel sets are projected on random directions and sorted; the sorted projections are
    compared after resampling to a common length.
    """
    n, c = x.shape[:2]
    px = _sample_pixels(x.reshape(n, c, -1), max_pixels, generator)
    py = _sample_pixels(y.reshape(n, c, -1), max_pixels, generator)
    dirs = torch.randn(c, n_proj, generator=generator, device=x.device, dtype=x.dtype)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    sx = torch.einsum("ncp,ck->nkp", px, dirs).sort(dim=2).values
    sy = torch.einsum("ncp,ck->nkp", py, dirs).sort(dim=2).values
    if sy.shape[2] != sx.shape[2]:
        sy = F.interpolate(sy, size=sx.shape[2], mode="linear", align_corners=True)
    return (sx - sy).abs().mean()


class StyleTransferLoss(nn.Module):
    """Weighted sum of style (Gram + mean/std of random features), content, colour and TV terms."""

    def __init__(
        self,
        channels: int = 3,
        style_weight: float = 1.0,
        content_weight: float = 1.0,
        color_weight: float = 1.0,
        structure_weight: float = 1.0,
        tv_weight: float = 0.0,
        feature_seed: int = 1234,
        texture_weight: float = 0.0,
    ):
        super().__init__()
        self.features = RandomFeatureNet(channels, seed=feature_seed)
        self.texture_features = RandomFeatureNet(
            channels, TEXTURE_WIDTHS, TEXTURE_SEED, standardised_input=True
        )
        self.weights = dict(
            style=style_weight,
            content=content_weight,
            color=color_weight,
            structure=structure_weight,
            tv=tv_weight,
            texture=texture_weight,
        )

    def forward(
        self,
        output: torch.Tensor,
        content: torch.Tensor,
        style: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        f_out = self.features(output)
        with torch.no_grad():
            f_content = self.features(content)
            f_style = self.features(style)
        style_term = output.new_zeros(())
        for fo, fs in zip(f_out, f_style, strict=False):
            mo, so = mean_std(fo)
            ms, ss = mean_std(fs)
            style_term = (
                style_term + F.mse_loss(gram(fo), gram(fs)) * 1e2 + F.mse_loss(mo, ms) + F.mse_loss(so, ss)
            )
        # Content on the deepest random features (layout), structure on luminance edges (detail).
        content_term = F.mse_loss(f_out[-1], f_content[-1])
        structure_term = F.l1_loss(
            gradient_magnitude(luminance(output)), gradient_magnitude(luminance(content))
        )
        color_term = sliced_wasserstein(output, style, generator=generator)
        tv_term = (output[:, :, 1:, :] - output[:, :, :-1, :]).abs().mean() + (
            output[:, :, :, 1:] - output[:, :, :, :-1]
        ).abs().mean()
        texture_term = output.new_zeros(())
        if self.weights["texture"] > 0:
            t_out = self.texture_features(standardise_channels(output))
            with torch.no_grad():
                t_style = self.texture_features(standardise_channels(style))
            texture_term = sum(
                relative_gram_distance(a, b) for a, b in zip(t_out, t_style, strict=True)
            ) / len(t_out)
        terms = dict(
            style=style_term,
            content=content_term,
            color=color_term,
            structure=structure_term,
            tv=tv_term,
            texture=texture_term,
        )
        terms["total"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms
