"""Shared helpers of the bad-input tests (test_bad_inputs_pipeline.py, test_bad_inputs_cli.py):
hashes that prove an input was left alone, tiny test images, and the "still works" check."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from stylefuse.pipeline import stylize

SHIPPED = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "shipped_models"


def array_hash(array) -> str:
    """sha256 of an array's bytes, shape and dtype (object arrays: their repr)."""
    a = np.asarray(array)
    # A broadcast view (stride 0) holds its data once: hash that, never the gigapixels it pretends to be.
    data_view = a[tuple(slice(0, 1) if st == 0 else slice(None) for st in a.strides)] if a.ndim else a
    data = repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(data_view).tobytes()
    return hashlib.sha256(data + repr((a.shape, a.dtype.str)).encode()).hexdigest()


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rgb8(h=12, w=16, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def grey(h=12, w=16, seed=1, dtype=np.uint8) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w)) * 200).astype(dtype)


def still_works(style_model):
    """The process is alive and the pipeline still answers after the refused call."""
    out = stylize(rgb8(8, 8), model=style_model)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
