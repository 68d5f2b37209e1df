"""Opening scans and saving results as a napari user does: `viewer.open(path, plugin="stylefuse")`
and `layer.save(path, plugin="stylefuse")` on a real viewer (reader and writer contributions).

Files come from wheels (nibabel's test data, pydicom's CT_small.dcm) or are generated in tmp_path.
"""

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest

nibabel = pytest.importorskip("nibabel")
pydicom = pytest.importorskip("pydicom")
tifffile = pytest.importorskip("tifffile")


def open_one(viewer, path):
    layers = viewer.open(str(path), plugin="stylefuse")
    assert len(layers) == 1, layers
    return layers[0]


@pytest.fixture
def nifti_file(tmp_path):
    """A 3-D int16 NIfTI with anisotropic voxels, an oblique-free affine with offsets and a description."""
    rng = np.random.default_rng(0)
    voxels = rng.integers(-200, 900, (30, 26, 7)).astype(np.int16)  # i (x), j (y), k (z)
    affine = np.diag([0.8, 0.9, 2.5, 1.0])
    affine[:3, 3] = (-12.0, 30.5, -4.0)
    img = nibabel.Nifti1Image(voxels, affine)
    img.header["descrip"] = b"stylefuse napari test"
    img.header.set_xyzt_units("mm")
    path = tmp_path / "scan.nii.gz"
    nibabel.save(img, path)
    return path, voxels, affine


@pytest.fixture
def dicom_series(tmp_path):
    """A 6-slice CT series made from pydicom's CT_small.dcm: new positions (2.5 mm apart), instance
    numbers and UIDs, file names out of slice order, plus a file that is not DICOM."""
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    source = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    folder = tmp_path / "series"
    folder.mkdir()
    series_uid, slices = generate_uid(), []
    for k in range(6):
        ds = copy.deepcopy(source)  # Dataset.copy() shares the data elements
        raw = (source.pixel_array.astype(np.int32) + 10 * k).astype(np.int16)
        ds.PixelData = raw.tobytes()
        x, y, z = (float(v) for v in source.ImagePositionPatient)
        ds.ImagePositionPatient = [x, y, z + 2.5 * k]
        ds.InstanceNumber = k + 1
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.save_as(folder / f"IM{(7 * k) % 6:04d}.dcm")  # names not in slice order
        slices.append(raw.astype(np.int32) * int(source.RescaleSlope) + int(source.RescaleIntercept))
    (folder / "notes.txt").write_text("not a DICOM file")
    return folder, np.stack(slices), source


def test_open_nifti(viewer, nifti_file):
    path, voxels, affine = nifti_file
    layer = open_one(viewer, path)
    assert layer.data.shape == (7, 26, 30) and layer.data.dtype == np.int16  # Z x Y x X
    np.testing.assert_array_equal(layer.data, voxels.transpose(2, 1, 0))
    np.testing.assert_allclose(layer.scale, (2.5, 0.9, 0.8))
    assert layer.metadata["format"] == "nifti" and layer.metadata["source"] == str(path)
    np.testing.assert_allclose(layer.metadata["affine"], affine)
    assert layer.metadata["header"]["descrip"].item() == b"stylefuse napari test"


def test_open_nifti_from_the_nibabel_wheel(viewer):
    path = Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"
    if not path.is_file():
        pytest.skip("nibabel's test data is not installed")
    layer = open_one(viewer, path)
    expected = np.asarray(nibabel.load(path).dataobj).transpose(2, 1, 0)
    assert (
        layer.data.shape == expected.shape and layer.data.dtype == np.int16
    )  # big-endian on disk, native here
    np.testing.assert_array_equal(layer.data, expected)
    np.testing.assert_allclose(layer.scale, (2.0, 2.0, 2.0))


def test_open_dicom_series_folder(viewer, dicom_series):
    folder, expected, source = dicom_series
    layer = open_one(viewer, folder)
    assert layer.data.shape == (6, 128, 128) and layer.data.dtype == np.int16  # Hounsfield units
    np.testing.assert_array_equal(layer.data, expected)  # sorted by position, not by file name
    spacing = float(source.PixelSpacing[0])
    np.testing.assert_allclose(layer.scale, (2.5, spacing, spacing), rtol=1e-6)
    assert layer.metadata["format"] == "dicom" and layer.metadata["spacing"][0] == pytest.approx(2.5)


def test_one_file_of_a_series_opens_the_whole_series(viewer, dicom_series):
    folder, expected, _ = dicom_series
    layer = open_one(viewer, folder / "IM0003.dcm")
    assert layer.data.shape == (6, 128, 128)
    np.testing.assert_array_equal(layer.data, expected)


