"""The palette step as the style pipeline runs it: per-slice curves over a whole view, two passes.

`palette_mapper` maps a source (before the generator) and `palette_again` the generator's result
(after it) onto a style's colours with the curves of `stylefuse.pipeline.palette`; histograms are
gathered band by band on a regular pixel grid, so memory stays bounded and tiling does not matter.
"""

import numpy as np

from .color import to_channels
from .palette import ByteTable, apply_curves, palette_curves, source_cdf
from .ranges import from_unit, to_unit
from .weights import blend

PALETTE_BAND_ROWS = 256  # rows per read while gathering a histogram (bounded memory)
PALETTE_SAMPLES = 1 << 18  # pixels per slice the histogram needs; bigger slices are subsampled


def _bands(layout) -> list[tuple[slice, slice]]:
    return [
        (slice(z, z + 1), slice(r, r + PALETTE_BAND_ROWS))
        for z in range(layout.slices)
        for r in range(0, layout.height, PALETTE_BAND_ROWS)
    ]


def _histogram_bands(layout, z: int) -> list[tuple[slice, slice, slice]]:
    """Where the palette's histogram of slice z reads: every pixel of a small slice, a regular grid of
    a big one (every 2nd row and column of a megapixel: the curve is the same to a fraction of a
    level, and the same pixels are read whatever the tiling)."""
    step = max(1, int((layout.height * layout.width / PALETTE_SAMPLES) ** 0.5))
    return [
        (slice(z, z + 1), slice(r, r + PALETTE_BAND_ROWS, step), slice(None, None, step))
        for r in range(0, layout.height, PALETTE_BAND_ROWS)
    ]


def _byte_table(view: np.ndarray, rng, layout, z: int, target: np.ndarray) -> ByteTable:
    own = layout.colour_channels
    table = ByteTable(to_unit(np.repeat(np.arange(256, dtype=np.uint8)[:, None], own, 1), rng).T)
    bands = _histogram_bands(layout, z)
    table.set_curves(palette_curves(table.cdf(view[zs, r, c, :own] for zs, r, c in bands), target))
    return table


def palette_mapper(view: np.ndarray, rng, layout, channels: int, target: np.ndarray):
    """A function (z, rows, cols) -> `view`'s colours (native values, N x H x W x C) mapped onto
    `target`'s, as `channels` float channels.

    One curve per slice: a stack gives the same result whether it arrives whole or in batches of
    slices (napari slice by slice, Triton clients in batches), and neighbouring slices of a volume
    have near-identical histograms, so their curves agree (flicker is measured in the benchmark).
    8-bit data whose channels map as they are (or grey into colour) use a byte table; anything
    else the float curves.
    """
    own = layout.colour_channels
    bytes_ok = view.dtype == np.uint8 and (own == channels or own == 1)

    def unit(native: np.ndarray) -> np.ndarray:
        return to_channels(to_unit(native, rng), channels)

    per_slice = []
    for z in range(layout.slices):
        if bytes_ok:
            per_slice.append(_byte_table(view, rng, layout, z, target).apply)
            continue
        cdf = source_cdf(lambda b: unit(view[b[0], b[1], b[2], :own]), _histogram_bands(layout, z))
        curves = palette_curves(cdf, target)
        per_slice.append(lambda native, curves=curves: apply_curves(unit(native), curves))

    def mapped(z: slice, rows, cols) -> np.ndarray:
        parts = [per_slice[k](view[k : k + 1, rows, cols, :own]) for k in range(z.start, z.stop)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    return mapped


def palette_again(src, out_view: np.ndarray, target: np.ndarray, strength: float, mask_bands) -> None:
    """The palette's second pass: the generator drifts colours (a Mondrian model's whites and
    blacks), so its result is mapped onto the style's colours once more (slice by slice), then
    blended with the source by strength and mask. `out_view` holds the generator's result in
    native values."""
    colour = src.layout.colour_channels
    plain = mask_bands is None and strength == 1
    if plain and out_view.dtype == np.uint8:  # bytes to bytes through one table: no float pass at all
        for z in range(src.layout.slices):
            table = _byte_table(out_view, src.rng, src.layout, z, target)
            table.table = from_unit(table.table, src.rng, np.uint8)
            for r in range(0, src.layout.height, PALETTE_BAND_ROWS):
                band = out_view[z, r : r + PALETTE_BAND_ROWS, :, :colour]
                band[...] = table.apply(band, out=np.empty_like(band))
        return
    mapped = palette_mapper(out_view, src.rng, src.layout, colour, target)
    for z, rows in _bands(src.layout):
        weight = strength if mask_bands is None else strength * mask_bands(z, rows)
        source = None if plain else src.unit(z, rows)
        out_view[z, rows, :, :colour] = blend(
            src.native(z, rows), source, mapped(z, rows, slice(None)), weight, src.rng
        )
