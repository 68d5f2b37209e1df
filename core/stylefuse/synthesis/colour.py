"""Colour axes and histogram matching, the statistics step of example-based synthesis.

Synthesis works in the painting's decorrelated colour axes (principal axes of its pixel colours):
there, matching each axis on its own matches the joint colour distribution far better than matching
R, G and B apart, and patch distances are unchanged (the axes are a rotation).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class ColourAxes:
    mean: torch.Tensor  # C
    basis: torch.Tensor  # C x C, columns are the axes (first = most variance, ~luminance)

    def to_axes(self, image: torch.Tensor) -> torch.Tensor:
        """1 x C x H x W in [0, 1] -> the same image in the painting's axes."""
        centred = image - self.mean.view(1, -1, 1, 1)
        return torch.einsum("nchw,cd->ndhw", centred, self.basis)

    def from_axes(self, image: torch.Tensor) -> torch.Tensor:
        return torch.einsum("ndhw,cd->nchw", image, self.basis) + self.mean.view(1, -1, 1, 1)


def colour_axes(painting: torch.Tensor) -> ColourAxes:
    """Principal colour axes of a 1 x C x H x W painting, each axis oriented to grow with brightness."""
    pixels = painting.flatten(2)[0].T.double()  # P x C
    mean = pixels.mean(0)
    if pixels.shape[1] == 1:
        return ColourAxes(mean.float(), torch.ones(1, 1, dtype=painting.dtype, device=painting.device))
    cov = (pixels - mean).T @ (pixels - mean) / max(pixels.shape[0] - 1, 1)
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    basis = vectors.flip(1)
    basis = basis * torch.where(basis.sum(0) < 0, -1.0, 1.0).to(basis)  # sign: brighter = larger
    return ColourAxes(mean.float(), basis.float())


def sorted_values(values: torch.Tensor, count: int = 4096) -> torch.Tensor:
    """`count` evenly spaced quantiles of each row of a C x P tensor (a compact target histogram)."""
    sorted_rows = values.sort(dim=1).values
    positions = torch.linspace(0, values.shape[1] - 1, count, device=values.device)
    lo = positions.floor().long()
    hi = (lo + 1).clamp(max=values.shape[1] - 1)
    frac = positions - lo
    return sorted_rows[:, lo] * (1 - frac) + sorted_rows[:, hi] * frac


def match_histograms(values: torch.Tensor, target_quantiles: torch.Tensor, count: int = 1024) -> torch.Tensor:
    """Map each row of a C x P tensor onto the distribution given by C x Q target quantiles.

    The row's own `count` quantiles (from a sort of at most ~2^14 evenly strided samples) are the
    knots of a piecewise-linear curve onto the target's quantiles: the same as exact rank matching up
    to the sampling, without sorting every pixel on every call. Knots are placed by rank, so peaked
    distributions (the bands of an image, most values near 0) keep their resolution where their mass is.
    """
    step = max(1, values.shape[1] // 16384)
    own = sorted_values(values[:, ::step], count)
    target = (
        sorted_values(target_quantiles, count) if target_quantiles.shape[1] != count else target_quantiles
    )
    pos = torch.searchsorted(own, values.contiguous()).clamp_(1, count - 1)
    x0, x1 = own.gather(1, pos - 1), own.gather(1, pos)
    gap = x1 - x0
    t = torch.where(gap > 0, (values - x0) / gap.clamp(min=1e-12), 0.5).clamp_(0, 1)  # ties: the middle
    y0, y1 = target.gather(1, pos - 1), target.gather(1, pos)
    return y0 + t * (y1 - y0)


def match_image(image: torch.Tensor, target_quantiles: torch.Tensor) -> torch.Tensor:
    """1 x C x H x W, every channel matched to its row of the C x Q target quantiles."""
    flat = image.flatten(2)[0]
    return match_histograms(flat, target_quantiles).view_as(image)


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with mirrored borders (N x C x H x W)."""
    radius = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = image.shape[1]
    pad_h = min(radius, image.shape[-2] - 1)
    pad_w = min(radius, image.shape[-1] - 1)
    out = image
    if pad_w > 0:
        out = F.pad(out, (pad_w, pad_w, 0, 0), mode="reflect")
        k = kernel[radius - pad_w : radius + pad_w + 1]
        out = F.conv2d(out, k.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    if pad_h > 0:
        out = F.pad(out, (0, 0, pad_h, pad_h), mode="reflect")
        k = kernel[radius - pad_h : radius + pad_h + 1]
        out = F.conv2d(out, k.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)
    return out


BAND_SIGMAS = (1.0, 2.0, 4.0, 8.0)


def band_pyramid(image: torch.Tensor, sigmas=BAND_SIGMAS) -> list[torch.Tensor]:
    """Difference-of-Gaussians bands (finest first) and the low-pass rest; they sum to the image."""
    bands, current = [], image
    for sigma in sigmas:
        low = gaussian_blur(image, sigma)
        bands.append(current - low)
        current = low
    bands.append(current)
    return bands


@dataclass(frozen=True)
class BandTargets:
    """The painting's value distribution per band and axis (Heeger & Bergen style matching)."""

    bands: list[torch.Tensor]  # one C x Q tensor per band (finest first, then the low-pass rest)
    whole: torch.Tensor  # C x Q of the painting itself


def band_targets(painting_axes: torch.Tensor, sigmas=BAND_SIGMAS) -> BandTargets:
    bands = band_pyramid(painting_axes, sigmas)
    return BandTargets(
        [sorted_values(b.flatten(2)[0]) for b in bands], sorted_values(painting_axes.flatten(2)[0])
    )


def match_bands(
    image: torch.Tensor, targets: BandTargets, sigmas=BAND_SIGMAS, tone: float = 1.0
) -> torch.Tensor:
    """Match every band of `image` to the painting's same band, recombine, then match the colours.

    `tone` < 1 matches the coarse rest and the whole only that far (every colour axis): a photo keeps
    part of its own tonal and colour layout, so a painting with much black or one saturated colour
    does not force blobs of it into a sky or a road. The bands' texture is always matched fully.
    """
    bands = band_pyramid(image, sigmas)
    matched = [match_image(b, t) for b, t in zip(bands, targets.bands, strict=True)]
    matched[-1] = _partial_brightness(matched[-1], bands[-1], tone)
    recombined = sum(matched)
    return _partial_brightness(match_image(recombined, targets.whole), recombined, tone)


def _partial_brightness(matched: torch.Tensor, before: torch.Tensor, tone: float) -> torch.Tensor:
    if tone >= 1:
        return matched
    return tone * matched + (1 - tone) * before
