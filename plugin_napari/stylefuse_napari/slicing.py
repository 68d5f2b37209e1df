"""A layer's array as a stack of 2-D planes (N x H x W [x C]) and back.

napari layers hold 2-D to n-D data; the pipeline works on planes. The two plane axes (the displayed
ones, or the last two once a slice axis is chosen) move to the end, every other axis is flattened
into N, and the result is put back the same way. Colour (rgb layers) stays the last axis throughout.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from stylefuse.errors import UserError


def plane_axes(
    ndim: int, displayed: tuple[int, ...] | None = None, slice_axis: int | None = None
) -> tuple[int, int]:
    """The (row, column) axes of the planes for a layer with `ndim` spatial axes.

    `slice_axis` (cut along it, e.g. 0 for axial slices of a Z x Y x X volume) wins; otherwise the
    last two `displayed` axes (layer axes, not world axes); otherwise the last two axes.
    """
    if ndim < 2:
        raise UserError(f"layer has {ndim} spatial axis; style transfer and fusion need at least 2")
    if slice_axis is not None:
        if not 0 <= slice_axis < ndim:
            raise UserError(
                f"slice axis {slice_axis} does not exist in a {ndim}-D layer (axes 0..{ndim - 1})"
            )
        rest = [axis for axis in range(ndim) if axis != slice_axis]
        return rest[-2], rest[-1]
    if displayed is not None:
        axes = [axis for axis in displayed if 0 <= axis < ndim]
        if len(axes) >= 2:
            return axes[-2], axes[-1]
    return ndim - 2, ndim - 1


def layer_axes(world_axes: tuple[int, ...], world_ndim: int, layer_ndim: int) -> tuple[int, ...]:
    """World (viewer) axes -> the layer's axes (napari aligns layers on their last axes)."""
    offset = world_ndim - layer_ndim
    return tuple(axis - offset for axis in world_axes if axis - offset >= 0)


@dataclass(frozen=True)
class Planes:
    """How an n-D array maps onto N x H x W [x C] and back."""

    shape: tuple[int, ...]  # spatial shape of the layer (without the colour axis)
    order: tuple[int, ...]  # spatial axes in plane order: the others, then row, then column
    rgb: bool

    @property
    def lead(self) -> tuple[int, ...]:
        return tuple(self.shape[axis] for axis in self.order[:-2])

    @property
    def count(self) -> int:
        return int(np.prod(self.lead, dtype=np.int64))

    @property
    def plane(self) -> tuple[int, int]:
        return self.shape[self.order[-2]], self.shape[self.order[-1]]

    def split(self, data: np.ndarray) -> np.ndarray:
        """`data` (the layer's array, or a mask of its spatial shape) as N x H x W [x C]."""
        colour = data.ndim > len(self.shape)
        order = (*self.order, len(self.shape)) if colour else self.order
        moved = np.transpose(data, order)
        return moved.reshape(self.count, *self.plane, *moved.shape[len(self.shape) :])

    def join(self, planes: np.ndarray) -> np.ndarray:
        """The inverse of `split` (the colour axis may have a different size than the input's)."""
        extra = planes.shape[3:]
        moved = planes.reshape(*self.lead, *self.plane, *extra)
        inverse = np.argsort(self.order)
        order = (*inverse, len(self.shape)) if extra else tuple(inverse)
        return np.ascontiguousarray(np.transpose(moved, order))


def planes_of(data_shape: tuple[int, ...], rgb: bool, rows: int, cols: int) -> Planes:
    spatial = tuple(data_shape[:-1] if rgb else data_shape)
    others = tuple(axis for axis in range(len(spatial)) if axis not in (rows, cols))
    return Planes(spatial, (*others, rows, cols), rgb)


def chunks(count: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most `size` planes (one pipeline call each)."""
    size = max(1, int(size))
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))
