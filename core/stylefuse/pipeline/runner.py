"""Running a per-pixel model over a stack of images: slices in batches, big slices in tiles.

The runner knows nothing about images, dtypes or colour. It is given three functions:
- `prepare(z, rows, cols)` returns the model inputs (N x C x h x w float tensors) for slices `z`
  and the read region `rows` x `cols` (native data is converted on demand, tile by tile);
- `forward(*inputs)` runs the model;
- `finish(z, rows, result)` receives final model output for full-width rows (N x h x W x C float32,
  tiles already blended) and writes the user's output for them.
Work proceeds one row of tiles at a time, so the only full-width float buffer is one band of rows
(tile_size high); the overlap with the next row of tiles is carried over. Memory stays bounded for
huge images, and every output pixel is finished exactly once. An image that fits one tile skips
the band: the model's output goes to `finish` as it is.
"""

from collections.abc import Callable

import numpy as np
import torch

from ..errors import UserError
from .tiling import plan_axis

# Upper bound on pixels per forward call (batch x tile): batching small slices is fast, but
# activations grow with it (~100-200 bytes per pixel for the shipped generators).
MAX_BATCH_PIXELS = 4 * 1024 * 1024

Prepare = Callable[[slice, slice, slice], tuple[torch.Tensor, ...]]
Forward = Callable[..., torch.Tensor]
Finish = Callable[[slice, slice, np.ndarray], None]
Progress = Callable[[int, int], object]
Cancel = Callable[[], bool]


class Cancelled(Exception):
    """Raised when the caller's `cancel()` returned True; the output is abandoned."""


def check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise UserError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def as_batch(unit: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """N x h x w x C float32 (numpy, channels last) -> N x C x h x w tensor (what the models take).

    The tensor keeps the channels-last memory layout (a view, no transposing copy): PyTorch's CPU
    convolutions run ~1/3 faster on it for the dense 3x3 generators here, and the model's output
    comes back channels-last too, so the runner's N x h x w x C view of a tile is cheap as well.
    """
    batch = torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32)).permute(0, 3, 1, 2)
    return batch if device is None else batch.to(device)


def slices_per_call(batch_size: int, read_pixels: int) -> int:
    return max(1, min(batch_size, MAX_BATCH_PIXELS // max(read_pixels, 1)))


def run_tiled(
    slices: int,
    height: int,
    width: int,
    channels: int,
    prepare: Prepare,
    forward: Forward,
    finish: Finish,
    *,
    tile_size: int | None,
    overlap: int,
    margin: int,
    multiple: int,
    batch_size: int,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> None:
    """Run `forward` over every tile of every slice; `channels` is the model's output channel count."""
    rows = plan_axis(height, tile_size, overlap, margin, multiple)
    cols = plan_axis(width, tile_size, overlap, margin, multiple)
    read_pixels = max(r.read.stop - r.read.start for r in rows) * max(
        c.read.stop - c.read.start for c in cols
    )
    per_call = slices_per_call(batch_size, read_pixels)
    total, done = slices * len(rows) * len(cols), 0
    if progress is not None:
        progress(0, total)
    single = len(rows) == 1 and len(cols) == 1  # the image fits one tile: no band, no feathering
    for z0 in range(0, slices, per_call):
        z = slice(z0, min(z0 + per_call, slices))
        if single:
            if cancel is not None and cancel():
                raise Cancelled("cancelled by the caller")
            out = forward(*prepare(z, rows[0].read, cols[0].read))
            finish(z, rows[0].blend, out.permute(0, 2, 3, 1).float().cpu().numpy())
            done += z.stop - z.start
            if progress is not None:
                progress(done, total)
            continue
        carry = None  # blended rows shared with the next row of tiles
        for i, row in enumerate(rows):
            band = np.zeros((z.stop - z.start, row.blend.stop - row.blend.start, width, channels), np.float32)
            if carry is not None:
                band[:, : carry.shape[1]] = carry
            for col in cols:
                if cancel is not None and cancel():
                    raise Cancelled("cancelled by the caller")
                out = forward(*prepare(z, row.read, col.read))
                tile = out[:, :, row.crop, col.crop].permute(0, 2, 3, 1).float().cpu().numpy()
                tile *= row.weight[None, :, None, None] * col.weight[None, None, :, None]
                band[:, :, col.blend] += tile
                done += z.stop - z.start
                if progress is not None:
                    progress(done, total)
            final = (rows[i + 1].blend.start if i + 1 < len(rows) else row.blend.stop) - row.blend.start
            finish(z, slice(row.blend.start, row.blend.start + final), band[:, :final])
            carry = band[:, final:]
