"""Pieces shared by the format modules: the error type, ImageData, layout checks, atomic writes."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError
from ..limits import DEFAULT_MAX_PIXELS  # noqa: F401  (one limit for files and the pipeline)

MEDICAL_EXTRA_HINT = "pip install 'stylefuse[medical]'"


class ImageFileError(UserError):
    """A problem with an image file; the message is one line: ``<path>: <problem>``.

    It is a ``ValueError`` (through ``stylefuse.errors.UserError``), so entry points show it as is.
    """

    def __init__(self, path: str | os.PathLike[str] | None, problem: str):
        self.path = os.fspath(path) if path is not None else None
        self.problem = one_line(problem)
        super().__init__(f"{self.path}: {self.problem}" if self.path is not None else self.problem)

    def __reduce__(self):  # keeps the two-argument constructor picklable (DataLoader workers)
        return (type(self), (self.path, self.problem))


@dataclass
class ImageData:
    """Pixels read from a file, plus what is needed to write the same kind of file back.

    ``array`` keeps the file's own dtype and has one of four layouts: ``H×W``, ``H×W×C``
    (C = 1..4: grey, grey+alpha, RGB, RGBA), or a stack ``Z×H×W`` / ``Z×H×W×C`` when ``is_stack``.
    ``meta`` is format specific (see the format modules); ``format`` is one of
    'png', 'jpeg', 'tiff', 'nifti', 'dicom'.
    """

    array: np.ndarray
    is_stack: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    format: str | None = None

    @property
    def channels(self) -> int:
        """Number of channels per pixel (1 when the array has no channel axis)."""
        return int(self.array.shape[-1]) if self.array.ndim - int(self.is_stack) == 3 else 1


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def describe(exc: BaseException) -> str:
    """A short one-line description of a library exception, for use inside our messages."""
    text = one_line(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_pixels(path: Path, shape: tuple[int, ...], max_pixels: int | None, what: str = "pixels") -> None:
    """Refuse a decode of more than ``max_pixels`` pixels/voxels (before the decode, from the header)."""
    count = math.prod(int(s) for s in shape)
    if max_pixels is not None and count > max_pixels:
        dims = "×".join(str(int(s)) for s in shape)
        raise ImageFileError(
            path,
            f"image too large: {dims} = {count:,} {what}, more than the limit of {max_pixels:,} "
            "(a decompression bomb or a huge image; if the file is trusted, raise the limit: "
            "$STYLEFUSE_MAX_PIXELS, or max_pixels of stylefuse.io.read_image)",
        )


def native(array: np.ndarray) -> np.ndarray:
    """Native byte order, C-contiguous and writeable."""
    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return array


def infer_is_stack(path: Path, array: np.ndarray, is_stack: bool | None, like: ImageData | None) -> bool:
    """Decide whether ``array`` is a stack and check its layout; raise ImageFileError if impossible.

    3-D arrays are ambiguous (H×W×C or Z×H×W): ``is_stack`` decides; else a last axis longer than
    4 means a stack; else ``like.is_stack``; else the last axis holds channels.
    """
    ndim = array.ndim
    if array.size == 0:
        raise ImageFileError(path, f"cannot write an empty array (shape {array.shape})")
    if ndim == 2:
        if is_stack:
            raise ImageFileError(path, f"is_stack=True needs a Z×H×W(×C) array, got shape {array.shape}")
        return False
    if ndim == 4:
        stack = True
        if is_stack is False:
            raise ImageFileError(path, f"a 4-D array (shape {array.shape}) must be a Z×H×W×C stack")
    elif ndim == 3:
        if is_stack is None:
            if not 1 <= array.shape[-1] <= 4:
                is_stack = True
            else:
                is_stack = like.is_stack if like is not None else False
        stack = bool(is_stack)
    else:
        raise ImageFileError(
            path,
            f"cannot write a {ndim}-D array (shape {array.shape}); expected H×W, H×W×C, Z×H×W or Z×H×W×C",
        )
    if ndim - int(stack) == 3 and not 1 <= array.shape[-1] <= 4:
        raise ImageFileError(
            path, f"has {array.shape[-1]} channels (shape {array.shape}); 1 to 4 are supported"
        )
    return stack


def channel_count(array: np.ndarray, is_stack: bool) -> int:
    return int(array.shape[-1]) if array.ndim - int(is_stack) == 3 else 1


def full_suffix(path: Path) -> str:
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


_UMASK: int | None = None


def current_umask() -> int:
    """The process umask (read once; os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def check_output_folder(path: Path) -> None:
    if not path.parent.is_dir():
        raise ImageFileError(path, f"cannot write: folder {path.parent} does not exist")
    if path.is_dir():
        raise ImageFileError(path, "cannot write: a folder of that name exists")


@contextlib.contextmanager
def atomic_output(path: Path, what: str) -> Iterator[str]:
    """Yield a temporary file name next to ``path``; move it onto ``path`` only if the block succeeds.

    The temporary name ends with the same suffix (``.nii.gz`` matters to nibabel). On any error or
    interrupt the temporary file is removed; errors are re-raised as ImageFileError.
    """
    check_output_folder(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{full_suffix(path)}", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException as exc:  # KeyboardInterrupt too: never leave a half-written file
        _remove_quietly(tmp)
        if isinstance(exc, ImageFileError) or not isinstance(exc, Exception):
            raise
        raise ImageFileError(path, f"cannot write {what}: {describe(exc)}") from exc


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(name)


# ---------------------------------------------------------------- rescale (DICOM, NIfTI) ----


def _is_identity(slope: np.ndarray, inter: np.ndarray) -> bool:
    return bool(np.all(slope == 1) and np.all(inter == 0))


def apply_rescale(raw: np.ndarray, slope, inter) -> np.ndarray:
    """``raw * slope + inter`` (arrays broadcastable to ``raw``), in the narrowest exact dtype.

    Identity scaling returns ``raw`` untouched. Integer data with integral slope/intercept stays
    integer: the raw dtype if the values fit and it is signed whenever the rescale can make values
    negative (the choice then does not depend on the image content), else int16, else int32 -- CT
    Hounsfield units come back as int16. Otherwise float32 (float64 for 32/64-bit input).
    """
    slope = np.asarray(slope, dtype=np.float64)
    inter = np.asarray(inter, dtype=np.float64)
    if _is_identity(slope, inter):
        return raw
    if raw.dtype.kind in "iub" and np.all(slope == np.round(slope)) and np.all(inter == np.round(inter)):
        values = raw.astype(np.int64) * slope.astype(np.int64) + inter.astype(np.int64)
        lo, hi = (int(values.min()), int(values.max())) if values.size else (0, 0)
        signed = raw.dtype.kind == "i" or bool(np.any(slope < 0) or np.any(inter < 0))
        keep = [raw.dtype] if raw.dtype.kind == ("i" if signed else "u") else []
        for dtype in [*keep, np.dtype(np.int16), np.dtype(np.int32)]:
            info = np.iinfo(dtype)
            if info.min <= lo and hi <= info.max:
                return values.astype(dtype)
        return values.astype(np.float64)
    out_dtype = np.float64 if raw.dtype.itemsize >= 4 else np.float32
    return (raw.astype(np.float64) * slope + inter).astype(out_dtype)


def fits_integer(lo: float, hi: float, dtype) -> bool:
    """Whether values from ``lo`` to ``hi`` fit the integer ``dtype`` (False for other dtypes)."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        return False
    info = np.iinfo(dtype)
    return info.min <= lo and hi <= info.max


def invert_rescale(values: np.ndarray, slope, inter, raw_dtype) -> np.ndarray | None:
    """The ``raw_dtype`` array that :func:`apply_rescale` maps exactly onto ``values``, or None."""
    raw_dtype = np.dtype(raw_dtype)
    if raw_dtype.kind not in "iu" or values.dtype.kind not in "iuf" or values.size == 0:
        return None
    slope = np.asarray(slope, dtype=np.float64)
    inter = np.asarray(inter, dtype=np.float64)
    if np.any(slope == 0) or not np.all(np.isfinite(values)):
        return None
    raw = np.round((values.astype(np.float64) - inter) / slope)
    info = np.iinfo(raw_dtype)
    if raw.min() < info.min or raw.max() > info.max:
        return None
    raw = raw.astype(raw_dtype)
    back = raw.astype(np.float64) * slope + inter
    return raw if np.array_equal(back.astype(values.dtype), values) else None
