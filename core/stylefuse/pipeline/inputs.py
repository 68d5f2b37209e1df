"""One user array made ready for the pipeline: layout parsed, range found, viewed as slices, no copy."""

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..limits import check_pixel_count
from .layout import Layout, as_slices, parse_layout
from .ranges import ValueRange, check_dtype, to_unit, value_range_of


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


def read_input(array, is_stack: bool | None = None, value_range=None, what: str = "image") -> Planes:
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
