"""Fixtures for the CLI tests: a fresh $STYLEFUSE_MODELS and small input files of every family, once per module."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from cli_helpers import smooth_image


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    e = dict(os.environ)
    e["STYLEFUSE_MODELS"] = str(tmp_path_factory.mktemp("user-models"))
    e.pop("PYTHONWARNINGS", None)
    return e


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """Small input files of every family, written with the format libraries themselves."""
    import nibabel as nib
    import pydicom
    import tifffile
    from PIL import Image
    from pydicom.data import get_testdata_file

    from stylefuse.io import write_image

    d = tmp_path_factory.mktemp("inputs")
    f = {}
    f["rgb8"] = d / "rgb8.png"
    Image.fromarray(smooth_image(40, 56, 3)).save(f["rgb8"])
    f["rgb16"] = d / "rgb16.png"  # Pillow cannot write 16-bit RGB PNGs
    write_image(f["rgb16"], smooth_image(40, 56, 3, np.uint16, seed=1))
    f["grey16"] = d / "grey16.png"
    Image.fromarray(smooth_image(40, 56, None, np.uint16, seed=2)).save(f["grey16"])
    f["jpeg"] = d / "photo.jpg"
    Image.fromarray(smooth_image(64, 96, 3, seed=3)).save(f["jpeg"], quality=90)
    f["stack"] = d / "stack.tif"
    tifffile.imwrite(
        f["stack"],
        np.stack([smooth_image(32, 40, None, np.uint16, seed=s) for s in range(3)]),
        photometric="minisblack",
    )
    f["grey_a"] = d / "grey_a.png"
    Image.fromarray(smooth_image(40, 56, None, seed=4)).save(f["grey_a"])
    f["grey_b"] = d / "grey_b.png"
    Image.fromarray(smooth_image(40, 56, None, seed=5)).save(f["grey_b"])
    f["grey_small"] = d / "grey_small.png"
    Image.fromarray(smooth_image(30, 30, None, seed=6)).save(f["grey_small"])
    f["mask"] = d / "mask.png"
    Image.fromarray((np.linspace(0, 255, 56)[None, :].repeat(40, 0)).astype(np.uint8)).save(f["mask"])
    f["mask_jpeg"] = d / "mask_jpeg.png"
    Image.fromarray((np.linspace(0, 255, 96)[None, :].repeat(64, 0)).astype(np.uint8)).save(f["mask_jpeg"])
    f["mask_small"] = d / "mask_small.png"
    Image.fromarray(np.full((20, 20), 255, np.uint8)).save(f["mask_small"])
    f["corrupt"] = d / "corrupt.png"
    f["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not a png" * 20)

    affine = np.array([[0.9, 0, 0, -40.0], [0, 0.8, 0, -30.0], [0, 0, 2.5, 12.0], [0, 0, 0, 1]])
    for key, seed in (("nii_a", 7), ("nii_b", 8)):
        vol = np.stack([smooth_image(28, 24, None, np.uint16, seed=seed + s) // 64 for s in range(4)], -1)
        f[key] = d / f"{key}.nii.gz"
        nib.save(nib.Nifti1Image(vol.astype(np.int16), affine), f[key])
    f["affine"] = affine

    f["dcm_a"] = d / "ct_a.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), f["dcm_a"])
    ds = pydicom.dcmread(f["dcm_a"])
    ds.PixelData = np.ascontiguousarray(ds.pixel_array[::-1]).tobytes()  # a second, different "modality"
    f["dcm_b"] = d / "ct_b.dcm"
    ds.save_as(f["dcm_b"])
    return f