def test_single_dicom_file_from_the_pydicom_wheel(viewer, tmp_path):
    from pydicom.data import get_testdata_file

    path = shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path / "ct.dcm")
    layer = open_one(viewer, path)
    assert layer.data.shape == (128, 128) and layer.data.dtype == np.int16
    np.testing.assert_allclose(layer.scale, (0.661468, 0.661468))


def test_open_imagej_tiff_stack(viewer, tmp_path):
    stack = np.arange(4 * 20 * 30, dtype=np.uint16).reshape(4, 20, 30)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(
        path,
        stack,
        imagej=True,
        resolution=(1 / 0.25, 1 / 0.5),
        metadata={"spacing": 2.0, "unit": "micron", "axes": "ZYX"},
    )
    layer = open_one(viewer, path)
    assert layer.data.shape == (4, 20, 30) and layer.data.dtype == np.uint16
    np.testing.assert_array_equal(layer.data, stack)
    np.testing.assert_allclose(layer.scale, (2.0, 0.5, 0.25))


def test_save_nifti_keeps_the_source_header(viewer, nifti_file, tmp_path):
    """Open, derive a float result layer carrying the source's metadata (as the stylefuse widgets
    do), save it through the writer: nibabel sees the source's affine, zooms and description."""
    path, voxels, affine = nifti_file
    layer = open_one(viewer, path)
    result = viewer.add_image(
        layer.data.astype(np.float32) * 0.5, name="fused", scale=layer.scale, metadata=layer.metadata
    )
    out = tmp_path / "fused.nii.gz"
    saved = result.save(str(out), plugin="stylefuse")
    assert Path(saved[0] if isinstance(saved, list) else saved) == out
    img = nibabel.load(out)
    np.testing.assert_allclose(img.affine, affine)
    assert img.header["descrip"].item() == b"stylefuse napari test"
    np.testing.assert_allclose(img.header.get_zooms(), (0.8, 0.9, 2.5))
    np.testing.assert_allclose(np.asarray(img.dataobj), voxels.astype(np.float32) * 0.5)

    again = layer.save(str(tmp_path / "same.nii"), plugin="stylefuse")  # the unchanged layer: exact copy
    copy = nibabel.load(again[0] if isinstance(again, list) else again)
    assert copy.get_data_dtype() == np.int16
    np.testing.assert_array_equal(np.asarray(copy.dataobj), voxels)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "fused.nii.gz",
        "same.nii",
        "scan.nii.gz",
    ]


def test_save_dicom_series_as_nifti_and_tiff(viewer, dicom_series, tmp_path):
    folder, expected, source = dicom_series
    layer = open_one(viewer, folder)
    saved = layer.save(str(tmp_path / "ct.nii.gz"), plugin="stylefuse")
    img = nibabel.load(saved[0] if isinstance(saved, list) else saved)
    np.testing.assert_array_equal(np.asarray(img.dataobj).transpose(2, 1, 0), expected)
    spacing = float(source.PixelSpacing[0])
    np.testing.assert_allclose(img.header.get_zooms(), (spacing, spacing, 2.5), rtol=1e-6)
    x, y, z = (float(v) for v in source.ImagePositionPatient)  # the first slice; axial, LPS -> RAS
    expected_affine = [[-spacing, 0, 0, -x], [0, -spacing, 0, -y], [0, 0, 2.5, z], [0, 0, 0, 1]]
    np.testing.assert_allclose(img.affine, expected_affine, rtol=1e-6, atol=1e-6)

    saved = layer.save(str(tmp_path / "ct.tif"), plugin="stylefuse")
    np.testing.assert_array_equal(tifffile.imread(saved[0] if isinstance(saved, list) else saved), expected)


def test_writer_refuses_what_it_cannot_write(viewer, tmp_path):
    from stylefuse_napari.files import write_layer

    with pytest.raises(ValueError, match="extensions"):
        write_layer(str(tmp_path / "a.png"), np.zeros((4, 4), np.uint8), {})
    with pytest.raises(ValueError, match="spatial axes"):
        write_layer(str(tmp_path / "a.nii"), np.zeros((2, 2, 4, 4), np.uint8), {})
    assert list(tmp_path.iterdir()) == []


def test_reader_declines_other_files(tmp_path):
    from stylefuse_napari.files import get_reader

    assert get_reader(str(tmp_path / "photo.jpg")) is None
    assert get_reader(str(tmp_path / "scan.nii.gz")) is not None
    assert get_reader(str(tmp_path)) is not None
