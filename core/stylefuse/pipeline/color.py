"""Colour conversions on float images in [0, 1] with channels last (plain numpy, pixel by pixel).

YCbCr is full-range BT.601 (the JPEG convention) with Cb/Cr centred on 0.5, so grey pixels have
Cb = Cr = 0.5 exactly and black stays exactly black through a round trip. A 3x3 matrix is all this
needs, so it is written here rather than pulling in a tensor library for numpy bands.
"""

import numpy as np

_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB


def luma(rgb: np.ndarray) -> np.ndarray:
    """RGB (..., 3) -> Y (..., 1)."""
    return (_KR * rgb[..., 0:1] + _KG * rgb[..., 1:2] + _KB * rgb[..., 2:3]).astype(np.float32, copy=False)


def chroma(rgb: np.ndarray) -> np.ndarray:
    """RGB (..., 3) -> CbCr (..., 2), centred on 0.5."""
    y = luma(rgb)
    cb = (rgb[..., 2:3] - y) * (0.5 / (1.0 - _KB)) + 0.5
    cr = (rgb[..., 0:1] - y) * (0.5 / (1.0 - _KR)) + 0.5
    return np.concatenate([cb, cr], axis=-1).astype(np.float32, copy=False)


def ycbcr_to_rgb(y: np.ndarray, cbcr: np.ndarray) -> np.ndarray:
    """Y (..., 1) and CbCr (..., 2) -> RGB (..., 3), clipped to [0, 1] (new chroma can leave the gamut)."""
    cb = cbcr[..., 0:1] - 0.5
    cr = cbcr[..., 1:2] - 0.5
    r = y + (2.0 * (1.0 - _KR)) * cr
    b = y + (2.0 * (1.0 - _KB)) * cb
    g = (y - _KR * r - _KB * b) / _KG
    rgb = np.concatenate([r, g, b], axis=-1).astype(np.float32, copy=False)
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def to_channels(unit: np.ndarray, channels: int) -> np.ndarray:
    """Grey or RGB (..., 1|3) -> what a model with `channels` channels eats: grey is replicated, RGB -> Y."""
    if unit.shape[-1] == channels:
        return unit
    if channels == 3:
        return np.repeat(unit, 3, axis=-1)
    return luma(unit)


def fuse_chroma(cbcr_a: np.ndarray, cbcr_b: np.ndarray) -> np.ndarray:
    """The usual chroma rule of YCbCr image fusion: the more saturated input wins, pixel by pixel.

    Each chroma value is weighted by its distance from neutral |C - 0.5|, so a grey input (C = 0.5)
    has no say and a colour image keeps its own chroma; where both are neutral the result is 0.5.
    """
    wa = np.abs(cbcr_a - 0.5)
    wb = np.abs(cbcr_b - 0.5)
    total = wa + wb
    fused = np.divide(wa * cbcr_a + wb * cbcr_b, total, out=np.full_like(total, 0.5), where=total > 0)
    return fused.astype(np.float32, copy=False)
