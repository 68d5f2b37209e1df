"""A small dependency-free PNG codec (numpy + zlib) for what Pillow cannot do: 16-bit colour.

Pillow reads 16-bit RGB/RGBA/grey-alpha PNGs as 8-bit and cannot write them, so stylefuse
decodes and encodes 8/16-bit grey, grey+alpha, RGB and RGBA (colour types 0, 4, 2, 6; Adam7
interlacing on read) here. Reconstruction of the Average/Paeth filters is done on anti-diagonal
wavefronts in bands of rows, so it is vectorised even though each byte depends on its left and
upper neighbours.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel
COLOUR_TYPE = {v: k for k, v in CHANNELS.items()}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_BAND_BYTES = 1 << 25  # size of the skewed arrays in one wavefront band


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


def _chunks(data: bytes):
    pos = 8
    while True:
        if pos + 8 > len(data):
            raise PngError("file ends before the IEND chunk (truncated)")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length + 4
        if end > len(data):
            raise PngError(f"file ends inside chunk {ctype.decode('latin-1')} (truncated)")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(ctype + body) != crc:
            raise PngError(f"CRC mismatch in chunk {ctype.decode('latin-1')} (corrupt)")
        yield ctype, body
        if ctype == b"IEND":
            return
        pos = end


def decode(data: bytes) -> tuple[np.ndarray, dict]:
    """Decode a whole PNG file (8/16-bit, colour types 0/2/4/6) to H×W or H×W×C uint8/uint16."""
    info = read_header(data[:33])
    depth, colour = info["bit_depth"], info["color_type"]
    if depth not in (8, 16) or colour not in CHANNELS:
        raise PngError(f"bit depth {depth} with colour type {colour} is not handled by this decoder")
    idat = []
    for ctype, body in _chunks(data):
        if ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"iCCP" and b"\0" in body:
            try:
                info["icc_profile"] = zlib.decompress(body.split(b"\0", 1)[1][1:])
            except zlib.error:
                pass  # a broken colour profile is not worth refusing the pixels
        elif ctype == b"pHYs" and len(body) == 9:
            px, py, unit = struct.unpack(">IIB", body)
            if unit == 1:
                info["dpi"] = (px * 0.0254, py * 0.0254)
    width, height, channels = info["width"], info["height"], CHANNELS[colour]
    bpp = channels * depth // 8
    passes = _ADAM7 if info["interlace"] else ((0, 0, 1, 1),)
    sizes = [(-(-(height - y0) // dy), -(-(width - x0) // dx)) for x0, y0, dx, dy in passes]
    expected = sum(h * (1 + w * bpp) for h, w in sizes if h > 0 and w > 0)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(idat), expected)
    except zlib.error as exc:
        raise PngError(f"corrupt compressed image data ({exc})") from exc
    if len(raw) < expected:
        raise PngError(f"image data ends early ({len(raw)} of {expected} bytes; truncated)")
    out = np.empty((height, width, bpp), np.uint8)
    pos = 0
    for (x0, y0, dx, dy), (h, w) in zip(passes, sizes, strict=True):
        if h <= 0 or w <= 0:
            continue
        rows = np.frombuffer(raw, np.uint8, h * (1 + w * bpp), pos).reshape(h, 1 + w * bpp)
        pos += rows.size
        out[y0::dy, x0::dx] = unfilter(rows[:, 0], rows[:, 1:].reshape(h, w, bpp))
    dtype = np.dtype(">u2") if depth == 16 else np.dtype(np.uint8)
    array = out.reshape(height, width * bpp).view(dtype).reshape(height, width, channels)
    array = array.astype(dtype.newbyteorder("="))
    return (array[:, :, 0] if channels == 1 else array), info


def unfilter(ftypes: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Undo PNG row filters. ``data`` is H×W×bpp filtered bytes, ``ftypes`` the H filter types."""
    if np.any(ftypes > 4):
        raise PngError(f"invalid row filter type {int(ftypes.max())} (corrupt)")
    height, width, bpp = data.shape
    out = np.empty_like(data)
    prev = np.zeros((width, bpp), np.uint8)
    band = max(16, min(height, _BAND_BYTES // max(1, (width + height) * bpp)))
    y0 = 0
    while y0 < height:
        y1 = min(height, y0 + band)
        if np.all(ftypes[y0:y1] <= 2):  # None/Sub/Up only: row by row, each row vectorised
            for y in range(y0, y1):
                row = data[y]
                if ftypes[y] == 1:
                    row = np.cumsum(row, axis=0, dtype=np.uint8)
                elif ftypes[y] == 2:
                    row = row + prev
                out[y] = prev = row
        else:
            out[y0:y1] = _unfilter_band(ftypes[y0:y1], data[y0:y1], prev)
            prev = out[y1 - 1]
        y0 = y1
    return out


def _unfilter_band(ftypes: np.ndarray, data: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Wavefront reconstruction: pixel (y, x) depends on (y, x-1), (y-1, x), (y-1, x-1), so all
    pixels on one anti-diagonal (same y + x) are independent. Arrays are skewed so that a diagonal
    is one row: ``rec[d, y + 1]`` holds pixel (y, d - y); ``rec[:, 0]`` is the row above the band
    and the spare last diagonal is d = -1."""
    height, width, bpp = data.shape
    diagonals = width + height - 1
    ys, xs = np.mgrid[0:height, 0:width]
    raw = np.zeros((diagonals, height, bpp), np.uint8)
    raw[ys + xs, ys] = data
    rec = np.zeros((diagonals + 1, height + 1, bpp), np.uint8)
    rec[: width - 1, 0] = above[1:]  # pixel (-1, x) lies on diagonal x - 1
    rec[diagonals, 0] = above[0]
    masks = [(ftypes == f)[:, None].astype(np.int16) for f in (1, 2, 3, 4)]
    zeros = np.zeros((height, bpp), np.int16)
    for d in range(diagonals):
        lo, hi = max(0, d - width + 1), min(height - 1, d) + 1
        a = rec[d - 1, lo + 1 : hi + 1].astype(np.int16)  # left
        b = rec[d - 1, lo:hi].astype(np.int16)  # up
        c = rec[d - 2, lo:hi].astype(np.int16) if d else zeros[lo:hi]  # up-left
        m1, m2, m3, m4 = (m[lo:hi] for m in masks)
        pred = a * m1 + b * m2 + ((a + b) >> 1) * m3 + _paeth_predict(a, b, c) * m4
        rec[d, lo + 1 : hi + 1] = raw[d, lo:hi] + pred.astype(np.uint8)
    return rec[ys + xs, ys + 1]


def _paeth_predict(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The Paeth predictor on int16 arrays."""
    bc, ac = b - c, a - c
    pa, pb, pc = np.abs(bc), np.abs(ac), np.abs(bc + ac)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_rows(image: np.ndarray) -> bytes:
    """Filter H×W×bpp bytes, choosing per row the filter with the least sum of |residuals|
    (the usual libpng heuristic). The residuals wrap modulo 256 in uint8 arithmetic."""
    height, width, bpp = image.shape
    x = image
    a = np.zeros_like(x)
    a[:, 1:] = x[:, :-1]
    b = np.zeros_like(x)
    b[1:] = x[:-1]
    best = np.full(height, np.iinfo(np.int64).max, np.int64)
    out = np.empty((height, 1 + width * bpp), np.uint8)
    for ftype in range(5):
        if ftype == 0:
            res = x
        elif ftype == 1:
            res = x - a
        elif ftype == 2:
            res = x - b
        elif ftype == 3:
            res = x - ((a >> 1) + (b >> 1) + (a & b & 1))
        else:
            c = np.zeros_like(x)
            c[1:, 1:] = x[:-1, :-1]
            res = x - _paeth_predict(a.astype(np.int16), b.astype(np.int16), c.astype(np.int16)).astype(
                np.uint8
            )
        cost = np.minimum(res, 0 - res).reshape(height, -1).sum(axis=1, dtype=np.int64)
        better = cost < best
        best[better] = cost[better]
        out[better, 0] = ftype
        out[better, 1:] = res[better].reshape(-1, width * bpp)
    return out.tobytes()


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def encode(
    array: np.ndarray,
    dpi: tuple[float, float] | None = None,
    icc_profile: bytes | None = None,
    level: int = 6,
) -> bytes:
    """Encode an H×W or H×W×C (C = 1..4) uint8/uint16 array as a PNG file (16 bits per sample for uint16)."""
    if array.ndim == 2:
        array = array[:, :, None]
    height, width, channels = array.shape
    if array.dtype == np.uint16:
        depth, sample = 16, array.astype(">u2")
    elif array.dtype == np.uint8:
        depth, sample = 8, array
    else:
        raise PngError(f"PNG stores uint8 or uint16, not {array.dtype}")
    bpp = channels * depth // 8
    body = np.ascontiguousarray(sample).view(np.uint8).reshape(height, width, bpp)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, COLOUR_TYPE[channels], 0, 0, 0)
    parts = [SIGNATURE, chunk(b"IHDR", ihdr)]
    if icc_profile:
        parts.append(chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile)))
    if dpi:
        parts.append(chunk(b"pHYs", struct.pack(">IIB", round(dpi[0] / 0.0254), round(dpi[1] / 0.0254), 1)))
    compressed = zlib.compress(filter_rows(body), level)
    step = 1 << 20
    parts += [chunk(b"IDAT", compressed[i : i + step]) for i in range(0, len(compressed), step)]
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)
