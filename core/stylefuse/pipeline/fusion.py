"""Fusion of two aligned images or stacks (modalities, exposures, focus planes): `fuse`.

A fusion model sees one colour space for both inputs. With a grey (1-channel) model, colour is
handled the YCbCr way: the model fuses the lumas; the chroma is the colour input's own when only
one input has colour (MRI + PET/SPECT), or both inputs' chroma mixed by saturation when both do.
A 3-channel model fuses RGB directly (grey inputs replicated).
"""

import numpy as np
import torch

from ..errors import UserError
from ..registry import LoadedModel
from .color import chroma, fuse_chroma, to_channels, ycbcr_to_rgb
from .inputs import Planes, read_input
from .loading import model_call, model_device, resolve_model
from .ranges import from_unit
from .resample import resample_region
from .runner import Cancel, Progress, as_batch, check_batch_size, run_tiled
from .tiling import DEFAULT_TILE_SIZE, tile_options


def _split_value_range(value_range):
    """None, one (lo, hi) for both inputs, or ((lo_a, hi_a), (lo_b, hi_b))."""
    if value_range is None:
        return None, None
    try:
        first, second = value_range
    except (TypeError, ValueError):
        raise UserError(f"value_range must be (lo, hi) or ((lo_a, hi_a), (lo_b, hi_b)), got {value_range!r}") from None
    if np.ndim(first) == 1 and np.ndim(second) == 1:
        return first, second
    return value_range, value_range


def _shape_text(planes: Planes) -> str:
    return "x".join(map(str, planes.array.shape))


def _check_shapes(a: Planes, b: Planes, resample: bool) -> None:
    same_plane = (a.layout.height, a.layout.width) == (b.layout.height, b.layout.width)
    if a.layout.lead != b.layout.lead or (not same_plane and not resample):
        hint = "" if a.layout.lead != b.layout.lead else "; pass resample=True to resize b onto a"
        raise UserError(
            f"fusion inputs differ in size: a is {_shape_text(a)} ({a.layout.describe()}), "
            f"b is {_shape_text(b)} ({b.layout.describe()}){hint}"
        )


def _unit_reader(b: Planes, height: int, width: int):
    """`read(z, rows, cols)` of b's colour as float32 in [0, 1], resampled onto a height x width grid."""
    if (b.layout.height, b.layout.width) == (height, width):
        return b.unit

    def read(z: slice, rows: slice, cols: slice = slice(None)) -> np.ndarray:
        cols = slice(*cols.indices(width))
        return resample_region(lambda row_index, needed: b.unit(z, row_index, needed),
                               (b.layout.height, b.layout.width), (height, width), rows, cols)

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
    `value_range` is one (lo, hi) for both inputs or a pair of them.
    """
    loaded = resolve_model(model, "fuse")
    range_a, range_b = _split_value_range(value_range)
    pa = read_input(a, is_stack, range_a, "a")
    pb = read_input(b, is_stack, range_b, "b")
    _check_shapes(pa, pb, resample)
    tiling = tile_options(tile_size, tile_overlap, loaded.receptive_radius, loaded.spatial_multiple)
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
        return (as_batch(to_channels(pa.unit(z, rows, cols), loaded.channels), device),
                as_batch(to_channels(read_b(z, rows, cols), loaded.channels), device))

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

    run_tiled(pa.layout.slices, pa.layout.height, pa.layout.width, loaded.channels, prepare,
              model_call(loaded, loaded.module),
              finish, batch_size=batch_size, progress=progress, cancel=cancel, **tiling)
    return out
