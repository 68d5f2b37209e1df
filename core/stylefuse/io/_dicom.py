"""DICOM through pydicom, imported only when used: a single file (one frame, or multi-frame ->
stack) or a folder holding one series (-> stack).

Series order: slices are sorted along the slice normal (ImagePositionPatient projected on the
cross product of ImageOrientationPatient), then by InstanceNumber, then by file name; files that
are not DICOM images (DICOMDIR, notes) are skipped. A folder mixing series or slice sizes is refused.

Values: ``raw * RescaleSlope + RescaleIntercept`` when the file has a non-identity rescale (CT ->
Hounsfield units), as integers when exact (int16 for CT), else float32; the raw pixels otherwise.
MONOCHROME1 is not inverted (see ``meta['photometric']``); PALETTE COLOR is expanded to RGB.

Writing needs ``like`` (a DICOM ImageData): its datasets are copied, pixel attributes and
PixelData replaced (uncompressed Explicit VR Little Endian), ImageType set to DERIVED\\SECONDARY,
and new SeriesInstanceUID / SOPInstanceUIDs generated so the result never collides with the
original in a PACS. Values that invert exactly through ``like``'s rescale are stored as ``like``
stored them; other integer arrays are stored as is (slope 1, intercept 0); float arrays are
quantised to int16 with a fitted RescaleSlope/Intercept (lossy: 1/65535 of the value range).

meta keys: ``datasets`` (pydicom Datasets without PixelData, in slice order), ``filenames``,
``rescale_slope`` and ``rescale_intercept`` (one per dataset), ``raw_dtype``, ``photometric``,
``multiframe``, ``spacing`` ((slice,) row, column spacing in mm, when known).
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
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
    current_umask,
    describe,
    fits_integer,
    full_suffix,
    invert_rescale,
)
from ._dicom_geometry import _sorted_slices, _spacing

# palette lookup tables; smallest/largest pixel values and aspect ratio (stale once pixels change)
_PALETTE_TAGS = (
    0x00281101,
    0x00281102,
    0x00281103,
    0x00281201,
    0x00281202,
    0x00281203,
    0x00281221,
    0x00281222,
    0x00281223,
)
_STALE_TAGS = (0x00280106, 0x00280107, 0x00280108, 0x00280109, 0x00280034)


def _pydicom(path: Path):
    try:
        import pydicom
    except ImportError as exc:
        raise ImageFileError(path, f"DICOM files need the pydicom package: {MEDICAL_EXTRA_HINT}") from exc
    return pydicom


def _dcmread(pydicom, path: Path, header_only: bool = False):
    try:
        return pydicom.dcmread(path, stop_before_pixels=header_only)
    except pydicom.errors.InvalidDicomError as exc:
        raise ImageFileError(path, f"not a DICOM file ({describe(exc)})") from exc
    except Exception as exc:
        raise ImageFileError(path, f"truncated or corrupt DICOM file ({describe(exc)})") from exc


def _frames(ds) -> int:
    return int(ds.get("NumberOfFrames", 1) or 1)


def _pixels(pydicom, path: Path, ds) -> np.ndarray:
    if "PixelData" not in ds:
        raise ImageFileError(path, "the DICOM file holds no image (no PixelData)")
    try:
        array = ds.pixel_array
        if ds.get("PhotometricInterpretation") == "PALETTE COLOR":
            try:
                from pydicom.pixels import apply_color_lut
            except ImportError:  # pydicom < 3
                from pydicom.pixel_data_handlers.util import apply_color_lut
            array = apply_color_lut(array, ds)
    except Exception as exc:
        syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
        if syntax is not None and syntax.is_compressed:
            raise ImageFileError(
                path,
                f"cannot decode its {syntax.name} pixel data ({describe(exc)}); compressed DICOM may need "
                "pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg",
            ) from exc
        raise ImageFileError(path, f"truncated or corrupt DICOM pixel data ({describe(exc)})") from exc
    return np.asarray(array)


def read_dicom_file(path: Path, max_pixels: int | None) -> ImageData:
    pydicom = _pydicom(path)
    ds = _dcmread(pydicom, path)
    if "Rows" not in ds or "PixelData" not in ds:
        raise ImageFileError(path, "the DICOM file holds no image (no Rows/PixelData)")
    frames = _frames(ds)
    check_pixels(path, ((frames,) if frames > 1 else ()) + (int(ds.Rows), int(ds.Columns)), max_pixels)
    return _build(path, [path], [ds], [_pixels(pydicom, path, ds)], frames > 1)


def series_uid(path: Path) -> str | None:
    """The SeriesInstanceUID of a single-frame DICOM file (header only); None if multi-frame or absent."""
    ds = _dcmread(_pydicom(path), path, header_only=True)
    return str(ds.SeriesInstanceUID) if "SeriesInstanceUID" in ds and _frames(ds) == 1 else None


def read_dicom_series(folder: Path, max_pixels: int | None, uid: str | None = None) -> ImageData:
    """The series in ``folder`` (only the files of series ``uid`` when given; other files are skipped)."""
    pydicom = _pydicom(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    headers = []
    for file in files:
        try:
            ds = pydicom.dcmread(file, stop_before_pixels=True)
        except Exception:
            continue  # not DICOM: skipped
        if "Rows" in ds and "Columns" in ds and (uid is None or str(ds.get("SeriesInstanceUID", "")) == uid):
            headers.append((file, ds))
    if not headers:
        raise ImageFileError(folder, f"the folder holds no DICOM image files ({len(files)} other files)")
    series = {str(ds.get("SeriesInstanceUID", "")) for _, ds in headers}
    if len(series) > 1:
        raise ImageFileError(
            folder, f"the folder mixes {len(series)} DICOM series; put each series in its own folder"
        )
    sizes = sorted({(int(ds.Rows), int(ds.Columns), int(ds.get("SamplesPerPixel", 1))) for _, ds in headers})
    if len(sizes) > 1:
        listed = ", ".join(f"{c}×{r}" + (f"×{s}" if s > 1 else "") for r, c, s in sizes)
        raise ImageFileError(
            folder, f"mixed series sizes: slices of {listed}; a stack needs slices of one size"
        )
    frames = sum(_frames(ds) for _, ds in headers)
    if frames > len(headers) and len(headers) > 1:
        raise ImageFileError(
            folder, "the folder holds several multi-frame DICOM files; read one file at a time"
        )
    check_pixels(folder, (frames, *sizes[0][:2]), max_pixels)
    headers = _sorted_slices(headers)
    datasets = [_dcmread(pydicom, file) for file, _ in headers]
    pixels = [_pixels(pydicom, file, ds) for (file, _), ds in zip(headers, datasets, strict=True)]
    return _build(folder, [file for file, _ in headers], datasets, pixels, frames > 1 and len(headers) == 1)


def _build(
    path: Path, files: list[Path], datasets: list, pixels: list[np.ndarray], multiframe: bool
) -> ImageData:
    slopes = np.array([float(ds.get("RescaleSlope", 1) or 1) for ds in datasets])
    inters = np.array([float(ds.get("RescaleIntercept", 0) or 0) for ds in datasets])
    raw = np.stack(pixels) if len(pixels) > 1 else pixels[0]
    is_stack = multiframe or len(pixels) > 1
    colour = int(datasets[0].get("SamplesPerPixel", 1)) > 1 or raw.ndim - int(is_stack) == 3
    if colour:
        values = raw
    else:
        shape = (-1,) + (1,) * (raw.ndim - 1) if len(pixels) > 1 else ()
        slope, inter = (slopes.reshape(shape), inters.reshape(shape)) if shape else (slopes[0], inters[0])
        values = apply_rescale(raw, slope, inter)
    for ds in datasets:
        if "PixelData" in ds:
            del ds.PixelData
    photometric = str(datasets[0].get("PhotometricInterpretation", ""))
    meta = {
        "datasets": datasets,
        "filenames": [f.name for f in files],
        "rescale_slope": slopes,
        "rescale_intercept": inters,
        "raw_dtype": raw.dtype,
        "photometric": "RGB" if photometric == "PALETTE COLOR" else photometric,
        "multiframe": multiframe,
    }
    spacing = _spacing(datasets, is_stack)
    if spacing:
        meta["spacing"] = spacing
    return ImageData(values, is_stack, meta, str(path), "dicom")


# ------------------------------------------------------------------------------- writing ----


def write_dicom(path: Path, array: np.ndarray, is_stack: bool, like: ImageData | None) -> None:
    if like is None or like.format != "dicom":
        raise ImageFileError(
            path,
            "DICOM output needs a DICOM input to copy the patient, study and geometry from "
            "(pass like=<the ImageData read from that input>); write NIfTI (.nii.gz) or TIFF instead",
        )
    pydicom = _pydicom(path)
    datasets, multiframe = like.meta["datasets"], like.meta["multiframe"]
    channels = channel_count(array, is_stack)
    if channels in (2, 4):
        raise ImageFileError(path, "DICOM has no alpha channel; drop it (keep grey or RGB) or write PNG/TIFF")
    if channels == 1 and array.ndim - int(is_stack) == 3:
        array = array[..., 0]
    slices = array if is_stack else array[None]
    expected = _frames(datasets[0]) if multiframe else len(datasets)
    if len(slices) != expected:
        raise ImageFileError(
            path,
            f"has {len(slices)} slices but the DICOM input had {expected}; DICOM output keeps its slice count",
        )
    encoded = _encode_values(path, slices, like, channels)
    series_uid = pydicom.uid.generate_uid()
    if multiframe:
        outputs = [_dataset(pydicom, datasets[0], *encoded[0], series_uid, frames=len(slices))]
    else:
        outputs = [_dataset(pydicom, ds, *enc, series_uid) for ds, enc in zip(datasets, encoded, strict=True)]
    if full_suffix(path) in (".dcm", ".dicom"):
        if len(outputs) > 1:
            raise ImageFileError(
                path,
                f"a series of {len(outputs)} slices is written as {len(outputs)} files: give a folder path (no .dcm extension)",
            )
        with atomic_output(path, "DICOM") as tmp:
            _save(pydicom, outputs[0], tmp)
        return
    _write_folder(pydicom, path, outputs, like.meta["filenames"])


def _encode_values(path: Path, slices: np.ndarray, like: ImageData, channels: int) -> list[tuple]:
    """Per output file: (stored pixels, RescaleSlope or None, RescaleIntercept or None)."""
    meta = like.meta
    multiframe = meta["multiframe"]
    if channels == 3:
        if slices.dtype not in (np.uint8, np.uint16):
            raise ImageFileError(path, f"DICOM RGB output must be uint8 or uint16, not {slices.dtype}")
        return [(slices, None, None)] if multiframe else [(s, None, None) for s in slices]
    if slices.dtype == bool:
        slices = slices.astype(np.uint8)
    slopes, inters = meta["rescale_slope"], meta["rescale_intercept"]
    had_rescale = any("RescaleSlope" in ds for ds in meta["datasets"])
    groups = [slices] if multiframe else list(slices)
    raws = [
        invert_rescale(g, s, i, meta["raw_dtype"]) for g, s, i in zip(groups, slopes, inters, strict=False)
    ]
    if all(r is not None for r in raws):
        return [
            (r, s if had_rescale else None, i if had_rescale else None)
            for r, s, i in zip(raws, slopes, inters, strict=False)
        ]
    if not np.all(np.isfinite(slices)):
        raise ImageFileError(path, "cannot store NaN or infinite values in DICOM")
    lo, hi = float(slices.min()), float(slices.max())
    if slices.dtype.kind in "iu" or np.array_equal(slices, np.round(slices)):
        dtype = next(
            (d for d in (meta["raw_dtype"], np.int16, np.uint16, np.int32) if fits_integer(lo, hi, d)), None
        )
        if dtype is not None:
            one, zero = (1.0, 0.0) if had_rescale else (None, None)
            return [(g.astype(dtype), one, zero) for g in groups]
    slope = float(_decimal_string((hi - lo) / 65535 if hi > lo else 1.0))  # as it will read back
    inter = float(_decimal_string(lo + 32768 * slope))
    return [
        (np.clip(np.round((g - inter) / slope), -32768, 32767).astype(np.int16), slope, inter) for g in groups
    ]


def _decimal_string(value: float) -> str:
    """``value`` as a DICOM decimal string (at most 16 characters)."""
    for digits in range(12, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    return f"{value:.1e}"


def _dataset(pydicom, template, pixels: np.ndarray, slope, inter, series_uid: str, frames: int | None = None):
    ds = copy.deepcopy(template)
    colour = pixels.ndim - int(frames is not None) == 3
    rows, cols = pixels.shape[-3:-1] if colour else pixels.shape[-2:]
    old_rows, old_cols = int(template.Rows), int(template.Columns)
    if (rows, cols) != (old_rows, old_cols) and "PixelSpacing" in ds:
        sy, sx = (float(v) for v in ds.PixelSpacing)
        ds.PixelSpacing = [_decimal_string(sy * old_rows / rows), _decimal_string(sx * old_cols / cols)]
    ds.Rows, ds.Columns = int(rows), int(cols)
    ds.SamplesPerPixel = 3 if colour else 1
    old_photometric = str(template.get("PhotometricInterpretation", ""))
    if colour:
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
    else:
        ds.PhotometricInterpretation = (
            old_photometric if old_photometric in ("MONOCHROME1", "MONOCHROME2") else "MONOCHROME2"
        )
        if "PlanarConfiguration" in ds:
            del ds.PlanarConfiguration
    for tag in _PALETTE_TAGS + _STALE_TAGS:
        if tag in ds:
            del ds[tag]
    bits = pixels.dtype.itemsize * 8
    stored = int(template.get("BitsStored", bits) or bits)
    signed = pixels.dtype.kind == "i"
    lo, hi = (int(pixels.min()), int(pixels.max())) if pixels.size else (0, 0)
    fits = stored <= bits and (
        -(2 ** (stored - 1)) <= lo and hi < 2 ** (stored - 1) if signed else hi < 2**stored
    )
    stored = stored if fits else bits
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames is not None:
        ds.NumberOfFrames = frames
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = _decimal_string(slope), _decimal_string(inter)
    elif colour:
        for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType"):
            if keyword in ds:
                delattr(ds, keyword)
    data = np.ascontiguousarray(pixels.astype(pixels.dtype.newbyteorder("<"))).tobytes()
    ds.PixelData = data + (b"\0" if len(data) % 2 else b"")
    ds["PixelData"].VR = "OB" if bits == 8 else "OW"
    sop_uid = pydicom.uid.generate_uid()
    ds.SOPInstanceUID, ds.SeriesInstanceUID = sop_uid, series_uid
    if "ImageType" in ds:
        image_type = list(ds.ImageType) if ds["ImageType"].VM > 1 else [str(ds.ImageType)]
        image_type[0] = "DERIVED"
        if len(image_type) > 1:
            image_type[1] = "SECONDARY"
        ds.ImageType = image_type
    ds.DerivationDescription = "stylefuse"
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    if "SOPClassUID" in ds:
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    return ds


def _save(pydicom, ds, filename: str) -> None:
    if int(pydicom.__version__.split(".")[0]) >= 3:
        pydicom.dcmwrite(filename, ds, enforce_file_format=True)
    else:  # pragma: no cover - pydicom 2.x
        ds.is_little_endian, ds.is_implicit_VR = True, False
        pydicom.dcmwrite(filename, ds, write_like_original=False)


def _write_folder(pydicom, path: Path, datasets: list, names: list[str]) -> None:
    """Write a series into a new (or empty) folder: built next to it, then renamed into place."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ImageFileError(
            path, "the DICOM output folder already exists and is not empty; choose a new folder"
        )
    if not path.parent.is_dir():
        raise ImageFileError(path, f"cannot write: folder {path.parent} does not exist")
    names = [Path(n).name for n in names]
    if len(names) != len(datasets) or len(set(names)) != len(names):
        names = [f"IM{i + 1:04d}.dcm" for i in range(len(datasets))]
    tmp = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        for ds, name in zip(datasets, names, strict=True):
            _save(pydicom, ds, os.path.join(tmp, name))
        os.chmod(tmp, 0o777 & ~current_umask())
        os.replace(tmp, path)
    except BaseException as exc:  # KeyboardInterrupt too: never leave a half-written series
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, ImageFileError) or not isinstance(exc, Exception):
            raise
        raise ImageFileError(path, f"cannot write DICOM series: {describe(exc)}") from exc
