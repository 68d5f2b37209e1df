"""How much of the model's result each pixel gets: `strength` times an optional soft `mask`.

out = source + weight * (result - source), computed in [0, 1]; where weight == 0 the output is the
input array's own values (np.where on the native data), bit for bit, whatever the dtype or range:
a float round trip through [0, 1] is not exact, and "untouched" has to mean untouched.
"""

import math
from collections.abc import Callable

import numpy as np

from ..errors import UserError
from .layout import Layout
from .ranges import ValueRange, from_unit

MaskBands = Callable[[slice, slice], np.ndarray]


def check_strength(strength) -> float:
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise UserError(f"strength must be a number in [0, 1], got {strength!r}") from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise UserError(f"strength must be in [0, 1], got {value}")
    return value


def checked_mask(mask, layout: Layout) -> tuple[np.ndarray, float]:
    """Validate `mask` against the image: (mask as [1 or Z] x H x W in its own dtype, its full-scale value)."""
    mask = np.asarray(mask)
    plane = (layout.height, layout.width)
    if mask.shape == plane:
        mask = mask[None]  # one mask for every slice
    elif layout.is_stack and mask.shape == (*layout.lead, *plane):
        mask = mask.reshape(layout.slices, *plane)
    else:
        expected = f"{plane}" + (f" or {(*layout.lead, *plane)}" if layout.is_stack else "")
        colour = (
            mask.ndim >= 3 and mask.shape[:-1] in (plane, (*layout.lead, *plane)) and 2 <= mask.shape[-1] <= 4
        )
        hint = f" (a mask has one channel: give a grey mask, not {mask.shape[-1]} channels)" if colour else ""
        raise UserError(
            f"mask has shape {mask.shape}; expected {expected} to match the {layout.describe()}{hint}"
        )
    if mask.dtype == np.bool_:
        return mask, 1.0
    if mask.dtype == np.uint8:
        return mask, 255.0
    if mask.dtype == np.uint16:  # a 16-bit mask file
        return mask, 65535.0
    if mask.dtype.kind == "f":
        if mask.size and not (np.isfinite(mask.min()) and np.isfinite(mask.max())):
            raise UserError("mask contains NaN or infinite values")
        if mask.size and (mask.min() < 0 or mask.max() > 1):
            raise UserError(f"float mask must lie in [0, 1], got [{mask.min()}, {mask.max()}]")
        return mask, 1.0
    raise UserError(
        f"mask has dtype {mask.dtype}; use bool, uint8 (0-255), uint16 (0-65535) or float in [0, 1]"
    )


def mask_as_float(mask, layout: Layout) -> np.ndarray | None:
    """The mask as float32 [1 or Z] x H x W in [0, 1] (what a remote pipeline is sent), or None."""
    if mask is None:
        return None
    mask, scale = checked_mask(mask, layout)
    return mask.astype(np.float32) / np.float32(scale)


def read_mask(mask, layout: Layout) -> MaskBands | None:
    """Validate `mask` against the image; return `bands(z, rows) -> float32 N|1 x h x W x 1` in [0, 1]."""
    if mask is None:
        return None
    mask, scale = checked_mask(mask, layout)
    per_slice = mask.shape[0] > 1

    def bands(z: slice, rows: slice) -> np.ndarray:
        part = mask[z if per_slice else slice(None), rows]
        return (part.astype(np.float32) / np.float32(scale))[..., None]

    return bands


def blend(native: np.ndarray, source: np.ndarray, result: np.ndarray, weight, rng: ValueRange) -> np.ndarray:
    """Mix `result` into `source` (both in [0, 1]) by `weight` (a number or N x h x W x 1) in native values."""
    if np.isscalar(weight):
        if weight == 0:
            return native.copy()
        mixed = result if weight == 1 else source + np.float32(weight) * (result - source)
        return from_unit(mixed, rng, native.dtype)
    mixed = source + weight * (result - source)
    return np.where(weight == 0, native, from_unit(mixed, rng, native.dtype))
