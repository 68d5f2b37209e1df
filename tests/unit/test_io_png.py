"""stylefuse.io, PNG: round trips for every channel count and bit depth, independent coders, metadata."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from io_helpers import files_in, smooth
from PIL import Image

from stylefuse.io import (
    _png,
    read_image,
    write_image,
)


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
