"""Where tiles go along one axis and how neighbouring tiles are blended.

A tile has three nested extents along an axis:
- `blend`: the output pixels it contributes to. Neighbouring blends overlap by `overlap` pixels,
  where the two tiles are cross-faded with linear ramps that sum to exactly one (a partition of
  unity, so no normalisation pass is needed and a 2-D weight is just the product of two 1-D ones).
- `read`: the pixels the model sees: the blend plus a context margin of at least the model's
  receptive radius on each side (clipped at the image border). Its output there is computed and
  discarded: it is what the zero padding at the tile's edge spoils.
- the start of `read` is a multiple of the model's spatial multiple (4): the generator downsamples
  twice by stride 2, and a tile starting off that grid would see a shifted grid and disagree with
  its neighbours (and with the untiled result).
With margin >= receptive radius each tile reproduces the untiled result in its blend region up to
float rounding; the feathered overlap hides whatever is left (e.g. a model whose radius is understated).
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..limits import DEFAULT_TILE_SIZE  # noqa: F401  (re-exported: the pipeline's default)


@dataclass(frozen=True)
class Span:
    read: slice  # what the model sees along this axis
    blend: slice  # the output pixels this tile contributes to
    weight: np.ndarray  # float32 feather weights over `blend`; the weights of all spans sum to 1

    @property
    def crop(self) -> slice:
        """`blend` relative to `read`: the part of the model's output that is kept."""
        return slice(self.blend.start - self.read.start, self.blend.stop - self.read.start)


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def round_down(value: int, multiple: int) -> int:
    return value // multiple * multiple


def default_overlap(receptive_radius: int, multiple: int) -> int:
    """Feather width when the caller gives none: half the receptive radius, on the model's grid.

    The context margins already make tiles agree; the band only has to hide residual differences,
    and every extra pixel of it is recomputed by two tiles.
    """
    return round_up(max(receptive_radius // 2, multiple), multiple)


def context_margin(receptive_radius: int, multiple: int) -> int:
    return round_up(max(receptive_radius, 0), multiple)


def check_tiling(tile_size: int | None, overlap: int, multiple: int) -> None:
    if tile_size is None:
        return
    if (
        isinstance(tile_size, bool)
        or not isinstance(tile_size, (int, np.integer))
        or tile_size < 4 * multiple
    ):
        raise UserError(
            f"tile_size must be an integer >= {4 * multiple} (or None for no tiling), got {tile_size!r}"
        )
    if isinstance(overlap, bool) or not isinstance(overlap, (int, np.integer)) or overlap < 0:
        raise UserError(f"tile_overlap must be a non-negative integer, got {overlap!r}")
    # Only neighbours may overlap (the band-wise blending relies on it): step >= tile_size / 2.
    if 2 * round_down(tile_size - overlap, multiple) < tile_size:
        raise UserError(
            f"tile_overlap {overlap} is too large for tile_size {tile_size}: use at most about half"
        )


def tile_options(
    tile_size: int | None, tile_overlap: int | None, receptive_radius: int, multiple: int
) -> dict:
    """The tiling keyword arguments of `run_tiled` for a model, checked, defaults filled in."""
    overlap = tile_overlap
    if overlap is None:
        overlap = default_overlap(receptive_radius, multiple)
        if isinstance(tile_size, (int, np.integer)) and not isinstance(tile_size, bool):
            # Small tiles: shrink the default feather to what fits rather than refuse the tile size.
            overlap = max(0, min(overlap, tile_size - round_up(-(-tile_size // 2), multiple)))
    check_tiling(tile_size, overlap, multiple)
    return dict(
        tile_size=tile_size,
        overlap=int(overlap),
        margin=context_margin(receptive_radius, multiple),
        multiple=multiple,
    )


def ramp(length: int, fade_in: int, fade_out: int) -> np.ndarray:
    """Weights 1 in the middle, rising over the first `fade_in` and falling over the last `fade_out`.

    The falling ramp of one tile and the rising ramp of the next are 1 - t and t at the same pixels.
    """
    w = np.ones(length, dtype=np.float32)
    if fade_in:
        w[:fade_in] = (np.arange(fade_in, dtype=np.float32) + 0.5) / fade_in
    if fade_out:
        w[length - fade_out :] = 1.0 - (np.arange(fade_out, dtype=np.float32) + 0.5) / fade_out
    return w


def plan_axis(length: int, tile_size: int | None, overlap: int, margin: int, multiple: int) -> list[Span]:
    """Tiles covering [0, length): one if it fits in `tile_size`, else blends of `tile_size` px.

    Blend starts step by `tile_size - overlap` rounded down to `multiple`, so every blend start is on
    the model's grid and the read start (blend start - margin, margin a multiple too) is as well; the
    actual overlap is therefore >= `overlap`. The last tile may be shorter.
    """
    if tile_size is None or length <= tile_size:
        return [Span(slice(0, length), slice(0, length), np.ones(length, dtype=np.float32))]
    step = round_down(tile_size - overlap, multiple)
    starts = [i * step for i in range(math.ceil((length - tile_size) / step) + 1)]
    spans = []
    for i, start in enumerate(starts):
        stop = min(start + tile_size, length)
        fade_in = starts[i - 1] + tile_size - start if i > 0 else 0
        fade_out = stop - starts[i + 1] if i + 1 < len(starts) else 0
        read = slice(max(start - margin, 0), min(round_up(stop + margin, multiple), length))
        spans.append(Span(read, slice(start, stop), ramp(stop - start, fade_in, fade_out)))
    return spans
