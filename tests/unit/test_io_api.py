"""stylefuse.io: format names from paths, the supported extensions, ImageData and layout inference."""

from __future__ import annotations

import numpy as np
import pytest
from io_helpers import smooth

from stylefuse.io import (
    SUPPORTED_READ_EXTENSIONS,
    SUPPORTED_WRITE_EXTENSIONS,
    ImageData,
    ImageFileError,
    format_from_path,
    read_image,
    write_image,
)


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
