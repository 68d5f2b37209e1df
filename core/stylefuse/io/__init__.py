"""Reading and writing images and volumes: PNG, JPEG, TIFF, NIfTI and DICOM.

    data = read_image("in.png")            # ImageData(array, is_stack, meta, path, format)
    write_image("out.tif", result, like=data)

Arrays keep the file's own dtype (uint8, uint16, int16, float32, ...) and have one of the layouts
``H×W``, ``H×W×C`` (C = 1..4: grey, grey+alpha, RGB, RGBA) or, for stacks/volumes, ``Z×H×W`` and
``Z×H×W×C``. Format specifics (axis conventions, value scaling, the ``meta`` keys) are documented
in the modules ``_pillow`` (PNG/JPEG), ``_png`` (PNG pixels through libpng/imagecodecs), ``_tiff``,
``_nifti`` and ``_dicom``; nibabel and pydicom are imported only for NIfTI and DICOM
(``pip install 'stylefuse[medical]'``).

Every user-facing problem raises :class:`ImageFileError` (a ``ValueError``) whose one-line
message names the file and the problem. Reading detects the format from the file content when it
has a signature (so a misnamed file still reads) and from the extension otherwise; a folder is read
as a DICOM series. ``max_pixels`` (default 2**28) bounds the pixels/voxels of one read (channels
not counted) and is checked from the header before anything is decoded. Writing picks the format
from the extension (``.dcm`` is one DICOM file; a path without extension, or an existing empty
folder, is a DICOM series folder), writes to a temporary file in the same folder and renames it
into place, so no half-written file is ever left behind.

Video (``.mp4``, ``.mov``, ``.mkv``, ...; PyAV, ``pip install 'stylefuse[video]'``) is streamed, never
read whole: ``open_video(path)`` gives a reader of frame chunks, ``write_video(path, like=reader)``
a writer that encodes them as they come (H.264, the source's rate, timestamps and audio); see
``_video_read`` and ``_video_write``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._common import (
    DEFAULT_MAX_PIXELS,
    ImageData,
    ImageFileError,
    describe,
    full_suffix,
    infer_is_stack,
    native,
)
from ._video_read import VIDEO_EXTRA_HINT, VIDEO_READ_EXTENSIONS, VideoReader
from ._video_write import VIDEO_WRITE_FORMATS, VideoWriter, check_video_output, write_video

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "FORMATS",
    "EXTENSION_FORMATS",
    "SUPPORTED_READ_EXTENSIONS",
    "SUPPORTED_WRITE_EXTENSIONS",
    "VIDEO_EXTRA_HINT",
    "VIDEO_READ_EXTENSIONS",
    "VIDEO_WRITE_FORMATS",
    "VideoReader",
    "VideoWriter",
    "check_video_output",
    "is_video_path",
    "open_video",
    "write_video",
    "ImageData",
    "ImageFileError",
    "format_from_path",
    "read_image",
    "read_series",
    "write_image",
]

FORMATS = ("png", "jpeg", "tiff", "nifti", "dicom")
EXTENSION_FORMATS = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".nii": "nifti",
    ".nii.gz": "nifti",
    ".dcm": "dicom",
    ".dicom": "dicom",
}
SUPPORTED_READ_EXTENSIONS = tuple(EXTENSION_FORMATS)  # plus DICOM folders and extension-less DICOM files
SUPPORTED_WRITE_EXTENSIONS = tuple(EXTENSION_FORMATS)  # plus extension-less paths: DICOM series folders
_NAMES = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "nifti": "NIfTI", "dicom": "DICOM"}


def is_video_path(path: str | os.PathLike[str]) -> bool:
    """True for a file name with a video extension (``.mp4``, ``.mov``, ``.mkv``, ...)."""
    return full_suffix(Path(path)) in VIDEO_READ_EXTENSIONS


def open_video(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> VideoReader:
    """Open a video for streaming (``max_pixels`` bounds one frame); close it (or use ``with``) after."""
    return VideoReader(path, max_pixels)


def format_from_path(path: str | os.PathLike[str]) -> str:
    """The format a path names: 'png', 'jpeg', 'tiff', 'nifti' or 'dicom' (case-insensitive extension).

    An existing folder or a name without extension is 'dicom' (a series folder, or a DICOM file
    without extension, which is common). Raises ImageFileError for other extensions.
    """
    path = Path(path)
    if path.is_dir():
        return "dicom"
    suffix = full_suffix(path)
    if suffix in EXTENSION_FORMATS:
        return EXTENSION_FORMATS[suffix]
    if suffix == "":
        return "dicom"
    raise ImageFileError(
        path,
        f"unsupported file extension {suffix!r}; supported: {', '.join(SUPPORTED_READ_EXTENSIONS)} and DICOM folders",
    )


def _sniff(path: Path) -> str | None:
    """The format from the file's signature, or None ('gzip' for gzip data)."""
    with open(path, "rb") as f:
        head = f.read(352)
    if head[128:132] == b"DICM":  # first: the 128-byte preamble may itself be a TIFF header
        return "dicom"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "tiff"
    if head[344:348] == b"n+1\0" or head[4:8] == b"n+2\0":
        return "nifti"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(512)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c >= 32 or c in b"\t\r\n\f" for c in head)


