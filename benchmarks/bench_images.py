"""Image helpers shared by the quality benchmark's sections: loading 8-bit images, long-side resizing,
RGB conversion and the scikit-image photos (benchmarks/ is not a package; imported by name)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from stylefuse.io import read_image


def squeeze_grey(img: np.ndarray) -> np.ndarray:
    """The shared PNGs store grey images as R = G = B; hand those over as grey (H, W)."""
    if (
        img.ndim == 3
        and img.shape[2] >= 3
        and (img[..., 0] == img[..., 1]).all()
        and (img[..., 1] == img[..., 2]).all()
    ):
        return img[..., 0]
    return img[..., :3] if img.ndim == 3 else img


def load_u8(path: Path) -> np.ndarray:
    arr = read_image(path).array
    if arr.dtype != np.uint8:
        raise ValueError(f"{path}: expected 8-bit pixels, got {arr.dtype}")
    return squeeze_grey(arr)


def resize_long(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = side / max(h, w)
    if abs(scale - 1.0) < 1e-9:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.LANCZOS))


def rgb(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    return np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else img[..., :3]


def as_rgb_u8(img: np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 (grey repeated to R = G = B, alpha dropped); anything but uint8 is a TypeError."""
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise TypeError(f"expected uint8 images, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=-1)
    return arr[..., :3]


def fit_to(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    out = rgb(out)
    if out.shape[:2] != like.shape[:2]:
        out = np.asarray(Image.fromarray(out).resize((like.shape[1], like.shape[0]), Image.LANCZOS))
    return out


def skimage_photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity)
        img = img[0]
    return np.asarray(img)
