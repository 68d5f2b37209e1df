"""PNG and JPEG through Pillow; PNG writing and 16-bit colour PNG reading through ``_png`` (libpng).

meta keys: ``mode`` (Pillow mode of the file, or 'RGB;16'/'RGBA;16'/'LA;16'), ``bit_depth``
(PNG), ``dpi`` (x, y) when the file has it, ``icc_profile`` (bytes) when present, ``exif_rotated``
(JPEG/PNG whose EXIF orientation was applied, so pixels are upright).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from . import _png
from ._common import ImageData, ImageFileError, atomic_output, channel_count, check_pixels, describe

_PIL_LIMIT_LOCK = threading.Lock()


@contextlib.contextmanager
def pil_pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Let Pillow open images up to ``max_pixels`` (we check the size ourselves before decoding).

    Pillow's own decompression-bomb limit is a module global; it is only ever raised here, under a
    lock, and restored afterwards.
    """
    with _PIL_LIMIT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        old = Image.MAX_IMAGE_PIXELS
        if old is not None and (max_pixels is None or max_pixels > old):
            Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = old


def open_image(path: Path, fmt: str, max_pixels: int | None) -> Image.Image:
    """Open (header only) with Pillow, as ``fmt`` ('PNG', 'JPEG', 'TIFF'), checking the pixel count."""
    try:
        with pil_pixel_limit(max_pixels):
            im = Image.open(path, formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise ImageFileError(
            path, f"image too large for the limit of {max_pixels:,} pixels ({describe(exc)})"
        ) from exc
    except Exception as exc:
        raise ImageFileError(path, f"not a valid {fmt} image ({describe(exc)})") from exc
    try:
        check_pixels(path, (im.height, im.width), max_pixels)
    except ImageFileError:
        im.close()
        raise
    return im


def to_array(im: Image.Image) -> np.ndarray:
    """Pixels of a loaded Pillow image in one of our layouts (palette -> RGB/RGBA, 1-bit -> 0/255)."""
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("PA", "RGBa", "RGBX"):
        im = im.convert("RGBA" if mode != "RGBX" else "RGB")
    elif mode in ("La", "1"):
        im = im.convert("LA" if mode == "La" else "L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    return np.array(im)


def read_pil(path: Path, fmt: str, max_pixels: int | None) -> ImageData:
    """Read a PNG ('png') or JPEG ('jpeg')."""
    header: dict = {}
    if fmt == "png":
        with open(path, "rb") as f:
            head = f.read(33)
        try:
            header = _png.read_header(head)
        except _png.PngError as exc:
            raise ImageFileError(path, f"not a valid PNG image ({exc})") from exc
        check_pixels(path, (header["height"], header["width"]), max_pixels)
        if header["bit_depth"] == 16 and header["color_type"] in (2, 4, 6):
            return _read_png16_colour(path, header)
    name = "PNG" if fmt == "png" else "JPEG"
    im = open_image(path, name, max_pixels)
    with im:
        meta: dict = {"mode": im.mode}
        for key in ("dpi", "icc_profile"):
            if im.info.get(key):
                meta[key] = im.info[key]
        try:
            im.load()
            orientation = im.getexif().get(0x0112, 1)
            if orientation != 1:
                im = ImageOps.exif_transpose(im)
                meta["exif_rotated"] = orientation
            array = to_array(im)
        except Exception as exc:
            raise ImageFileError(path, f"truncated or corrupt {name} file ({describe(exc)})") from exc
    if fmt == "png":
        meta["bit_depth"] = header["bit_depth"]
        if meta["mode"].startswith("I"):  # 16-bit grey: 'I;16' (or 'I' from older Pillow)
            array = array.astype(np.uint16)
    return ImageData(array, False, meta, str(path), fmt)


def _read_png16_colour(path: Path, header: dict) -> ImageData:
    """16-bit RGB/RGBA/grey+alpha: pixels from libpng (Pillow would keep 8 bits), metadata from Pillow."""
    meta = {"mode": {2: "RGB;16", 4: "LA;16", 6: "RGBA;16"}[header["color_type"]], "bit_depth": 16}
    try:
        with Image.open(path, formats=["PNG"]) as im:  # header and ancillary chunks only
            meta.update((key, im.info[key]) for key in ("dpi", "icc_profile") if im.info.get(key))
        array = _png.decode(path.read_bytes())
    except _png.PngError as exc:
        raise ImageFileError(path, f"truncated or corrupt PNG file ({exc})") from exc
    except Exception as exc:
        raise ImageFileError(path, f"truncated or corrupt PNG file ({describe(exc)})") from exc
    return ImageData(array, False, meta, str(path), "png")


def _common_meta(like: ImageData | None, *keys: str) -> dict:
    meta = like.meta if like is not None else {}
    return {k: meta[k] for k in keys if meta.get(k)}


def write_png(path: Path, array: np.ndarray, is_stack: bool, like: ImageData | None) -> None:
    """8- and 16-bit (per channel, any channel count) through libpng, with the dpi and ICC profile of ``like``."""
    _single_image(path, array, is_stack, "PNG")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.dtype not in (np.uint8, np.uint16):
        raise ImageFileError(
            path,
            f"PNG stores only uint8 or uint16 pixels, not {array.dtype}; convert the array first, "
            "or write a TIFF (.tif), which keeps any dtype",
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    extra = _common_meta(like, "dpi", "icc_profile")
    with atomic_output(path, "PNG") as tmp:
        Path(tmp).write_bytes(_png.encode(array, extra.get("dpi"), extra.get("icc_profile")))


def write_jpeg(
    path: Path, array: np.ndarray, is_stack: bool, like: ImageData | None, quality: int = 95
) -> None:
    _single_image(path, array, is_stack, "JPEG")
    if array.dtype != np.uint8:
        raise ImageFileError(
            path,
            f"JPEG stores only 8-bit (uint8) pixels, not {array.dtype}; write a PNG (uint8/uint16) "
            "or a TIFF (any dtype) instead, or convert the array to uint8",
        )
    channels = channel_count(array, False)
    if channels not in (1, 3):
        raise ImageFileError(
            path,
            f"JPEG holds grey or RGB pixels, not {channels} channels (no alpha); write a PNG or TIFF instead",
        )
    if array.ndim == 3 and channels == 1:
        array = array[:, :, 0]
    extra = _common_meta(like, "dpi", "icc_profile")
    with atomic_output(path, "JPEG") as tmp:
        Image.fromarray(array).save(tmp, format="JPEG", quality=quality, subsampling=0, **extra)


def _single_image(path: Path, array: np.ndarray, is_stack: bool, name: str) -> None:
    if is_stack:
        raise ImageFileError(
            path,
            f"a {name} file holds one image, not a stack of {array.shape[0]}; write a TIFF (.tif) for stacks",
        )
