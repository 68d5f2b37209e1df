"""Resizing: the style reference (whole image, once) and a fusion input onto the other's grid (by region).

Both use bilinear interpolation with pixel centres aligned (align_corners=False), the convention of
torch's `interpolate`; region resampling computes exactly what a whole-image resize would give for
that region, so it can run band by band inside the tiler without a full-size float copy.
"""

import numpy as np
import torch
import torch.nn.functional as F

REFERENCE_MAX_SIDE = 512
# The style encoder downsamples 16x and takes feature standard deviations: it needs a few pixels.
REFERENCE_MIN_SIDE = 32


def reference_size(height: int, width: int) -> tuple[int, int]:
    """Long side at most REFERENCE_MAX_SIDE (aspect kept); each side at least REFERENCE_MIN_SIDE."""
    scale = min(1.0, REFERENCE_MAX_SIDE / max(height, width))
    return (max(REFERENCE_MIN_SIDE, round(height * scale)), max(REFERENCE_MIN_SIDE, round(width * scale)))


def resize_image(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """N x C x H x W float -> N x C x height x width; antialiased when shrinking (area-like, no aliasing)."""
    if tuple(image.shape[-2:]) == (height, width):
        return image
    shrinking = height < image.shape[-2] or width < image.shape[-1]
    return F.interpolate(image, size=(height, width), mode="bilinear", align_corners=False, antialias=shrinking)


def _source_coords(out_len: int, in_len: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For output pixels [start, stop): the two input pixels each reads and the weight of the second."""
    pos = (np.arange(start, stop, dtype=np.float64) + 0.5) * (in_len / out_len) - 0.5
    pos = np.clip(pos, 0.0, in_len - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, in_len - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def resample_region(unit_rows, in_shape: tuple[int, int], out_shape: tuple[int, int], rows: slice, cols: slice):
    """Bilinear values of an image of `in_shape` resized to `out_shape`, over output `rows` x `cols`.

    `unit_rows(row_indices, col_slice)` returns float32 N x h x w x C for the given input rows
    (an index array) and columns (a slice): callers convert only the input pixels actually needed.
    """
    y0, y1, fy = _source_coords(out_shape[0], in_shape[0], rows.start, rows.stop)
    x0, x1, fx = _source_coords(out_shape[1], in_shape[1], cols.start, cols.stop)
    needed = slice(int(x0.min()), int(x1.max()) + 1) if len(x0) else slice(0, 0)
    x0, x1 = x0 - needed.start, x1 - needed.start
    fy = fy[None, :, None, None]
    fx = fx[None, None, :, None]
    top, bottom = unit_rows(y0, needed), unit_rows(y1, needed)
    vertical = top + fy * (bottom - top)
    return vertical[:, :, x0] + fx * (vertical[:, :, x1] - vertical[:, :, x0])
