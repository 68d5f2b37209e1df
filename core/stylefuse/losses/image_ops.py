"""Differentiable image operations the losses share (plain functions on N x C x H x W in [0, 1])."""

import torch
import torch.nn.functional as F


def luminance(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Horizontal and vertical Sobel responses per channel (zero padding)."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=x.dtype, device=x.device)
    c = x.shape[1]
    wx = kx.expand(c, 1, 3, 3)
    wy = kx.t().expand(c, 1, 3, 3)
    return F.conv2d(x, wx, padding=1, groups=c), F.conv2d(x, wy, padding=1, groups=c)


def gradient_magnitude(x: torch.Tensor) -> torch.Tensor:
    gx, gy = sobel(x)
    return torch.sqrt(gx * gx + gy * gy + 1e-8)


def _gaussian_window(size: int, sigma: float, channels: int, like: torch.Tensor) -> torch.Tensor:
    coords = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2.0
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size)


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, size: int = 11,
             sigma: float = 1.5) -> torch.Tensor:
    """Structural similarity per pixel (Gaussian window, Wang et al. 2004 constants)."""
    c = x.shape[1]
    w = _gaussian_window(size, sigma, c, x)
    pad = size // 2
    mu_x = F.conv2d(F.pad(x, [pad] * 4, mode="reflect"), w, groups=c)
    mu_y = F.conv2d(F.pad(y, [pad] * 4, mode="reflect"), w, groups=c)
    sxx = F.conv2d(F.pad(x * x, [pad] * 4, mode="reflect"), w, groups=c) - mu_x**2
    syy = F.conv2d(F.pad(y * y, [pad] * 4, mode="reflect"), w, groups=c) - mu_y**2
    sxy = F.conv2d(F.pad(x * y, [pad] * 4, mode="reflect"), w, groups=c) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    return ssim_map(x, y, data_range).mean()


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    mse = F.mse_loss(x, y).clamp_min(1e-12)
    return 10.0 * torch.log10(data_range**2 / mse)
