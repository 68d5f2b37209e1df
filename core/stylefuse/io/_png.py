"""PNG pixels through imagecodecs (libpng): 8/16-bit grey, grey+alpha, RGB and RGBA, both ways.

Pillow reads 16-bit RGB/RGBA/grey-alpha PNGs as 8-bit and cannot write them, and its 8-bit writer
is slower; libpng (through imagecodecs) does all of them. Writing uses the settings chosen by
measurement for speed (benchmarks/png_write.py: a 9 MP photo, 8-bit RGB): zlib level 1, the RLE
strategy and the Paeth filter on every row -- about 2x faster than Pillow at level 1 and smaller
files than the Sub filter OpenCV uses. libpng writes no pHYs/iCCP from imagecodecs, so the
resolution and colour profile are added as chunks right after IHDR (the container is simple and
fixed; the pixels are libpng's).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 1  # zlib level: 1 is the fastest; higher levels cost 2-4x the time for ~5 % smaller files
_STRATEGY_RLE = 3
_FILTER_PAETH = 128


class PngError(ValueError):
    """Malformed or unsupported PNG data (the caller adds the file name)."""


def read_header(head: bytes) -> dict:
    """Parse the signature and IHDR from the first 33 bytes of a file."""
    if len(head) < 33 or head[:8] != SIGNATURE or head[12:16] != b"IHDR":
        raise PngError("missing PNG signature or IHDR header")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", head[16:29])
    if width == 0 or height == 0:
        raise PngError(f"invalid size {width}×{height} in the header")
    return {
        "width": width,
        "height": height,
        "bit_depth": depth,
        "color_type": colour,
        "interlace": interlace,
    }


def chunk(ctype: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC."""
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def decode(data: bytes) -> np.ndarray:
    """Decode a whole PNG file to H×W or H×W×C uint8/uint16 (any colour type, interlaced or not)."""
    import imagecodecs

    try:
        array = imagecodecs.png_decode(data)
    except imagecodecs.PngError as exc:
        raise PngError(f"corrupt or truncated image data ({exc})") from exc
    return np.asarray(array)


def encode(
    array: np.ndarray,
    dpi: tuple[float, float] | None = None,
    icc_profile: bytes | None = None,
    level: int = LEVEL,
) -> bytes:
    """Encode an H×W or H×W×C (C = 1..4) uint8/uint16 array (16 bits per sample for uint16)."""
    import imagecodecs

    if array.dtype not in (np.uint8, np.uint16):
        raise PngError(f"PNG stores uint8 or uint16, not {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and not 1 <= array.shape[2] <= 4):
        raise PngError(f"PNG holds H×W or H×W×C (C = 1..4) pixels, not shape {array.shape}")
    try:
        data = bytes(
            imagecodecs.png_encode(
                np.ascontiguousarray(array), level=level, strategy=_STRATEGY_RLE, filter=_FILTER_PAETH
            )
        )
    except imagecodecs.PngError as exc:
        raise PngError(f"cannot encode ({exc})") from exc
    extra = b""
    if icc_profile:
        extra += chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile))
    if dpi:
        extra += chunk(b"pHYs", struct.pack(">IIB", round(dpi[0] / 0.0254), round(dpi[1] / 0.0254), 1))
    return data[:33] + extra + data[33:] if extra else data