def _detect(path: Path) -> str:
    try:
        by_name, name_error = format_from_path(path), None
    except ImageFileError as exc:
        by_name, name_error = None, exc
    by_content = _sniff(path)
    if by_content == "gzip":
        by_content = "nifti" if by_name == "nifti" else None
    if by_content is not None:
        return by_content
    if name_error is not None:
        raise name_error
    if by_name != "dicom":  # DICOM files may lack the DICM marker: pydicom decides
        what = "a text file" if _looks_like_text(path) else "not recognised"
        raise ImageFileError(path, f"not a {_NAMES[by_name]} image: the file content is {what}")
    return by_name


def _read_file(path: Path, fmt: str, max_pixels: int | None) -> ImageData:
    if fmt in ("png", "jpeg"):
        from ._pillow import read_pil

        return read_pil(path, fmt, max_pixels)
    if fmt == "tiff":
        from ._tiff import read_tiff

        return read_tiff(path, max_pixels)
    if fmt == "nifti":
        from ._nifti import read_nifti

        return read_nifti(path, max_pixels)
    from ._dicom import read_dicom_file

    return read_dicom_file(path, max_pixels)


def read_image(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> ImageData:
    """Read a PNG, JPEG, TIFF, NIfTI or DICOM file, or a folder holding one DICOM series.

    ``max_pixels`` limits the pixels (voxels for volumes and stacks, channels not counted) that
    may be decoded, checked from the header first; None disables the limit.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise ImageFileError(path, "no such file or folder")
        if path.is_dir():
            from ._dicom import read_dicom_series

            data = read_dicom_series(path, max_pixels)
        elif not path.is_file():
            raise ImageFileError(path, "not a regular file")
        elif path.stat().st_size == 0:
            raise ImageFileError(path, "the file is empty (0 bytes)")
        else:
            data = _read_file(path, _detect(path), max_pixels)
    except ImageFileError:
        raise
    except PermissionError as exc:
        raise ImageFileError(path, "permission denied") from exc
    except MemoryError as exc:
        raise ImageFileError(path, "not enough memory to decode the image") from exc
    except Exception as exc:  # a library error in an unexpected place: still one line naming the file
        raise ImageFileError(path, f"cannot read ({describe(exc)})") from exc
    data.array = native(data.array)
    data.path = str(path)
    return data


def read_series(path: str | os.PathLike[str], max_pixels: int | None = DEFAULT_MAX_PIXELS) -> ImageData:
    """Like :func:`read_image`, but a single-frame DICOM file brings its whole series: the files of its
    folder that share its SeriesInstanceUID, as one stack (what a user who picks one slice means)."""
    path = Path(path)
    if path.is_file() and path.stat().st_size > 0 and _detect_quietly(path) == "dicom":
        from ._dicom import read_dicom_series, series_uid

        try:
            uid = series_uid(path)
            if uid is None:
                return read_image(path, max_pixels)
            data = read_dicom_series(path.parent, max_pixels, uid)
        except ImageFileError:
            raise
        except Exception as exc:
            raise ImageFileError(path, f"cannot read its DICOM series ({describe(exc)})") from exc
        data.array = native(data.array)
        data.path = str(path.parent)
        return data
    return read_image(path, max_pixels)


def _detect_quietly(path: Path) -> str | None:
    try:
        return _detect(path)
    except (ImageFileError, OSError):
        return None


def write_image(
    path: str | os.PathLike[str],
    array: np.ndarray | ImageData,
    like: ImageData | None = None,
    is_stack: bool | None = None,
) -> Path:
    """Write ``array`` in the format named by the extension of ``path``; return the path.

    ``like`` (usually the ImageData read from the input) supplies what the format keeps besides
    pixels: NIfTI affine/header/scaling, DICOM datasets (required for DICOM output), TIFF
    resolution, PNG/JPEG dpi and ICC profile. ``is_stack`` settles 3-D arrays (Z×H×W vs H×W×C);
    by default a last axis longer than 4 means a stack, else ``like.is_stack`` decides, else the
    last axis holds channels.

    Dtypes: PNG uint8/uint16 (16 bits per channel for uint16, also RGB/RGBA); JPEG uint8 grey/RGB;
    TIFF any; NIfTI any single-channel (and uint8 RGB/RGBA); DICOM see ``stylefuse.io._dicom``.
    """
    path = Path(path)
    if isinstance(array, ImageData):
        like = like if like is not None else array
        is_stack = array.is_stack if is_stack is None else is_stack
        array = array.array
    array = np.asarray(array)
    fmt = format_from_path(path)
    if array.dtype.kind not in "biuf":
        raise ImageFileError(path, f"cannot write {array.dtype} data; convert to an integer or float dtype")
    stack = infer_is_stack(path, array, is_stack, like)
    same = like if like is not None and like.format == fmt else None
    try:
        if fmt in ("png", "jpeg"):
            from ._pillow import write_jpeg, write_png

            (write_png if fmt == "png" else write_jpeg)(path, array, stack, like)
        elif fmt == "tiff":
            from ._tiff import write_tiff

            write_tiff(path, array, stack, same, like)
        elif fmt == "nifti":
            from ._nifti import write_nifti

            write_nifti(path, array, stack, same, like)
        else:
            from ._dicom import write_dicom

            write_dicom(path, array, stack, same)
    except ImageFileError:
        raise
    except OSError as exc:
        raise ImageFileError(path, f"cannot write: {exc.strerror or describe(exc)}") from exc
    return path
