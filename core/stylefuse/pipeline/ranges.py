"""Which numbers mean black and white: the value-range rule, and conversion to and from [0, 1].

The models work on float32 in [0, 1]. The pipeline maps an input onto that interval and back with
one linear map per input, so the output keeps the input's dtype, shape and value range:

- uint8: the fixed range [0, 255].
- other integers (uint16, int16 HU, int8, int32, ...): [min, max] of the WHOLE input (the image, or the
  entire stack), so 12-bit data in uint16 and CT in Hounsfield units keep their contrast and every
  slice of a volume is mapped the same way.
- float (float16/32/64): [0, 1] if all values lie within it, else [min, max]. NaN/Inf are refused.
- `value_range=(lo, hi)` overrides the rule; values outside it are clipped on the way in.

On the way out values are clipped to the range and rounded for integer dtypes. A constant input
(min == max) maps to 0 and back to itself: the span is taken as 1, never divided by zero.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import UserError

_ACCEPTED = "uint8, uint16, int16, other integers, or float16/32/64"


@dataclass(frozen=True)
class ValueRange:
    """The values of an input that map to 0 and 1."""

    lo: float
    hi: float

    @property
    def span(self) -> float:
        # A constant image has lo == hi; any non-zero span maps it to 0 and back to lo.
        return self.hi - self.lo if self.hi > self.lo else 1.0


def check_dtype(array: np.ndarray, what: str) -> None:
    kind = array.dtype.kind
    if kind not in "uif" or array.dtype == np.bool_:
        raise UserError(f"{what} has unsupported dtype {array.dtype}; use {_ACCEPTED}")


def _checked_override(value_range, what: str) -> ValueRange:
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise UserError(f"value_range for {what} must be a pair (lo, hi) of numbers, got {value_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise UserError(f"value_range for {what} must be finite with lo < hi, got ({lo}, {hi})")
    return ValueRange(lo, hi)


def value_range_of(array: np.ndarray, override=None, what: str = "image") -> ValueRange:
    """The range the rule in this module's docstring gives `array` (all of it: image or stack).

    Float input is also checked for NaN/Inf here: min/max propagate both, so no mask copy is needed.
    """
    check_dtype(array, what)
    is_float = array.dtype.kind == "f"
    needs_data = array.size > 0 and (is_float or (override is None and array.dtype != np.uint8))
    lo, hi = (float(np.min(array)), float(np.max(array))) if needs_data else (0.0, 1.0)
    if is_float and (np.isnan(lo) or np.isnan(hi)):
        raise UserError(f"{what} contains NaN values; replace them (e.g. np.nan_to_num) first")
    if is_float and (np.isinf(lo) or np.isinf(hi)):
        raise UserError(f"{what} contains infinite values; clip or replace them first")
    if override is not None:
        return _checked_override(override, what)
    if array.dtype == np.uint8:
        return ValueRange(0.0, 255.0)
    if is_float and lo >= 0.0 and hi <= 1.0:
        return ValueRange(0.0, 1.0)
    return ValueRange(lo, hi)


def _work_dtype(dtype: np.dtype) -> type:
    # float32 holds uint8/uint16/int16/float16 exactly; wider inputs are scaled in float64 first so
    # large integers (int32 counts, float64 data far from 0) do not lose their low bits before scaling.
    return np.float32 if dtype.itemsize <= 2 or dtype == np.float32 else np.float64


def to_unit(native: np.ndarray, rng: ValueRange) -> np.ndarray:
    """Native values -> float32 in [0, 1] (a new array)."""
    work = _work_dtype(native.dtype)
    unit = native.astype(work)
    unit -= work(rng.lo)
    unit /= work(rng.span)
    np.clip(unit, 0.0, 1.0, out=unit)
    return unit.astype(np.float32, copy=False)


def from_unit(unit: np.ndarray, rng: ValueRange, dtype: np.dtype) -> np.ndarray:
    """Float in [0, 1] -> values of `dtype` in `rng`: clipped, rounded for integer dtypes."""
    dtype = np.dtype(dtype)
    work = _work_dtype(dtype)
    native = unit.astype(work)  # a copy, so the in-place steps below never touch the caller's array
    native *= work(rng.span)
    native += work(rng.lo)
    lo, hi = rng.lo, rng.hi
    if dtype.kind in "iu":
        np.rint(native, out=native)
        # An override range may reach past what the dtype holds (uint8 with (0, 300)): never wrap around.
        lo, hi = max(lo, float(np.iinfo(dtype).min)), min(hi, float(np.iinfo(dtype).max))
    np.clip(native, lo, hi, out=native)
    return native.astype(dtype, copy=False)
