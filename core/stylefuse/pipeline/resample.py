"""Resizing: the style reference (whole image, once) and a fusion input onto the other's grid (by region).

Both are torch's `interpolate(mode="bilinear", align_corners=False, antialias=True)`: bilinear when
enlarging, and when shrinking the triangle filter widened by the scale, so a smaller picture is an
average of what it covers instead of an aliased sample of it. Region resampling computes exactly what
that whole-image resize gives for the region (the same filter taps), so it can run band by band
inside the tiler without a full-size float copy.
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
    return F.interpolate(
        image, size=(height, width), mode="bilinear", align_corners=False, antialias=shrinking
    )


def filter_taps(out_len: int, in_len: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """For output pixels [start, stop): the input pixels each reads (n x k) and their weights (n x k,
    rows summing to 1); torch's antialiased bilinear filter (align_corners=False), computed as torch does."""
    scale = in_len / out_len
    support = max(scale, 1.0)  # half-width of the triangle, in input pixels
    centre = (np.arange(start, stop, dtype=np.float64) + 0.5) * scale
    first = np.maximum((centre - support + 0.5).astype(np.intp), 0)
    count = np.minimum((centre + support + 0.5).astype(np.intp), in_len) - first
    taps = max(int(count.max()) if len(count) else 1, 1)
    offsets = np.arange(taps)
    index = first[:, None] + offsets[None, :]
    weight = np.clip(1.0 - np.abs((index - centre[:, None] + 0.5) / support), 0.0, None)
    weight[offsets[None, :] >= count[:, None]] = 0.0
    weight /= np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)
    return np.minimum(index, in_len - 1), weight.astype(np.float32)


def resample_region(
    unit_rows, in_shape: tuple[int, int], out_shape: tuple[int, int], rows: slice, cols: slice
):
    """Antialiased bilinear values of an image of `in_shape` resized to `out_shape`, over output `rows` x `cols`.

    `unit_rows(row_indices, col_slice)` returns float32 N x h x w x C for the given input rows
    (an index array) and columns (a slice): callers convert only the input pixels actually needed.
    """
    y_index, y_weight = filter_taps(out_shape[0], in_shape[0], rows.start, rows.stop)
    x_index, x_weight = filter_taps(out_shape[1], in_shape[1], cols.start, cols.stop)
    if not y_index.size or not x_index.size:
        empty = unit_rows(np.arange(0), slice(0, 0))
        return np.zeros((empty.shape[0], len(y_index), len(x_index), empty.shape[-1]), np.float32)
    lo, hi = int(y_index.min()), int(y_index.max()) + 1
    needed = slice(int(x_index.min()), int(x_index.max()) + 1)
    block = unit_rows(np.arange(lo, hi), needed)  # each needed input row read once
    y_index, x_index = y_index - lo, x_index - needed.start
    vertical = sum(
        y_weight[None, :, t, None, None] * block[:, y_index[:, t]] for t in range(y_index.shape[1])
    )
    return sum(
        x_weight[None, None, :, t, None] * vertical[:, :, x_index[:, t]] for t in range(x_index.shape[1])
    )
