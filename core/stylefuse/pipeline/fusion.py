"""Fusion of two aligned images or stacks (modalities, exposures, focus planes): `fuse`.

A fusion model sees one colour space for both inputs. With a grey (1-channel) model, colour is
handled the YCbCr way: the model fuses the lumas; the chroma is the colour input's own when only
one input has colour (MRI + PET/SPECT), or both inputs' chroma mixed by saturation when both do.
A 3-channel model fuses RGB directly (grey inputs replicated).
"""

import numpy as np
import torch

from ..registry import LoadedModel
from .color import chroma, fuse_chroma, to_channels, ycbcr_to_rgb
from .inputs import Planes, prepare_pair
from .loading import model_call, model_device, resolve_model
from .ranges import from_unit
from .resample import resample_region
from .runner import Cancel, Progress, as_batch, check_batch_size, run_tiled
from .tiling import DEFAULT_TILE_SIZE


def _unit_reader(b: Planes, height: int, width: int):
    """`read(z, rows, cols)` of b's colour as float32 in [0, 1], resampled onto a height x width grid."""
    if (b.layout.height, b.layout.width) == (height, width):
        return b.unit

    def read(z: slice, rows: slice, cols: slice = slice(None)) -> np.ndarray:
        cols = slice(*cols.indices(width))
        return resample_region(
            lambda row_index, needed: b.unit(z, row_index, needed),
            (b.layout.height, b.layout.width),
            (height, width),
            rows,
            cols,
        )

    return read


@torch.inference_mode()
def fuse(
    a: np.ndarray,
    b: np.ndarray,
    model: LoadedModel | str | None = None,
    resample: bool = False,
    is_stack: bool | None = None,
    tile_size: int | None = DEFAULT_TILE_SIZE,
    tile_overlap: int | None = None,
    batch_size: int = 8,
    value_range: tuple | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> np.ndarray:
    """Fuse `b` into `a` (same H x W and slices, or resample=True to resize b onto a: bilinear, antialiased).

    Each input is mapped to [0, 1] with its own range (see `stylefuse.pipeline.ranges`); the result
    has a's dtype, range and layout, with 3 colour channels if either input has colour, and a's alpha
    (b's alpha is ignored).
    `value_range` is one (lo, hi) for both inputs or a pair of them. `model` None: the model the automatic
    rule picks for this pair (`stylefuse.fusion_kind.default_fusion_model`).
    """
    if model is None:  # the automatic rule: the pair's kind picks the model (stylefuse.fusion_kind)
        from ..fusion_kind import default_fusion_model

        model = default_fusion_model(a, b, is_stack)
    loaded = resolve_model(model, "fuse")
    pa, pb = prepare_pair(a, b, is_stack, value_range, resample)
    tiling = pa.tiling(loaded, tile_size, tile_overlap)
    batch_size = check_batch_size(batch_size)

    colour_out = pa.layout.colour or pb.layout.colour
    colour = 3 if colour_out else 1
    channels = colour + int(pa.layout.alpha)  # a's alpha, if any, rides along; b's is dropped
    out = np.zeros(pa.layout.shape_with(channels), pa.dtype)
    if pa.empty or pb.empty:
        return out
    out_view = out.reshape(pa.layout.slices, pa.layout.height, pa.layout.width, channels)
    read_b = _unit_reader(pb, pa.layout.height, pa.layout.width)
    device = model_device(loaded)

    def prepare(z: slice, rows: slice, cols: slice) -> tuple[torch.Tensor, torch.Tensor]:
        return (
            as_batch(to_channels(pa.unit(z, rows, cols), loaded.channels), device),
            as_batch(to_channels(read_b(z, rows, cols), loaded.channels), device),
        )

    def finish(z: slice, rows: slice, fused: np.ndarray) -> None:
        if not colour_out:
            result = to_channels(fused, 1)
        elif fused.shape[-1] == 3:
            result = fused
        else:
            if pa.layout.colour and pb.layout.colour:
                cbcr = fuse_chroma(chroma(pa.unit(z, rows)), chroma(read_b(z, rows)))
            else:  # the one colour input keeps its chroma exactly
                cbcr = chroma(pa.unit(z, rows) if pa.layout.colour else read_b(z, rows))
            result = ycbcr_to_rgb(fused, cbcr)
        out_view[z, rows, :, :colour] = from_unit(result, pa.rng, pa.dtype)
        out_view[z, rows, :, colour:] = pa.alpha(z, rows)

    run_tiled(
        pa.layout.slices,
        pa.layout.height,
        pa.layout.width,
        loaded.channels,
        prepare,
        model_call(loaded, loaded.module),
        finish,
        batch_size=batch_size,
        progress=progress,
        cancel=cancel,
        **tiling,
    )
    return out
