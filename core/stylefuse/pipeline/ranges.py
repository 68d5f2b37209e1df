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
        raise UserError(
            f"value_range for {what} must be a pair (lo, hi) of numbers, got {value_range!r}"
        ) from None
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


def _overflows(rng: ValueRange, work) -> bool:
    """True when hi - lo does not fit the work dtype (float data spanning most of its own range)."""
    with np.errstate(over="ignore"):
        return not np.isfinite(work(rng.hi) - work(rng.lo))


def to_unit(native: np.ndarray, rng: ValueRange) -> np.ndarray:
    """Native values -> float32 in [0, 1] (a new array)."""
    work = _work_dtype(native.dtype)
    if _overflows(rng, work):
        # e.g. float32 data from -3e38 to 3e38: the span is inf in float32 (and beyond float64 for
        # float64 data near its limits), so scale by halves in float64, where they always fit.
        unit = native.astype(np.float64) * 0.5
        unit -= rng.lo * 0.5
        unit /= rng.hi * 0.5 - rng.lo * 0.5
    else:
        unit = native.astype(work)
        unit -= work(rng.lo)
        unit /= work(rng.span)
    np.clip(unit, 0.0, 1.0, out=unit)
    return unit.astype(np.float32, copy=False)


def _dtype_limits(dtype: np.dtype) -> tuple[float, float]:
    """The dtype's extremes as floats that convert back without overflow (int64 max is 2**63 - 1,
    which float64 rounds up to 2**63, one past the top: casting that wraps around to the minimum)."""
    info = np.iinfo(dtype)
    lo, hi = float(info.min), float(info.max)
    if int(hi) > info.max:
        hi = float(np.nextafter(hi, -np.inf))
    return lo, hi


def from_unit(unit: np.ndarray, rng: ValueRange, dtype: np.dtype) -> np.ndarray:
    """Float in [0, 1] -> values of `dtype` in `rng`: clipped, rounded for integer dtypes."""
    dtype = np.dtype(dtype)
    work = _work_dtype(dtype)
    if _overflows(rng, work):  # see to_unit: lo * (1 - u) + hi * u never overflows
        u = unit.astype(np.float64)
        native = rng.lo * (1.0 - u)
        native += rng.hi * u
    else:
        native = unit.astype(work)  # a copy, so the in-place steps below never touch the caller's array
        native *= work(rng.span)
        native += work(rng.lo)
    lo, hi = rng.lo, rng.hi
    if dtype.kind in "iu":
        np.rint(native, out=native)
        # An override range may reach past what the dtype holds (uint8 with (0, 300)): never wrap around.
        dlo, dhi = _dtype_limits(dtype)
        lo, hi = max(lo, dlo), min(hi, dhi)
    np.clip(native, lo, hi, out=native)
    return native.astype(dtype, copy=False)
