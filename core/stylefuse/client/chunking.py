"""How a stack travels: requests of a few slices each, arrays in the protocol's dtypes.

Every request of a stack carries the whole stack's value range (VALUE_RANGE), so the server maps
each slice as one in-process call on the whole stack would; every input of a request has the same
batch size N (Triton refuses a mix), so one reference or mask for all slices is repeated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import UserError
from ..pipeline.runner import Cancelled
from ..protocol import MAX_BATCH_SIZE, wire_dtype

# Pixels (N x H x W) per request a client aims for: big enough to batch small slices, small enough
# to keep messages and server memory moderate (the server refuses more than 64 Mpx).
REQUEST_PIXELS = 1 << 24


def to_wire(array: np.ndarray, what: str) -> np.ndarray:
    """The array as a wire dtype: float16/float64 as float32; other dtypes are refused."""
    if wire_dtype(array.dtype) is not None:
        return array
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    raise UserError(
        f"{what} has dtype {array.dtype}; the server takes uint8, uint16, int16 or float "
        "(convert it first, or run in-process)"
    )


def from_wire(out: np.ndarray, dtype) -> np.ndarray:
    """The server's answer in the caller's dtype (float16/float64 travelled as float32)."""
    return out if out.dtype == dtype else out.astype(dtype)


def slices_per_request(batch_size: int, height: int, width: int) -> int:
    return max(1, min(batch_size, MAX_BATCH_SIZE, REQUEST_PIXELS // max(1, height * width)))


def per_slice(array: np.ndarray, k: int) -> np.ndarray:
    """`array` (1 x ...) repeated for the k slices of a request."""
    return array if k == 1 else np.repeat(array, k, axis=0)


def range_input(lo: float, hi: float, k: int) -> np.ndarray:
    return np.tile(np.array([[lo, hi]], np.float32), (k, 1))


def run_requests(
    infer: Callable, slices: int, per: int, build: Callable, out: np.ndarray, progress=None, cancel=None
) -> None:
    """Send slices [z0, z0 + per) as requests into `out`; `build(z)` -> (inputs, output name);
    `infer(inputs, output, shape, dtype)` sends one."""
    if progress is not None:
        progress(0, slices)
    for z0 in range(0, slices, per):
        if cancel is not None and cancel():
            raise Cancelled("cancelled by the caller")
        z = slice(z0, min(z0 + per, slices))
        inputs, output = build(z)
        out[z] = infer(inputs, output, (z.stop - z.start, *out.shape[1:]), out.dtype)
        if progress is not None:
            progress(z.stop, slices)
