"""stylefuse.io: round trips for every format and dtype, and one-line errors for broken inputs."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from stylefuse.errors import UserError
from stylefuse.io import (
    SUPPORTED_READ_EXTENSIONS,
    SUPPORTED_WRITE_EXTENSIONS,
    ImageData,
    ImageFileError,
    _png,
    format_from_path,
    read_image,
    write_image,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def smooth(shape, dtype, seed=0) -> np.ndarray:
    """Waves plus a little noise over the dtype's range (compressible; exercises every PNG filter)."""
    rng = np.random.default_rng(seed)
    waves = sum(np.cos(0.15 * (k + 1) * axis) for k, axis in enumerate(np.indices(shape, dtype=np.float64)))
    field = np.clip(0.5 + 0.4 * waves / len(shape) + 0.03 * rng.standard_normal(shape), 0, 1)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return (info.min + field * (float(info.max) - info.min)).round().astype(dtype)
    return field.astype(dtype)


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def expect_error(path: Path, *words: str, call=None) -> ImageFileError:
    """Assert read_image (or ``call``) fails with a one-line message naming ``path`` and ``words``,
    and that the file's bytes are unchanged."""
    before = sha256(path) if Path(path).is_file() else None
    with pytest.raises(ImageFileError) as info:
        (call or read_image)(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message.lower(), message
    if before is not None:
        assert sha256(path) == before
    return info.value


# ------------------------------------------------------------------------------------ PNG ----


@pytest.mark.parametrize(
    ("shape", "dtype", "mode"),
    [
        ((24, 33), np.uint8, "L"),
        ((24, 33, 2), np.uint8, "LA"),
        ((24, 33, 3), np.uint8, "RGB"),
        ((24, 33, 4), np.uint8, "RGBA"),
        ((24, 33), np.uint16, "I;16"),
        ((24, 33, 2), np.uint16, "LA;16"),
        ((24, 33, 3), np.uint16, "RGB;16"),
        ((24, 33, 4), np.uint16, "RGBA;16"),
    ],
)
def test_png_round_trip(tmp_path, shape, dtype, mode):
    array = smooth(shape, dtype)
    out = write_image(tmp_path / "a.png", array)
    data = read_image(out)
    assert data.format == "png" and not data.is_stack
    assert data.array.dtype == dtype and data.array.shape == shape
    np.testing.assert_array_equal(data.array, array)
    assert data.meta["mode"] == mode
    assert data.meta["bit_depth"] == np.dtype(dtype).itemsize * 8
    assert data.channels == (shape[2] if len(shape) == 3 else 1)
    assert files_in(tmp_path) == ["a.png"]  # no temporary file left


def test_png16_rgb_is_a_real_16_bit_png_other_readers_accept(tmp_path):
    array = smooth((20, 30, 3), np.uint16, seed=3)
    path = write_image(tmp_path / "rgb16.png", array)
    head = path.read_bytes()[:33]
    assert _png.read_header(head)["bit_depth"] == 16 and _png.read_header(head)["color_type"] == 2
    with Image.open(path) as im:  # Pillow reads 16-bit RGB as its high bytes
        np.testing.assert_array_equal(np.asarray(im.convert("RGB")), (array >> 8).astype(np.uint8))


def test_png_grey_looking_rgb_stays_three_channels(tmp_path):
    grey = smooth((16, 16), np.uint8)
    path = write_image(tmp_path / "g3.png", np.stack([grey] * 3, axis=-1))
    data = read_image(path)
    assert data.array.shape == (16, 16, 3)


def test_png_written_by_pillow(tmp_path):
    grey16 = smooth((20, 25), np.uint16, seed=1)
    Image.fromarray(grey16).save(tmp_path / "g16.png")
    data = read_image(tmp_path / "g16.png")
    assert data.array.dtype == np.uint16
    np.testing.assert_array_equal(data.array, grey16)

    palette = Image.fromarray(smooth((10, 12, 3), np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE)
    palette.save(tmp_path / "p.png")
    rgb = read_image(tmp_path / "p.png").array
    assert rgb.shape == (10, 12, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb, np.asarray(palette.convert("RGB")))
    palette.save(tmp_path / "pt.png", transparency=0)
    assert read_image(tmp_path / "pt.png").array.shape == (10, 12, 4)

    Image.fromarray(smooth((8, 9), np.uint8) > 128).save(tmp_path / "bw.png")  # 1-bit
    bw = read_image(tmp_path / "bw.png").array
    assert bw.dtype == np.uint8 and set(np.unique(bw)) <= {0, 255}


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 2), (37, 53, 3), (64, 300, 4), (1, 1, 3)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_written_matches_an_independent_decoder(tmp_path, shape, dtype):
    """Our files (libpng through imagecodecs) decode to the same pixels in pypng, a pure-Python PNG
    implementation sharing no code with libpng; 8-bit files also in Pillow (its own PNG decoder)."""
    png = pytest.importorskip("png", reason="pypng is the independent decoder: pip install pypng")
    array = smooth(shape, dtype, seed=len(shape))
    path = write_image(tmp_path / "a.png", array)
    width, height, rows, info = png.Reader(filename=str(path)).read_flat()
    assert (height, width) == shape[:2] and info["bitdepth"] == np.dtype(dtype).itemsize * 8
    assert info["planes"] == (shape[2] if len(shape) == 3 else 1)
    np.testing.assert_array_equal(np.asarray(rows, dtype).reshape(shape), array)
    if dtype == np.uint8:
        with Image.open(path) as im:
            np.testing.assert_array_equal(np.asarray(im), array)


@pytest.mark.parametrize("planes", [1, 2, 3, 4])
def test_png16_written_by_an_independent_encoder(tmp_path, planes):
    """16-bit files that pypng (pure Python) writes read back exactly, whatever the channel count."""
    png = pytest.importorskip("png", reason="pypng is the independent encoder: pip install pypng")
    shape = (21, 34) if planes == 1 else (21, 34, planes)
    array = smooth(shape, np.uint16, seed=planes)
    writer = png.Writer(34, 21, greyscale=planes < 3, alpha=planes in (2, 4), bitdepth=16)
    with open(tmp_path / "p.png", "wb") as f:
        writer.write(f, array.reshape(21, -1).tolist())
    data = read_image(tmp_path / "p.png")
    assert data.array.dtype == np.uint16 and data.array.shape == shape
    np.testing.assert_array_equal(data.array, array)


def test_png16_interlaced(tmp_path):
    """An Adam7-interlaced 16-bit RGB PNG (libpng can write those; Pillow cannot read them at 16 bits)."""
    array = smooth((13, 11, 3), np.uint16, seed=2)
    passes = (
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    )
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = array[y0::dy, x0::dx]
        if sub.size:
            rows = sub.astype(">u2").reshape(sub.shape[0], -1).view(np.uint8)
            raw += np.concatenate([np.zeros((len(rows), 1), np.uint8), rows], axis=1).tobytes()
    ihdr = struct.pack(">IIBBBBB", 11, 13, 16, 2, 0, 0, 1)
    png = (
        _png.SIGNATURE
        + _png.chunk(b"IHDR", ihdr)
        + _png.chunk(b"IDAT", zlib.compress(raw))
        + _png.chunk(b"IEND", b"")
    )
    (tmp_path / "i.png").write_bytes(png)
    np.testing.assert_array_equal(read_image(tmp_path / "i.png").array, array)


def test_png_keeps_dpi(tmp_path):
    Image.fromarray(smooth((8, 8, 3), np.uint8)).save(tmp_path / "d.png", dpi=(300, 300))
    like = read_image(tmp_path / "d.png")
    for dtype in (np.uint8, np.uint16):
        out = write_image(tmp_path / f"o{np.dtype(dtype).itemsize}.png", smooth((8, 8, 3), dtype), like=like)
        assert read_image(out).meta["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_png16_keeps_icc_profile(tmp_path):
    image_cms = pytest.importorskip("PIL.ImageCms")
    profile = image_cms.ImageCmsProfile(image_cms.createProfile("sRGB")).tobytes()
    Image.fromarray(smooth((8, 8, 3), np.uint8)).save(tmp_path / "icc.png", icc_profile=profile)
    like = read_image(tmp_path / "icc.png")
    assert like.meta["icc_profile"] == profile
    out = write_image(tmp_path / "out16.png", smooth((8, 8, 3), np.uint16), like=like)
    assert read_image(out).meta["icc_profile"] == profile


# ----------------------------------------------------------------------------------- JPEG ----


@pytest.mark.parametrize("shape", [(32, 48, 3), (32, 48)])
def test_jpeg_round_trip(tmp_path, shape):
    array = smooth(shape, np.uint8)
    path = write_image(tmp_path / "a.jpg", array)
    data = read_image(path)
    assert data.format == "jpeg" and data.array.dtype == np.uint8 and data.array.shape == shape
    assert np.abs(data.array.astype(int) - array).mean() < 6  # lossy, but close


def test_jpeg_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(smooth((20, 40, 3), np.uint8)).save(tmp_path / "r.jpg", exif=exif)
    data = read_image(tmp_path / "r.jpg")
    assert data.array.shape == (40, 20, 3) and data.meta["exif_rotated"] == 6


# ----------------------------------------------------------------------------------- TIFF ----


@pytest.mark.parametrize(
    ("shape", "dtype", "is_stack"),
    [
        ((5, 20, 30), np.uint16, True),
        ((20, 30), np.float32, False),
        ((20, 30, 3), np.float32, False),
        ((20, 30), np.int16, False),
        ((3, 20, 30, 3), np.uint8, True),
        ((20, 30, 2), np.uint16, False),
        ((1, 20, 30), np.uint8, True),
    ],
)
def test_tiff_round_trip(tmp_path, shape, dtype, is_stack):
    array = smooth(shape, dtype)
    path = write_image(tmp_path / "a.tif", array, is_stack=is_stack)
    data = read_image(path)
    assert data.format == "tiff" and data.is_stack == is_stack
    assert data.array.dtype == dtype and data.array.shape == shape
    np.testing.assert_array_equal(data.array, array)


def test_tiff_pages_and_hyperstacks(tmp_path):
    pages = smooth((4, 10, 12), np.uint16)
    with tifffile.TiffWriter(tmp_path / "pages.tif") as tw:  # plain pages, no shape metadata
        for page in pages:
            tw.write(page, photometric="minisblack", metadata=None)
    data = read_image(tmp_path / "pages.tif")
    assert data.is_stack
    np.testing.assert_array_equal(data.array, pages)

    hyper = smooth((2, 3, 10, 12), np.uint16).reshape(2, 3, 10, 12)
    tifffile.imwrite(tmp_path / "tz.tif", hyper, photometric="minisblack", metadata={"axes": "TZYX"})
    like = read_image(tmp_path / "tz.tif")
    assert like.array.shape == (6, 10, 12)
    out = write_image(tmp_path / "out.tif", like.array + 1, like=like)
    with tifffile.TiffFile(out) as tif:
        assert tif.series[0].shape == (2, 3, 10, 12)
    np.testing.assert_array_equal(read_image(out).array, like.array + 1)


def test_tiff_keeps_resolution(tmp_path):
    tifffile.imwrite(
        tmp_path / "r.tif", smooth((8, 8), np.uint16), resolution=(72.0, 72.0), resolutionunit="inch"
    )
    like = read_image(tmp_path / "r.tif")
    out = write_image(tmp_path / "o.tif", like.array, like=like)
    assert read_image(out).meta["resolution"] == pytest.approx((72.0, 72.0))


def test_tiff_lzw_falls_back_to_pillow(tmp_path):
    """LZW needs imagecodecs in tifffile; Pillow decodes it instead."""
    array = smooth((20, 30), np.uint8)
    Image.fromarray(array).save(tmp_path / "lzw.tif", compression="tiff_lzw")
    np.testing.assert_array_equal(read_image(tmp_path / "lzw.tif").array, array)


# ---------------------------------------------------------------------------------- NIfTI ----

AFFINE = np.array(
    [[0.0, -0.9, 0.1, 90.0], [0.8, 0.0, 0.05, -126.0], [0.0, 0.2, 2.5, -72.0], [0.0, 0.0, 0.0, 1.0]]
)


def header_fields(header) -> dict:
    keys = (
        "sform_code",
        "qform_code",
        "srow_x",
        "srow_y",
        "srow_z",
        "quatern_b",
        "quatern_c",
        "quatern_d",
        "qoffset_x",
        "qoffset_y",
        "qoffset_z",
        "pixdim",
        "xyzt_units",
        "descrip",
        "intent_code",
        "datatype",
    )
    return {k: np.asarray(header[k]).tolist() for k in keys}


@pytest.mark.parametrize("name", ["v.nii.gz", "v.nii"])
def test_nifti_int16_volume_round_trip(tmp_path, name):
    nib = pytest.importorskip("nibabel")
    volume = smooth((7, 9, 5), np.int16)  # i, j, k
    img = nib.Nifti1Image(volume, AFFINE)
    img.header["descrip"] = b"stylefuse test"
    img.header.set_xyzt_units("mm", "sec")
    nib.save(img, tmp_path / name)
    before = sha256(tmp_path / name)

    data = read_image(tmp_path / name)
    assert data.format == "nifti" and data.is_stack
    assert data.array.dtype == np.int16 and data.array.shape == (5, 9, 7)  # Z×Y×X = k, j, i
    np.testing.assert_array_equal(data.array, volume.transpose(2, 1, 0))
    np.testing.assert_allclose(data.meta["affine"], AFFINE, atol=1e-6)
    assert data.meta["spacing"] == pytest.approx(
        tuple(np.linalg.norm(AFFINE[:3, :3], axis=0)[::-1]), rel=1e-5
    )

    out = write_image(tmp_path / ("out" + name[1:]), data.array[:, ::-1], like=data)
    again = nib.load(out)
    assert again.get_data_dtype() == np.int16
    np.testing.assert_allclose(again.affine, AFFINE, atol=1e-6)
    assert header_fields(again.header) == header_fields(nib.load(tmp_path / name).header)
    np.testing.assert_array_equal(np.asarray(again.dataobj), volume[:, ::-1, :])
    np.testing.assert_array_equal(read_image(out).array, data.array[:, ::-1])
    assert sha256(tmp_path / name) == before


def test_nifti_scaling_is_applied_and_inverted(tmp_path):
    nib = pytest.importorskip("nibabel")
    raw = smooth((6, 6, 4), np.uint16) // 16
    img = nib.Nifti1Image(raw, np.diag([1.0, 1.0, 3.0, 1.0]))
    img.set_data_dtype(np.uint16)
    img.header.set_slope_inter(1.0, -1024.0)
    nib.save(img, tmp_path / "ct.nii.gz")
    data = read_image(tmp_path / "ct.nii.gz")
    assert data.array.dtype == np.int16
    np.testing.assert_array_equal(data.array, raw.transpose(2, 1, 0).astype(np.int32) - 1024)

    out = write_image(tmp_path / "out.nii.gz", data.array, like=data)
    again = nib.load(out)
    assert again.get_data_dtype() == np.uint16  # the on-disk dtype and scaling of the input
    assert (again.dataobj.slope, again.dataobj.inter) == (1.0, -1024.0)
    np.testing.assert_array_equal(np.asarray(again.dataobj.get_unscaled()), raw)

    floats = data.array.astype(np.float32) + 0.5  # not representable: written as float32, exactly
    out = write_image(tmp_path / "f.nii.gz", floats, like=data)
    assert nib.load(out).get_data_dtype() == np.float32
    np.testing.assert_array_equal(read_image(out).array, floats)


def test_nifti_2d_and_single_slice(tmp_path):
    nib = pytest.importorskip("nibabel")
    image = smooth((12, 8), np.float32)  # i, j
    nib.save(nib.Nifti1Image(image, np.eye(4)), tmp_path / "a.nii")
    nib.save(nib.Nifti1Image(image[:, :, None], np.eye(4)), tmp_path / "b.nii")
    for name in ("a.nii", "b.nii"):
        data = read_image(tmp_path / name)
        assert not data.is_stack and data.array.shape == (8, 12)
        np.testing.assert_array_equal(data.array, image.T)
        out = write_image(tmp_path / f"out_{name}", data.array, like=data)
        assert nib.load(out).shape == nib.load(tmp_path / name).shape


def test_nifti_rgb(tmp_path):
    pytest.importorskip("nibabel")
    rgb = smooth((3, 10, 12, 3), np.uint8)
    out = write_image(tmp_path / "rgb.nii.gz", rgb, is_stack=True)
    data = read_image(out)
    assert data.is_stack and data.array.shape == (3, 10, 12, 3)
    np.testing.assert_array_equal(data.array, rgb)


# ---------------------------------------------------------------------------------- DICOM ----


@pytest.fixture
def ct_file(tmp_path) -> Path:
    pydicom_data = pytest.importorskip("pydicom.data")
    path = tmp_path / "in" / "CT_small.dcm"
    path.parent.mkdir()
    shutil.copy(pydicom_data.get_testdata_file("CT_small.dcm"), path)
    return path


def test_dicom_ct_reads_hounsfield_units_and_writes_back(tmp_path, ct_file):
    import pydicom

    before = sha256(ct_file)
    source = pydicom.dcmread(ct_file)
    data = read_image(ct_file)
    assert data.format == "dicom" and not data.is_stack
    assert data.array.dtype == np.int16 and data.array.shape == (128, 128)
    hu = source.pixel_array.astype(np.int32) * int(source.RescaleSlope) + int(source.RescaleIntercept)
    np.testing.assert_array_equal(data.array, hu)
    assert data.array.min() < 0  # -1024 applied

    out = write_image(tmp_path / "out.dcm", data.array, like=data)
    again = read_image(out)
    assert again.array.dtype == np.int16
    np.testing.assert_array_equal(again.array, data.array)
    written = pydicom.dcmread(out)
    assert float(written.RescaleIntercept) == float(source.RescaleIntercept)
    assert written.PatientName == source.PatientName and written.StudyInstanceUID == source.StudyInstanceUID
    assert written.SOPInstanceUID != source.SOPInstanceUID
    assert written.SeriesInstanceUID != source.SeriesInstanceUID
    assert written.ImageType[0] == "DERIVED"
    assert sha256(ct_file) == before


def test_dicom_float_output_is_quantised_with_a_rescale(tmp_path, ct_file):
    data = read_image(ct_file)
    result = data.array.astype(np.float32) / 7
    again = read_image(write_image(tmp_path / "f.dcm", result, like=data))
    span = float(result.max() - result.min())
    assert np.abs(again.array - result).max() <= span / 65535


def make_series(ct_file: Path, folder: Path, order=(2, 0, 1)) -> list[float]:
    """Three slices of CT_small at z = 0, 5, 10 mm, written in a shuffled file order."""
    import pydicom

    folder.mkdir()
    zs = []
    for n, k in enumerate(order):
        ds = pydicom.dcmread(ct_file)
        ds.ImagePositionPatient = [0.0, 0.0, 5.0 * k]
        ds.InstanceNumber = n + 1  # deliberately not the slice order
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        arr = ds.pixel_array.copy()
        arr[:8, :8] = 100 * k
        ds.PixelData = arr.tobytes()
        ds.save_as(folder / f"file{n}.dcm")
        zs.append(5.0 * k)
    (folder / "notes.txt").write_text("not DICOM")
    return zs


def test_dicom_series_folder_round_trip(tmp_path, ct_file):
    make_series(ct_file, tmp_path / "series")
    data = read_image(tmp_path / "series")
    assert data.is_stack and data.array.shape == (3, 128, 128) and data.array.dtype == np.int16
    assert [int(s[0, 0]) for s in data.array] == [0 - 1024, 100 - 1024, 200 - 1024]  # sorted by position
    assert data.meta["spacing"] == pytest.approx((5.0, 0.661468, 0.661468))

    out = write_image(tmp_path / "out_series", data.array, like=data)
    assert len(files_in(out)) == 3
    np.testing.assert_array_equal(read_image(out).array, data.array)
    expect_error(tmp_path / "out_series", "not empty", call=lambda p: write_image(p, data.array, like=data))


def test_dicom_series_errors(tmp_path, ct_file):
    import pydicom

    make_series(ct_file, tmp_path / "mixed")
    ds = pydicom.dcmread(ct_file)
    small = ds.pixel_array[::2, ::2].copy()
    ds.Rows, ds.Columns, ds.PixelData = 64, 64, small.tobytes()
    ds.save_as(tmp_path / "mixed" / "small.dcm")
    expect_error(tmp_path / "mixed", "mixed series sizes", "128×128", "64×64")

    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("x")
    expect_error(tmp_path / "empty", "no dicom")

    data = read_image(tmp_path / "mixed" / "file0.dcm")
    expect_error(
        tmp_path / "one.dcm", "3 slices", call=lambda p: write_image(p, np.stack([data.array] * 3), like=data)
    )


def test_dicom_resized_output_and_conversion_to_nifti(tmp_path, ct_file):
    import pydicom

    data = read_image(ct_file)
    out = write_image(tmp_path / "half.dcm", data.array[::2, ::2], like=data)
    spacing = [float(v) for v in pydicom.dcmread(out).PixelSpacing]
    assert spacing == pytest.approx([2 * 0.661468, 2 * 0.661468])
    np.testing.assert_array_equal(read_image(out).array, data.array[::2, ::2])

    nib = pytest.importorskip("nibabel")
    series_dir = tmp_path / "series"
    make_series(ct_file, series_dir)
    series = read_image(series_dir)
    nifti = write_image(tmp_path / "ct.nii.gz", series.array, like=series)
    assert nib.load(nifti).header.get_zooms() == pytest.approx((0.661468, 0.661468, 5.0), rel=1e-5)
    np.testing.assert_array_equal(read_image(nifti).array, series.array)


def test_dicom_output_needs_a_dicom_input(tmp_path):
    png = write_image(tmp_path / "a.png", smooth((8, 8), np.uint8))
    like = read_image(png)
    for target in (tmp_path / "out.dcm", tmp_path / "series"):
        expect_error(target, "needs a dicom input", call=lambda p: write_image(p, like.array, like=like))
        expect_error(target, "needs a dicom input", call=lambda p: write_image(p, like.array))
    assert files_in(tmp_path) == ["a.png"]


# --------------------------------------------------------------------------------- errors ----


def test_missing_file(tmp_path):
    error = expect_error(tmp_path / "nope.png", "no such file")
    assert isinstance(error, ValueError) and isinstance(error, UserError)


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    expect_error(tmp_path / "empty.png", "empty", "0 bytes")


@pytest.mark.parametrize(
    ("name", "array", "stack"),
    [
        ("rgb8.png", smooth((64, 64, 3), np.uint8), False),
        ("rgb16.png", smooth((64, 64, 3), np.uint16), False),
        ("photo.jpg", smooth((64, 64, 3), np.uint8), False),
        ("stack.tif", smooth((4, 64, 64), np.uint16), True),
        ("image.tif", smooth((64, 64), np.float32), False),
        ("vol.nii.gz", smooth((8, 32, 32), np.int16), True),
        ("vol.nii", smooth((8, 32, 32), np.int16), True),
    ],
)
def test_truncated_files(tmp_path, name, array, stack):
    if "nii" in name:
        pytest.importorskip("nibabel")
    full = write_image(tmp_path / name, array, is_stack=stack)
    data = full.read_bytes()
    half = tmp_path / f"half_{name}"
    half.write_bytes(data[: len(data) // 2])
    expect_error(half, "truncated or corrupt")


def test_truncated_dicom(tmp_path, ct_file):
    data = ct_file.read_bytes()
    (tmp_path / "half.dcm").write_bytes(data[: len(data) // 2])
    expect_error(tmp_path / "half.dcm", "truncated or corrupt")


def test_text_file_named_png(tmp_path):
    (tmp_path / "notes.png").write_text("this is not an image\n")
    expect_error(tmp_path / "notes.png", "not a png image", "text file")
    (tmp_path / "bin.tif").write_bytes(bytes(range(256)) * 4)
    expect_error(tmp_path / "bin.tif", "not a tiff image")
    (tmp_path / "bin.nii").write_bytes(bytes(400))
    expect_error(tmp_path / "bin.nii", "not a nifti image")
    (tmp_path / "bin.dcm").write_bytes(bytes(400))
    expect_error(tmp_path / "bin.dcm", "not a dicom file")


def test_unknown_extension(tmp_path):
    (tmp_path / "data.xyz").write_bytes(b"whatever")
    expect_error(tmp_path / "data.xyz", "unsupported file extension", ".xyz")
    expect_error(
        tmp_path / "out.bmp",
        "unsupported file extension",
        call=lambda p: write_image(p, np.zeros((4, 4), np.uint8)),
    )


def test_content_decides_over_a_wrong_extension(tmp_path):
    array = smooth((10, 10, 3), np.uint8)
    Image.fromarray(array).save(tmp_path / "really_png.jpg", format="PNG")
    data = read_image(tmp_path / "really_png.jpg")
    assert data.format == "png"
    np.testing.assert_array_equal(data.array, array)


def test_decompression_bomb_png_is_refused_before_decoding(tmp_path):
    """A valid 20000×20000 1-bit PNG (~60 kB on disk, 400 M pixels) exceeds the default 2**28 limit."""
    width = height = 20000
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + width // 8)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(
        _png.SIGNATURE + _png.chunk(b"IHDR", ihdr) + _png.chunk(b"IDAT", idat) + _png.chunk(b"IEND", b"")
    )
    assert bomb.stat().st_size < 200_000
    expect_error(bomb, "too large", "20000×20000", "decompression bomb")


@pytest.mark.parametrize(
    ("name", "shape", "is_stack"),
    [
        ("a.png", (20, 30, 3), False),
        ("a.jpg", (20, 30), False),
        ("a.tif", (3, 20, 30), True),
        ("a.nii.gz", (3, 20, 30), True),
    ],
)
def test_max_pixels_limit(tmp_path, name, shape, is_stack):
    if "nii" in name:
        pytest.importorskip("nibabel")
    path = write_image(tmp_path / name, smooth(shape, np.uint8), is_stack=is_stack)
    expect_error(path, "too large", "limit of 500", call=lambda p: read_image(p, max_pixels=500))
    assert read_image(path, max_pixels=None).array.shape == shape


def test_max_pixels_dicom(ct_file):
    expect_error(ct_file, "too large", "128×128", call=lambda p: read_image(p, max_pixels=1000))


@pytest.mark.parametrize(
    ("name", "array", "words"),
    [
        ("a.jpg", smooth((8, 8), np.uint16), ("jpeg", "uint16", "png", "tif")),
        ("a.jpg", smooth((8, 8, 4), np.uint8), ("alpha",)),
        ("a.png", smooth((8, 8), np.float32), ("png", "float32", "tif")),
        ("a.png", smooth((8, 8), np.int16), ("png", "int16")),
        ("a.png", smooth((3, 8, 8), np.uint8), ("stack",)),
        ("a.nii.gz", smooth((8, 8, 2), np.uint16), ("channels",)),
        ("a.tif", np.zeros((2, 2, 2, 2, 2), np.uint8), ("5-d",)),
        ("a.tif", np.zeros((4, 4, 7), np.uint8), ("7 channels",)),
    ],
)
def test_write_errors_leave_nothing(tmp_path, name, array, words):
    if "nii" in name:
        pytest.importorskip("nibabel")
    is_stack = False if array.shape == (4, 4, 7) else None
    expect_error(tmp_path / name, *words, call=lambda p: write_image(p, array, is_stack=is_stack))
    assert files_in(tmp_path) == []


def test_write_is_atomic(tmp_path, monkeypatch):
    target = write_image(tmp_path / "out.png", smooth((8, 8, 3), np.uint16))
    before = sha256(target)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(_png, "encode", broken)
    expect_error(target, "disk full", call=lambda p: write_image(p, smooth((8, 8, 3), np.uint16, seed=1)))
    assert sha256(target) == before and files_in(tmp_path) == ["out.png"]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_png, "encode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_image(target, smooth((8, 8, 3), np.uint16, seed=1))
    assert sha256(target) == before and files_in(tmp_path) == ["out.png"]

    expect_error(
        tmp_path / "missing" / "out.png",
        "does not exist",
        call=lambda p: write_image(p, np.zeros((4, 4), np.uint8)),
    )


def test_missing_medical_extra_is_named(tmp_path, monkeypatch, ct_file):
    nib = pytest.importorskip("nibabel")
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.int16), np.eye(4)), tmp_path / "v.nii.gz")
    monkeypatch.setitem(sys.modules, "nibabel", None)
    monkeypatch.setitem(sys.modules, "pydicom", None)
    expect_error(tmp_path / "v.nii.gz", "nibabel", "pip install 'stylefuse[medical]'")
    expect_error(ct_file, "pydicom", "pip install 'stylefuse[medical]'")


def test_error_is_picklable_and_one_line():
    error = ImageFileError("/x/a.png", "broken\nin two lines")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "/x/a.png: broken in two lines"
    assert again.path == "/x/a.png" and again.problem == "broken in two lines"


# ------------------------------------------------------------------------------------ API ----


def test_format_from_path(tmp_path):
    assert format_from_path("a.PNG") == "png"
    assert format_from_path("a.jpeg") == format_from_path("a.jpg") == "jpeg"
    assert format_from_path("a.tif") == format_from_path("b.TIFF") == "tiff"
    assert format_from_path("a.nii") == format_from_path("brain.nii.gz") == "nifti"
    assert format_from_path("a.dcm") == format_from_path("series") == format_from_path(tmp_path) == "dicom"
    with pytest.raises(ImageFileError, match="unsupported"):
        format_from_path("a.gz")
    assert ".nii.gz" in SUPPORTED_READ_EXTENSIONS and ".png" in SUPPORTED_WRITE_EXTENSIONS


def test_write_accepts_image_data_and_infers_layout(tmp_path):
    stack = ImageData(smooth((3, 8, 8), np.uint16), is_stack=True, format="tiff")
    out = write_image(tmp_path / "s.tif", stack)
    assert read_image(out).is_stack
    # a 3-D array without is_stack/like: a last axis of 1..4 is channels, otherwise a stack
    assert not read_image(write_image(tmp_path / "c.tif", smooth((8, 8, 3), np.uint8))).is_stack
    assert read_image(write_image(tmp_path / "z.tif", smooth((5, 8, 8), np.uint8))).is_stack
