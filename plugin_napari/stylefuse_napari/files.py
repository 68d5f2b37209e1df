"""napari reader and writer: NIfTI, DICOM series and TIFF stacks through `stylefuse.io` (one reader).

Reader: a ``.nii``/``.nii.gz`` file, a DICOM folder or one file of a DICOM series (the whole series
opens), a ``.tif``/``.tiff`` image or stack. Voxel spacing becomes the layer's ``scale``; the layer's
``metadata`` keeps what writing back needs:
    source, format       the file or folder read, and 'nifti' / 'dicom' / 'tiff'
    spacing              voxel size per layer axis (mm for NIfTI and DICOM)
    affine, header       NIfTI: the 4x4 voxel-to-world affine and the nibabel header
    stylefuse_io         the reader's format metadata (stylefuse.io's ImageData.meta)
Writer: an image layer as NIfTI (with the source's header and affine when the layer's metadata
carries them, else an affine from the layer's scale) or TIFF (any dtype, stacks). Files are written
to a temporary name and renamed, so a failed write leaves nothing behind.

Nothing heavy is imported here: stylefuse.io imports numpy only, nibabel/pydicom/tifffile when used.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from stylefuse.io import ImageData

READ_SUFFIXES = (".nii", ".nii.gz", ".dcm", ".dicom", ".ima", ".tif", ".tiff")
WRITE_SUFFIXES = (".nii", ".nii.gz", ".tif", ".tiff")
_SPACING_UNITS = {"nifti": "mm", "dicom": "mm"}
_IMAGEJ_UNITS = {"micron": "µm", "um": "µm", "µm": "µm", "\\u00B5m": "µm", "nm": "nm", "mm": "mm", "cm": "cm"}

LayerData = tuple[Any, dict, str]


def _suffix(path: str) -> str:
    name = path.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else os.path.splitext(name)[1]


def _readable(path: str) -> bool:
    if os.path.isdir(path):  # a DICOM series folder: decided when read (other folders give a clear error)
        return True
    return _suffix(path) in READ_SUFFIXES


def get_reader(path: str | list[str]) -> Callable[[str | list[str]], list[LayerData]] | None:
    """npe2 reader hook: the reader function for `path` (or a list of paths), or None if not ours."""
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths or not all(_readable(os.fspath(p)) for p in paths):
        return None
    return read_layers


def read_layers(path: str | list[str]) -> list[LayerData]:
    """Read each path into one image layer (a DICOM file brings its whole series)."""
    from stylefuse.io import read_series

    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    return [layer_data(read_series(os.fspath(p))) for p in paths]


def layer_data(data: "ImageData") -> LayerData:
    """A `stylefuse.io.ImageData` as napari layer data: (array, image-layer kwargs, 'image')."""
    array, meta, fmt = data.array, data.meta, data.format
    channels = data.channels if array.ndim - int(data.is_stack) == 3 else 0
    spatial = array.ndim - (1 if channels else 0)
    metadata: dict[str, Any] = {"source": data.path, "format": fmt, "stylefuse_io": dict(meta)}
    for key in ("affine", "header"):
        if meta.get(key) is not None:
            metadata[key] = meta[key]
    kwargs: dict[str, Any] = {"name": Path(data.path or "image").name, "metadata": metadata}
    spacing, unit = _spacing(data, spatial)
    if spacing is not None:
        metadata["spacing"] = spacing
        kwargs["scale"] = spacing
        if unit:
            kwargs["units"] = (unit,) * spatial
    if channels in (3, 4):
        kwargs["rgb"] = True
    elif channels:  # grey+alpha or one channel kept as an axis: one layer per channel
        kwargs["channel_axis"] = array.ndim - 1
        kwargs["name"] = [f"{kwargs['name']} [{i}]" for i in range(channels)]
        kwargs.pop("units", None)
    return array, kwargs, "image"


def _spacing(data: "ImageData", spatial: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Voxel size per spatial axis of the array and its unit, when the file states one."""
    meta = data.meta
    if data.format in _SPACING_UNITS:
        spacing = meta.get("spacing")
        if spacing and len(spacing) == spatial and all(s > 0 for s in spacing):
            return tuple(float(s) for s in spacing), _SPACING_UNITS[data.format]
        return None, None
    if data.format != "tiff":
        return None, None
    imagej = meta.get("imagej") or {}
    unit = _IMAGEJ_UNITS.get(str(imagej.get("unit", "")).lower())
    resolution, resolution_unit = meta.get("resolution"), meta.get("resolutionunit")
    if resolution_unit == 3 and unit is None:  # pixels per centimetre
        unit = "cm"
    if unit is None or not resolution or min(resolution) <= 0:  # dpi (a print size) is no voxel size
        return None, None
    plane = (1.0 / float(resolution[1]), 1.0 / float(resolution[0]))
    if spatial == 2:
        return plane, unit
    step = float(imagej.get("spacing") or 1.0)
    return (step, *plane) if spatial == 3 else None, unit


def write_layer(path: str, data: Any, meta: dict) -> list[str]:
    """npe2 writer hook for one image layer: NIfTI (.nii, .nii.gz) or TIFF (.tif, .tiff)."""
    from stylefuse.io import ImageData, ImageFileError, write_image

    if _suffix(path) not in WRITE_SUFFIXES:
        raise ImageFileError(
            path, f"stylefuse writes {', '.join(WRITE_SUFFIXES)}; choose one of those extensions"
        )
    if meta.get("multiscale") or isinstance(data, list):
        raise ImageFileError(
            path, "cannot write a multiscale layer; save its full-resolution level as a layer first"
        )
    array = np.asarray(data)
    rgb = bool(meta.get("rgb"))
    spatial = array.ndim - int(rgb)
    if spatial not in (2, 3):
        raise ImageFileError(
            path,
            f"the layer has {spatial} spatial axes (shape {array.shape}); NIfTI/TIFF output takes 2-D or 3-D",
        )
    layer_meta = meta.get("metadata") or {}
    file_meta = dict(layer_meta.get("stylefuse_io") or {})
    if layer_meta.get("affine") is not None:  # the layer's own values win over the reader's copy
        file_meta["affine"] = np.asarray(layer_meta["affine"], dtype=np.float64)
    if layer_meta.get("header") is not None:
        file_meta["header"] = layer_meta["header"]
    scale = meta.get("scale")
    if scale is not None and len(scale) >= spatial and "spacing" not in file_meta:
        file_meta["spacing"] = tuple(float(s) for s in list(scale)[-spatial:])
    like = ImageData(array, spatial == 3, file_meta, layer_meta.get("source"), layer_meta.get("format"))
    written = write_image(path, array, like=like, is_stack=spatial == 3)
    return [os.fspath(written)]
