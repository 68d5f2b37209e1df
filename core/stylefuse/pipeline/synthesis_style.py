"""Style transfer by example-based synthesis (`stylize(..., method="synthesis")`) inside the pipeline.

Synthesis looks at the whole image at once (no tiles): each slice is shrunk to a working size
(long side `work_side`) by box averaging, band by band, painted there by `stylefuse.synthesis`, and
the painting's change is carried up to full size: out = photo + upsampled(painted - shrunk photo),
so the photo's own fine detail stays at full resolution and memory stays bounded by a band of rows.
A stack's slices are painted in order, each starting from the previous slice's patch choices (a stack
in parts, e.g. a video's chunks, carries them over in a StackState).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import UserError
from ..synthesis import SynthesisCancelled, SynthesisOptions, SynthesisState, synthesize
from .color import to_channels
from .inputs import Planes
from .layout import as_slices
from .resample import resample_region
from .runner import Cancel, Cancelled, Progress
from .stack_state import StackState
from .weights import MaskBands, blend

WORK_SIDE = 512
MIN_SIDE = 16
BAND_ROWS = 256  # rows of the full-size image converted to float at a time


def check_work_side(work_side) -> int:
    if (
        isinstance(work_side, bool)
        or not isinstance(work_side, (int, np.integer))
        or not 64 <= work_side <= 4096
    ):
        raise UserError(f"synthesis size must be an integer from 64 to 4096, got {work_side!r}")
    return int(work_side)


def _shrink_factor(height: int, width: int, work_side: int) -> int:
    return max(1, math.ceil(max(height, width) / work_side))


def shrink_slice(src: Planes, z: int, factor: int) -> np.ndarray:
    """One slice's colour channels in [0, 1], box-averaged by `factor` (1 x h x w x C), band by band."""
    height, width = src.layout.height, src.layout.width
    if factor == 1:
        return src.unit(slice(z, z + 1), slice(None))
    out_h, out_w = math.ceil(height / factor), math.ceil(width / factor)
    bands = []
    step = max(1, BAND_ROWS // factor) * factor
    for top in range(0, height, step):
        rows = src.unit(slice(z, z + 1), slice(top, min(top + step, height)))
        tensor = torch.from_numpy(rows).permute(0, 3, 1, 2)
        pad_h = (-tensor.shape[-2]) % factor
        pad_w = (-tensor.shape[-1]) % factor
        if pad_h or pad_w:  # edge pixels repeated: a partial box averages what is there
            tensor = F.pad(tensor, (0, pad_w, 0, pad_h), mode="replicate")
        bands.append(F.avg_pool2d(tensor, factor).permute(0, 2, 3, 1).numpy())
    shrunk = np.concatenate(bands, axis=1)
    assert shrunk.shape[1:3] == (out_h, out_w)
    return shrunk


def painting_tensor(painting_unit: np.ndarray, channels: int, long_side: int, device) -> torch.Tensor:
    """The reference (1 x h x w x C in [0, 1]) as 1 x C x h' x w' with its long side `long_side`:
    the painting is seen at the photo's working scale, so strokes keep their size relative to it."""
    tensor = torch.from_numpy(np.ascontiguousarray(to_channels(painting_unit, channels))).permute(0, 3, 1, 2)
    h, w = tensor.shape[-2:]
    scale = long_side / max(h, w)
    size = (max(MIN_SIDE, round(h * scale)), max(MIN_SIDE, round(w * scale)))
    if size != (h, w):
        tensor = F.interpolate(tensor, size=size, mode="bilinear", align_corners=False, antialias=scale < 1)
    return tensor.to(device)


def synthesize_planes(
    src: Planes,
    painting_unit: np.ndarray,
    out: np.ndarray,
    *,
    strength: float,
    mask_bands: MaskBands | None,
    to_output_colour,
    preserve_color: bool,
    work_side: int = WORK_SIDE,
    options: SynthesisOptions | None = None,
    device: torch.device | str | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    state: StackState | None = None,
) -> None:
    """Paint every slice of `src` after `painting_unit` into `out` (the user's dtype and shape); the
    first slice continues from `state` (the previous part of the stack), which gets the last one's."""
    device = torch.device(device or "cpu")
    options = options or SynthesisOptions()
    layout = src.layout
    colour = layout.colour_channels
    out_view = as_slices(out, layout)
    factor = _shrink_factor(layout.height, layout.width, work_side)
    total = layout.slices * options.steps
    if progress is not None:
        progress(0, total)
    carried: SynthesisState | None = None if state is None else state.synthesis
    for z in range(layout.slices):
        shrunk = shrink_slice(src, z, factor)  # 1 x h x w x C
        content = torch.from_numpy(np.ascontiguousarray(shrunk)).permute(0, 3, 1, 2).to(device)
        painting = painting_tensor(painting_unit, colour, max(content.shape[-2:]), device)

        def slice_progress(done: int, _total: int, offset: int = z * options.steps) -> None:
            if progress is not None:
                progress(offset + done, total)

        try:
            painted, carried = synthesize(
                content, painting, options, state=carried, progress=slice_progress, cancel=cancel
            )
        except SynthesisCancelled:
            raise Cancelled("cancelled by the caller") from None
        if state is not None:
            state.synthesis = carried
        change = (painted - content).permute(0, 2, 3, 1).cpu().numpy()  # 1 x h x w x C
        _write_slice(src, z, change, factor, out_view, strength, mask_bands, to_output_colour, preserve_color)


def _write_slice(
    src: Planes,
    z: int,
    change: np.ndarray,
    factor: int,
    out_view: np.ndarray,
    strength: float,
    mask_bands: MaskBands | None,
    to_output_colour,
    preserve_color: bool,
) -> None:
    """Full-size rows of slice z: photo + upsampled change, colour rule, strength/mask, native dtype."""
    layout = src.layout
    colour = layout.colour_channels
    zs = slice(z, z + 1)
    for top in range(0, layout.height, BAND_ROWS):
        rows = slice(top, min(top + BAND_ROWS, layout.height))
        source = src.unit(zs, rows)
        if factor == 1:
            up = change[:, rows]
        else:
            up = resample_region(
                lambda r, c: change[:, r, c],
                change.shape[1:3],
                (layout.height, layout.width),
                rows,
                slice(0, layout.width),
            )
        painted = np.clip(source + up, 0.0, 1.0, dtype=np.float32)
        result = to_output_colour(painted, source, preserve_color)
        weight = strength if mask_bands is None else strength * mask_bands(zs, rows)
        out_view[zs, rows, :, :colour] = blend(src.native(zs, rows), source, result, weight, src.rng)
        out_view[zs, rows, :, colour:] = src.alpha(zs, rows)
