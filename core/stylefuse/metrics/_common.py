"""Grey-level conversion and input checks shared by the metrics."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from stylefuse.errors import UserError

_RGB_WEIGHTS = np.array([0.299, 0.587, 0.114])


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------


def to_grey_u8(img: ArrayLike) -> np.ndarray:
    """Grey levels 0..255 (integer-valued float64, 2-D) of an image, as the fusion evaluator reads it.

    Accepted inputs:

    - shape (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA (alpha is dropped);
    - uint8 (or any integer dtype) with values 0..255, taken as is;
    - float: if all values are within 0..1 the image is taken as 0..1 and multiplied by 255,
      otherwise it is taken as 0..255. (So a float 0..255 image whose maximum is <= 1 is read as
      0..1: pass such near-black images as uint8.)

    Float values are clipped to 0..255 and rounded per channel (as saving an 8-bit PNG would), then
    RGB becomes round(0.299 R + 0.587 G + 0.114 B).
    """
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        arr = arr[..., 0] if arr.shape[2] == 1 else arr[..., :3]
    if arr.ndim not in (2, 3):
        raise UserError(f"expected an image of shape (H, W) or (H, W, 1|3|4), got shape {arr.shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise UserError(f"expected an integer or float image, got dtype {arr.dtype}")
    if arr.size == 0:
        raise UserError("expected a non-empty image")

    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise UserError(
                f"integer image values must be within 0..255, got {arr.min()}..{arr.max()} "
                "(scale 16-bit images to 8 bits first)"
            )
        chans = arr.astype(np.float64)
    else:
        chans = arr.astype(np.float64)
        if not np.all(np.isfinite(chans)):
            raise UserError("image contains NaN or infinite values")
        if chans.min() >= 0.0 and chans.max() <= 1.0:
            chans = chans * 255.0
        chans = np.round(np.clip(chans, 0.0, 255.0))

    if chans.ndim == 3:
        chans = np.round(chans @ _RGB_WEIGHTS)
    return np.clip(chans, 0.0, 255.0)


def _as_grey(img: ArrayLike, name: str = "image") -> np.ndarray:
    arr = np.asarray(img, dtype=np.float64)
    if arr.ndim != 2:
        raise UserError(f"{name} must be a 2-D grey-level array (use to_grey_u8), got shape {arr.shape}")
    if arr.size == 0:
        raise UserError(f"{name} is empty")
    return arr


def _as_grey_triple(
    fused: ArrayLike, a: ArrayLike, b: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f, a_, b_ = _as_grey(fused, "fused"), _as_grey(a, "source a"), _as_grey(b, "source b")
    if not f.shape == a_.shape == b_.shape:
        raise UserError(f"shape mismatch: fused {f.shape}, a {a_.shape}, b {b_.shape}")
    return f, a_, b_


def _levels_u8(img: np.ndarray) -> np.ndarray:
    """Integer grey levels 0..255 (rounded, clipped) as an int64 array."""
    return np.clip(np.round(img), 0, 255).astype(np.int64)
