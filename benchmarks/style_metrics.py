"""Style-transfer scores of the quality benchmark, each reported separately (no combined score).

    content_structure(out, content)   SSIM of the gradient-magnitude maps of the grey images:
                                      how much of the content's edges survive (higher = kept; 1 = all)
    colour_distance(out, style)       per-channel 1-D Wasserstein distance between the pixel value
                                      distributions (0..1 units, mean over R, G, B; lower = closer)
    texture_distance(out, style)      Gram statistics of a FIXED random-weight conv net on per-channel
                                      normalised images (so colour does not count): the relative
                                      Frobenius distance of the Gram matrices, mean over 3 layers

The texture net is deliberately not the one any training loss uses (training:
`stylefuse.losses.random_features`, 3x3 kernels, widths 32/64/128/256, seed 1234): here 5x5 kernels,
widths 48/96/192 with 2x2 average pooling between them, seed 777, so a model cannot have been trained
on the very statistics it is judged by.

The benchmark divides colour and texture distances by the unchanged photo's (the identity's), so the
identity scores 1.0 and a score below 1 means closer to the style than the photo was.
`histogram_transfer` is the plain per-channel histogram matching used as a sanity row.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from bench_images import as_rgb_u8
from random_net import RandomConvNet, gram, gram_distance, standardise
from scipy import ndimage

from stylefuse.metrics import ssim

TEXTURE_SEED = 777
TEXTURE_WIDTHS = (48, 96, 192)
TEXTURE_KERNEL = 5

_RGB_WEIGHTS = np.array([0.299, 0.587, 0.114])


def grey_unit(img: np.ndarray) -> np.ndarray:
    return (as_rgb_u8(img).astype(np.float64) @ _RGB_WEIGHTS) / 255.0


def gradient_magnitude(grey: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude, scaled so a unit step edge gives 1."""
    gx = ndimage.sobel(grey, axis=1, mode="reflect") / 4.0
    gy = ndimage.sobel(grey, axis=0, mode="reflect") / 4.0
    return np.hypot(gx, gy)


def content_structure(out: np.ndarray, content: np.ndarray) -> float:
    """SSIM (Gaussian window, data range 1) between the gradient-magnitude maps of output and content."""
    return ssim(gradient_magnitude(grey_unit(out)), gradient_magnitude(grey_unit(content)), 1.0)


def _cdfs(img: np.ndarray) -> np.ndarray:
    """3 x 256 cumulative distributions of the R, G, B values."""
    rgb = as_rgb_u8(img).reshape(-1, 3)
    hist = np.stack([np.bincount(rgb[:, c], minlength=256) for c in range(3)]).astype(np.float64)
    return np.cumsum(hist / rgb.shape[0], axis=1)


def colour_distance(out: np.ndarray, style: np.ndarray) -> float:
    """Mean over R, G, B of the 1-D Wasserstein-1 distance of the value distributions, in 0..1 units.

    Exact for 8-bit values: W1 = sum_v |CDF_out(v) - CDF_style(v)| * (1 / 255).
    """
    return float(np.mean(np.sum(np.abs(_cdfs(out) - _cdfs(style)), axis=1)) / 255.0)


class TextureNet(RandomConvNet):
    """Fixed random conv net: [5x5 conv + ReLU] x 3, widths 48/96/192, 2x2 average pooling between."""

    def __init__(self, widths=TEXTURE_WIDTHS, kernel: int = TEXTURE_KERNEL, seed: int = TEXTURE_SEED):
        super().__init__(widths, (kernel,) * len(widths), seed, init="normal", pool="avg")


@functools.cache
def texture_net() -> TextureNet:
    """The one instance (built on first use)."""
    return TextureNet()


def normalise_channels(img: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 -> 1 x 3 x H x W float, each channel at zero mean and unit deviation."""
    return standardise(torch.from_numpy(as_rgb_u8(img).astype(np.float32) / 255.0).permute(2, 0, 1)[None])


@torch.inference_mode()
def gram_statistics(img: np.ndarray) -> list[torch.Tensor]:
    """The Gram matrix (C x C, divided by H x W) of every layer of the texture net."""
    return [gram(f) for f in texture_net()(normalise_channels(img))]


def texture_distance(out: np.ndarray, style: np.ndarray) -> float:
    return gram_distance(gram_statistics(out), gram_statistics(style))


def histogram_transfer(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching of the content to the style (scikit-image), uint8 out."""
    from skimage.exposure import match_histograms

    matched = match_histograms(as_rgb_u8(content), as_rgb_u8(style), channel_axis=-1)
    return np.clip(np.round(matched), 0, 255).astype(np.uint8)
