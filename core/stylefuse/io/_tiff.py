"""TIFF through tifffile (any dtype, multi-page stacks), with Pillow as the fallback decoder for
compressions that tifffile can only decode with the optional ``imagecodecs`` package (LZW, JPEG).

Layout: the first image series of the file is read; its samples axis (S) goes last and every axis
other than Y, X, S (pages, Z, T, C, ...) is flattened, in file order, into the stack axis Z.
Bilevel images come back as uint8 0/255; palette images as RGB.

meta keys: ``photometric``, ``compression``, ``axes`` and ``shape`` (of the series in the file),
``resolution`` and ``resolutionunit`` (as tifffile reports them), ``series_count``, ``imagej``
(``unit`` and ``spacing`` (z step) of an ImageJ file, when it has them).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tifffile

from ._common import ImageData, ImageFileError, atomic_output, channel_count, check_pixels, describe, one_line
from ._pillow import open_image, to_array

_DAMAGE = re.compile(r"invalid (page )?offset|failed to (read|reshape)|truncat|corrupt", re.IGNORECASE)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _tifffile_warnings() -> Iterator[list[str]]:
    """Collect what tifffile logs: it reads a file with a broken page chain without raising."""
    logger, handler = logging.getLogger("tifffile"), _Collect()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def read_tiff(path: Path, max_pixels: int | None) -> ImageData:
    with _tifffile_warnings() as warned:
        data = _read_tiff(path, max_pixels)
    damage = [m for m in warned if _DAMAGE.search(m)]
    if damage:
        raise ImageFileError(path, f"truncated or corrupt TIFF file ({one_line(damage[0])})")
    return data


def _read_tiff(path: Path, max_pixels: int | None) -> ImageData:
    try:
        tif = tifffile.TiffFile(path)
    except Exception as exc:
        raise ImageFileError(path, f"not a valid TIFF file ({describe(exc)})") from exc
    with tif:
        if not tif.series or not tif.series[0].shape:
            raise ImageFileError(path, "the TIFF file holds no image data")
        series = tif.series[0]
        axes, shape = series.axes, tuple(series.shape)
        if "Y" not in axes or "X" not in axes:
            raise ImageFileError(path, f"unsupported TIFF layout (axes {axes}, shape {shape})")
        check_pixels(path, tuple(n for ax, n in zip(axes, shape, strict=True) if ax != "S"), max_pixels)
        page = series.keyframe
        meta = {
            "photometric": page.photometric.name.lower(),
            "compression": page.compression.name.lower(),
            "axes": axes,
            "shape": shape,
            "resolution": tuple(page.resolution),
            "resolutionunit": int(page.resolutionunit),
            "series_count": len(tif.series),
        }
        imagej = tif.imagej_metadata or {}
        if imagej.get("unit") or imagej.get("spacing"):  # ImageJ: pixel size unit, z step
            meta["imagej"] = {k: imagej[k] for k in ("unit", "spacing") if k in imagej}
        try:
            data = series.asarray()
            colormap = page.colormap if meta["photometric"] == "palette" else None
        except Exception as exc:
            if "imagecodecs" in str(exc):
                return _read_with_pillow(path, max_pixels, meta, exc)
            raise ImageFileError(path, f"truncated or corrupt TIFF file ({describe(exc)})") from exc
    array, is_stack = _to_layout(path, data, axes)
    if colormap is not None and "S" not in axes:
        array = _apply_colormap(array, colormap)
    if array.dtype == bool:
        array = array.astype(np.uint8) * np.uint8(255)
    return ImageData(array, is_stack, meta, str(path), "tiff")


def _to_layout(path: Path, data: np.ndarray, axes: str) -> tuple[np.ndarray, bool]:
    extra = [i for i, ax in enumerate(axes) if ax not in "YXS"]
    order = extra + [axes.index("Y"), axes.index("X")] + ([axes.index("S")] if "S" in axes else [])
    array = data.transpose(order)
    if extra:
        array = array.reshape((-1, *array.shape[len(extra) :]))
    if "S" in axes and not 1 <= array.shape[-1] <= 4:
        raise ImageFileError(
            path,
            f"has {array.shape[-1]} samples per pixel; 1 to 4 (grey, grey+alpha, RGB, RGBA) are supported",
        )
    if "S" in axes and array.shape[-1] == 1:
        array = array[..., 0]
    return array, bool(extra)


def _apply_colormap(indices: np.ndarray, colormap: np.ndarray) -> np.ndarray:
    rgb = np.moveaxis(colormap[:, indices], 0, -1)
    return (rgb // 257).astype(np.uint8) if np.all(colormap % 257 == 0) else rgb.astype(np.uint16)


def _read_with_pillow(path: Path, max_pixels: int | None, meta: dict, cause: Exception) -> ImageData:
    """Decode with Pillow (libtiff) when tifffile needs imagecodecs; refuse where Pillow would lose bits."""
    im = open_image(path, "TIFF", max_pixels)
    with im:
        bits = im.tag_v2.get(258, (8,))
        bits = bits if isinstance(bits, tuple) else (bits,)
        if im.mode in ("RGB", "RGBA") and max(bits) > 8:
            raise ImageFileError(
                path,
                f"its {meta['compression']} compression needs the imagecodecs package: pip install imagecodecs",
            ) from cause
        n_frames = getattr(im, "n_frames", 1)
        check_pixels(path, (n_frames, im.height, im.width), max_pixels)
        frames = []
        try:
            for i in range(n_frames):
                im.seek(i)
                frame = to_array(im)
                if frames and frame.shape != frames[0].shape:
                    break  # a thumbnail or another series: keep the first
                frames.append(frame)
        except Exception as exc:
            raise ImageFileError(path, f"truncated or corrupt TIFF file ({describe(exc)})") from exc
    array = np.stack(frames) if len(frames) > 1 else frames[0]
    return ImageData(array, len(frames) > 1, meta, str(path), "tiff")


def write_tiff(
    path: Path, array: np.ndarray, is_stack: bool, like: ImageData | None, any_like: ImageData | None
) -> None:
    """Any dtype, images and stacks; zlib-compressed, contiguous samples, alpha as unassociated."""
    if array.dtype == bool:
        array = array.astype(np.uint8) * np.uint8(255)
    channels = channel_count(array, is_stack)
    if channels == 1 and array.ndim - int(is_stack) == 3:
        array = array[..., 0]
    kwargs: dict = {"photometric": "rgb" if channels >= 3 else "minisblack", "compression": "zlib"}
    if channels > 1:
        kwargs["planarconfig"] = "contig"
    if channels in (2, 4):
        kwargs["extrasamples"] = ["unassalpha"]
    meta = like.meta if like is not None else {}
    if meta.get("resolution") and meta.get("resolutionunit"):
        kwargs["resolution"] = meta["resolution"]
        kwargs["resolutionunit"] = meta["resolutionunit"]
    elif any_like is not None and any_like.meta.get("dpi"):
        kwargs["resolution"] = tuple(any_like.meta["dpi"])
        kwargs["resolutionunit"] = "inch"
    if is_stack and meta.get("axes"):  # restore a hyperstack (e.g. T×Z pages) that was flattened on read
        extra = [n for ax, n in zip(meta["axes"], meta["shape"], strict=True) if ax not in "YXS"]
        if len(extra) > 1 and math.prod(extra) == array.shape[0]:
            array = array.reshape((*extra, *array.shape[1:]))
            axes = (
                "".join(ax for ax in meta["axes"] if ax not in "YXS") + "YX" + ("S" if channels > 1 else "")
            )
            kwargs["metadata"] = {"axes": axes}
    with atomic_output(path, "TIFF") as tmp:
        tifffile.imwrite(tmp, array, **kwargs)
