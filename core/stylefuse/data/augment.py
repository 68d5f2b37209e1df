"""Seeded geometric augmentation on tensors: rotation, translation, scale, flip, crop.

Every random draw comes from an explicit torch.Generator, so a batch is a pure function of
(seed, step, rank): that is what makes resumed training bit-exact.
"""

import math

import torch
import torch.nn.functional as F


def _uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand((), generator=gen).item()


def random_affine_crop(
    images: list[torch.Tensor],
    size: int,
    gen: torch.Generator,
    max_rotation: float = 15.0,
    scale_range: tuple[float, float] = (0.7, 1.3),
    max_translation: float = 0.1,
    flip: bool = True,
) -> list[torch.Tensor]:
    """Apply the SAME random rotation/scale/translation/flip to aligned C x H x W images, then
    return a `size` x `size` crop of each (sampled inside the transformed image)."""
    _, h, w = images[0].shape
    angle = math.radians(_uniform(gen, -max_rotation, max_rotation))
    # Crop side relative to the image, divided by the zoom factor (scale > 1 zooms in).
    zoom = _uniform(gen, *scale_range)
    side = min(1.0, size / min(h, w) / zoom)
    sx = side * min(h, w) / w
    sy = side * min(h, w) / h
    cx = _uniform(gen, -(1 - sx), 1 - sx) if sx < 1 else 0.0
    cy = _uniform(gen, -(1 - sy), 1 - sy) if sy < 1 else 0.0
    cx += _uniform(gen, -max_translation, max_translation) * sx
    cy += _uniform(gen, -max_translation, max_translation) * sy
    flip_x = -1.0 if flip and torch.rand((), generator=gen).item() < 0.5 else 1.0
    cos, sin = math.cos(angle), math.sin(angle)
    theta = torch.tensor(
        [[flip_x * sx * cos, -sx * sin, cx], [flip_x * sy * sin, sy * cos, cy]], dtype=images[0].dtype
    ).unsqueeze(0)
    grid = F.affine_grid(theta, [1, 1, size, size], align_corners=False)
    return [
        F.grid_sample(
            img.unsqueeze(0), grid, mode="bilinear", padding_mode="reflection", align_corners=False
        ).squeeze(0)
        for img in images
    ]
