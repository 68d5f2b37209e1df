"""Helpers shared by the tests/unit/test_io_*.py modules (stylefuse.io round trips and errors)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from stylefuse.io import ImageFileError, read_image


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def smooth(shape, dtype, seed=0) -> np.ndarray:
    """Waves plus a little noise over the dtype's range (compressible; exercises every PNG filter)."""
    rng = np.random.default_rng(seed)
    waves = sum(np.cos(0.15 * (k + 1) * axis) for k, axis in enumerate(np.indices(shape, dtype=np.float64)))
    field = np.clip(0.5 + 0.4 * waves / len(shape) + 0.03 * rng.standard_normal(shape), 0, 1)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return (info.min + field * (float(info.max) - info.min)).round().astype(dtype)
    return field.astype(dtype)


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def expect_error(path: Path, *words: str, call=None) -> ImageFileError:
    """Assert read_image (or ``call``) fails with a one-line message naming ``path`` and ``words``,
    and that the file's bytes are unchanged."""
    before = sha256(path) if Path(path).is_file() else None
    with pytest.raises(ImageFileError) as info:
        (call or read_image)(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message.lower(), message
    if before is not None:
        assert sha256(path) == before
    return info.value
