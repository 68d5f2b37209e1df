"""stylefuse.io, NIfTI: volumes with their affine and header, scaling, 2-D and RGB images."""

from __future__ import annotations

import numpy as np
import pytest
from io_helpers import sha256, smooth

from stylefuse.io import (
    read_image,
    write_image,
)

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
