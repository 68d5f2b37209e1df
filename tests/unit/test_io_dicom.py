"""stylefuse.io, DICOM: CT in Hounsfield units, series folders, derived outputs, conversion to NIfTI.

The `ct_file` fixture (pydicom's CT_small.dcm in a temporary folder) is in tests/unit/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from io_helpers import expect_error, files_in, sha256, smooth

from stylefuse.io import (
    read_image,
    write_image,
)


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
