"""stylefuse.io, JPEG: round trips and EXIF orientation."""

from __future__ import annotations

import numpy as np
import pytest
from io_helpers import smooth
from PIL import Image

from stylefuse.io import (
    read_image,
    write_image,
)


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
