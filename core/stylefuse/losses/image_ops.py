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


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, size: int = 11) -> torch.Tensor:
    """Structural similarity per pixel: kornia's (Gaussian window, sigma 1.5, reflected borders, Wang et
    al. 2004 constants). It replaced a hand-written one that gave the same values (max difference
    7e-6 per pixel, same gradients) on the training shapes; kornia is imported here, when used."""
    try:
        from kornia.metrics import ssim as kornia_ssim
    except ImportError as exc:
        from ..errors import UserError

        raise UserError("training with an SSIM term needs kornia: pip install 'stylefuse[train]'") from exc
    return kornia_ssim(x, y, size, max_val=data_range, padding="same")


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    return ssim_map(x, y, data_range).mean()


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    mse = F.mse_loss(x, y).clamp_min(1e-12)
    return 10.0 * torch.log10(data_range**2 / mse)
