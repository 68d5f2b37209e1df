"""NIfTI-1/2 (.nii, .nii.gz) through nibabel, imported only when used.

Axis convention: no reorientation and no flips. nibabel gives the voxel array ``v[i, j, k]``
(i fastest on disk); a 3-D volume comes back as the stack ``array[k, j, i]`` (Z×Y×X: slice k,
row j, column i) and a 2-D image (or a single slice, k = 1) as ``array[j, i]``. The affine in
``meta['affine']`` still maps (i, j, k) = (column, row, slice) to world coordinates. Writing applies
the inverse transpose, so read -> write -> read is exact. 8-bit RGB/RGBA voxels (RGB24/RGBA32)
get a trailing channel axis. 4-D data is refused unless its extra axes have length 1.

Values: the on-disk dtype is kept when scl_slope/scl_inter are absent or identity; otherwise
``raw * slope + inter`` is returned, as integers when that is exact (see ``apply_rescale``), else
float32. Writing with ``like`` stores the on-disk dtype and scaling of ``like`` again when the
array inverts exactly through them, and otherwise the array's own dtype without scaling.

meta keys: ``affine`` (4×4), ``header`` (a nibabel header copy), ``nifti_shape``, ``raw_dtype``,
``scl_slope``, ``scl_inter``, ``spacing`` (slice, row, column voxel sizes), ``nifti2`` (bool).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._common import (
    MEDICAL_EXTRA_HINT,
    ImageData,
    ImageFileError,
    apply_rescale,
    atomic_output,
    channel_count,
    check_pixels,
    describe,
    invert_rescale,
)

_RGB_DTYPES = {
    3: np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")]),
    4: np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1"), ("A", "u1")]),
}


def _nibabel(path: Path):
    try:
        import nibabel
    except ImportError as exc:
        raise ImageFileError(path, f"NIfTI files need the nibabel package: {MEDICAL_EXTRA_HINT}") from exc
    return nibabel


def read_nifti(path: Path, max_pixels: int | None) -> ImageData:
    nib = _nibabel(path)
    try:
        img = nib.load(path, mmap=False)
        header, shape = img.header, tuple(int(n) for n in img.shape)
    except Exception as exc:
        raise ImageFileError(path, f"not a valid NIfTI file ({describe(exc)})") from exc
    if not isinstance(img, nib.Nifti1Image):  # (Nifti2Image is a subclass)
        raise ImageFileError(path, f"not a NIfTI image (nibabel opened it as {type(img).__name__})")
    if len(shape) < 2 or any(n != 1 for n in shape[3:]):
        raise ImageFileError(
            path,
            f"NIfTI data of shape {shape} is not supported: only 2-D images and 3-D volumes are "
            "(a 4-D time series or vector volume needs one 3-D volume extracted first)",
        )
    check_pixels(path, shape, max_pixels, "voxels")
    proxy = img.dataobj
    try:
        raw = np.asarray(proxy.get_unscaled())
    except Exception as exc:
        raise ImageFileError(path, f"truncated or corrupt NIfTI file ({describe(exc)})") from exc
    slope, inter = float(proxy.slope), float(proxy.inter)
    raw_dtype = raw.dtype
    if raw.dtype.names:  # RGB24 / RGBA32
        values = np.stack([raw[name] for name in raw.dtype.names], axis=-1)
    else:
        values = apply_rescale(raw, slope, inter)
    spatial = shape[:3] if len(shape) >= 3 else shape
    values = values.reshape(spatial + values.shape[len(shape) :])
    zooms = tuple(float(z) for z in header.get_zooms()[: len(spatial)])
    if len(spatial) == 3 and spatial[2] == 1:
        values, spatial, zooms = values[:, :, 0], spatial[:2], zooms[:2]
    is_stack = len(spatial) == 3
    order = (2, 1, 0) if is_stack else (1, 0)
    array = values.transpose(order + tuple(range(len(spatial), values.ndim)))
    meta = {
        "affine": np.array(img.affine, dtype=np.float64),
        "header": header.copy(),
        "nifti_shape": shape,
        "raw_dtype": raw_dtype,
        "scl_slope": slope,
        "scl_inter": inter,
        "spacing": zooms[::-1],
        "nifti2": isinstance(img, nib.Nifti2Image),
    }
    return ImageData(array, is_stack, meta, str(path), "nifti")


def write_nifti(
    path: Path, array: np.ndarray, is_stack: bool, like: ImageData | None, any_like: ImageData | None = None
) -> None:
    """Write with ``like``'s affine/header/scaling (a NIfTI input); without one, the affine comes from
    ``any_like`` (see ``_affine_of``: a DICOM input's patient geometry, or its voxel sizes)."""
    nib = _nibabel(path)
    channels = channel_count(array, is_stack)
    if channels == 1 and array.ndim - int(is_stack) == 3:
        array, channels = array[..., 0], 1
    if channels != 1 and not (channels in _RGB_DTYPES and array.dtype == np.uint8):
        raise ImageFileError(
            path,
            f"NIfTI stores single-channel volumes or 8-bit RGB/RGBA, not {channels} channels of {array.dtype}; "
            "write a TIFF instead",
        )
    if array.dtype == bool:
        array = array.astype(np.uint8)
    elif array.dtype == np.float16:
        array = array.astype(np.float32)
    spatial = 3 if is_stack else 2
    data = array.transpose(tuple(range(spatial))[::-1] + tuple(range(spatial, array.ndim)))
    if channels > 1:
        data = np.ascontiguousarray(data).view(_RGB_DTYPES[channels])[..., 0]
    meta = like.meta if like is not None else {}
    target = tuple(meta.get("nifti_shape", ()))
    if target and [n for n in target if n != 1] == [n for n in data.shape if n != 1]:
        data = data.reshape(target)
    raw = None
    slope, inter = meta.get("scl_slope", 1.0), meta.get("scl_inter", 0.0)
    if channels == 1 and (slope, inter) != (1.0, 0.0) and "raw_dtype" in meta:
        raw = invert_rescale(data, slope, inter, meta["raw_dtype"])
    image_class = nib.Nifti2Image if meta.get("nifti2") else nib.Nifti1Image
    header = meta["header"].copy() if meta.get("header") is not None else None
    affine = meta.get("affine")
    if affine is None:
        affine = _affine_of(any_like, data.shape[2] if spatial == 3 else 1, spatial)
    try:
        img = image_class(raw if raw is not None else data, affine, header)
        if raw is not None:
            img.set_data_dtype(raw.dtype)
            img.header.set_slope_inter(slope, inter)  # kept as is: nibabel then writes raw unscaled
        else:
            img.set_data_dtype(data.dtype)
    except Exception as exc:
        raise ImageFileError(path, f"cannot write NIfTI: {describe(exc)}") from exc
    with atomic_output(path, "NIfTI") as tmp:
        nib.save(img, tmp)


def _affine_of(any_like: ImageData | None, slices: int, spatial: int) -> np.ndarray:
    """The voxel-to-world (RAS, mm) affine for an output without a NIfTI source: ``any_like.meta['affine']``
    if given; else from a DICOM source's position and orientation (LPS flipped to RAS) when it has as
    many slices; else the diagonal of ``any_like.meta['spacing']``; else the identity."""
    meta = any_like.meta if any_like is not None else {}
    if meta.get("affine") is not None:
        return np.asarray(meta["affine"], dtype=np.float64)
    affine = _dicom_affine(meta.get("datasets") or [], slices)
    if affine is not None:
        return affine
    affine = np.eye(4)
    spacing = meta.get("spacing")
    if spacing and len(spacing) == spatial:
        affine[:spatial, :spatial] = np.diag(spacing[::-1])
    return affine


def _dicom_affine(datasets: list, slices: int) -> np.ndarray | None:
    """(column, row, slice) -> RAS mm from ImagePositionPatient/ImageOrientationPatient/PixelSpacing."""
    if not datasets or (len(datasets) != slices and not (len(datasets) == 1 and slices == 1)):
        return None
    try:
        first = np.array([float(v) for v in datasets[0].ImagePositionPatient])
        orientation = np.array([float(v) for v in datasets[0].ImageOrientationPatient])
        row_spacing, col_spacing = (float(v) for v in datasets[0].PixelSpacing)
        if len(datasets) > 1:
            last = np.array([float(v) for v in datasets[-1].ImagePositionPatient])
            step = (last - first) / (len(datasets) - 1)
        else:
            step = np.cross(orientation[:3], orientation[3:]) * float(
                datasets[0].get("SliceThickness", 1) or 1
            )
    except (AttributeError, TypeError, ValueError):
        return None
    lps = np.eye(4)
    lps[:3, 0] = orientation[:3] * col_spacing  # along a row: increasing column index
    lps[:3, 1] = orientation[3:] * row_spacing  # down a column: increasing row index
    lps[:3, 2] = step
    lps[:3, 3] = first
    if not np.all(np.isfinite(lps)) or abs(np.linalg.det(lps[:3, :3])) < 1e-9:
        return None
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
