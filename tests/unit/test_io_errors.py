"""stylefuse.io: one-line errors for broken inputs and impossible outputs, leaving files untouched."""

from __future__ import annotations

import pickle
import struct
import sys
import zlib

import numpy as np
import pytest
from io_helpers import expect_error, files_in, sha256, smooth
from PIL import Image

from stylefuse.errors import UserError
from stylefuse.io import (
    ImageFileError,
    _png,
    read_image,
    write_image,
)


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
