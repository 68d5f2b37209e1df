"""stylefuse.io, TIFF: round trips for every dtype, pages and hyperstacks, resolution, LZW."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from io_helpers import smooth
from PIL import Image

from stylefuse.io import (
    read_image,
    write_image,
)


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
