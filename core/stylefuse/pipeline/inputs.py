"""The prepare step: one user array made ready for the model, computed once and used by every path.

`prepare(array)` checks the dtype and the size limit, parses the layout (grey/colour, alpha, stack),
finds the value range (of the colour channels; NaN/Inf refused) and views the data as N x H x W x C
slices, without a copy. `Planes.tiling(model, ...)` is the tiling plan for a model. The in-process
pipeline (`stylize`, `fuse`), the Triton client (which sends the same slices, range and masks) and
the Triton backend all start here; `prepare_pair` does the same for fusion's two inputs.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..limits import check_pixel_count
from .layout import Layout, as_slices, parse_layout
from .ranges import ValueRange, check_dtype, to_unit, value_range_of
from .tiling import tile_options


@dataclass(frozen=True)
class Planes:
    array: np.ndarray  # what the user gave
    layout: Layout
    rng: ValueRange
    view: np.ndarray  # the same data as N x H x W x C

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def empty(self) -> bool:
        return self.array.size == 0

    def native(self, z: slice, rows) -> np.ndarray:
        """Colour channels of full-width rows, as given (N x h x W x 1|3)."""
        return self.view[z, rows, :, : self.layout.colour_channels]

    def alpha(self, z: slice, rows) -> np.ndarray:
        """The alpha channel of full-width rows (N x h x W x 0|1): passed through untouched."""
        return self.view[z, rows, :, self.layout.colour_channels :]

    def unit(self, z: slice, rows, cols: slice = slice(None)) -> np.ndarray:
        """Colour channels of a region as float32 in [0, 1]; `rows` may be a slice or an index array."""
        return to_unit(self.view[z, rows, cols, : self.layout.colour_channels], self.rng)

    def tiling(self, model, tile_size: int | None, tile_overlap: int | None = None) -> dict:
        """The tiling plan (`run_tiled`'s keyword arguments) of this input for `model`, checked."""
        return tile_options(tile_size, tile_overlap, model.receptive_radius, model.spatial_multiple)

    def describe(self) -> str:
        return f"{'x'.join(map(str, self.array.shape))} ({self.layout.describe()})"


def prepare(array, is_stack: bool | None = None, value_range=None, what: str = "image") -> Planes:
    """`array` (an image or a stack; see `layout`) made ready: checked, laid out, its range found.

    `value_range` (lo, hi) overrides the range rule (see `ranges`). Raises UserError for anything
    the caller can fix; never copies or modifies the data.
    """
    if array is None:
        raise UserError(f"{what} is missing")
    array = np.asarray(array)
    check_dtype(array, what)
    layout = parse_layout(array.shape, is_stack, what)
    check_pixel_count((layout.slices, layout.height, layout.width), what)
    view = as_slices(array, layout)
    # The range comes from the colour channels only: an alpha of 0/65535 must not stretch it.
    rng = value_range_of(view[..., : layout.colour_channels], value_range, what)
    return Planes(array, layout, rng, view)


def split_value_range(value_range):
    """Fusion's `value_range`: None, one (lo, hi) for both inputs, or ((lo_a, hi_a), (lo_b, hi_b))."""
    if value_range is None:
        return None, None
    try:
        first, second = value_range
    except (TypeError, ValueError):
        raise UserError(
            f"value_range must be (lo, hi) or ((lo_a, hi_a), (lo_b, hi_b)), got {value_range!r}"
        ) from None
    if np.ndim(first) == 1 and np.ndim(second) == 1:
        return first, second
    return value_range, value_range


def prepare_pair(
    a, b, is_stack: bool | None = None, value_range=None, resample: bool = False
) -> tuple[Planes, Planes]:
    """Fusion's two inputs prepared, each with its own range, and checked to fit together: the same
    slices, and the same height and width unless b is to be resampled onto a."""
    range_a, range_b = split_value_range(value_range)
    pa = prepare(a, is_stack, range_a, "a")
    pb = prepare(b, is_stack, range_b, "b")
    same_plane = (pa.layout.height, pa.layout.width) == (pb.layout.height, pb.layout.width)
    if pa.layout.lead != pb.layout.lead or (not same_plane and not resample):
        hint = "" if pa.layout.lead != pb.layout.lead else "; pass resample=True to resize b onto a"
        raise UserError(f"fusion inputs differ in size: a is {pa.describe()}, b is {pb.describe()}{hint}")
    return pa, pb
