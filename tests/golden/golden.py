"""Golden outputs: sha256 of what each entry point returns for fixed inputs, compared bit for bit.

The hashes live in `expected.json` beside this file. They were recorded with one torch build on one
CPU kind (oneDNN picks kernels by CPU capability, which can change the last bits of a float), so on
another platform the tests skip and say how to record that platform's hashes:

    STYLEFUSE_GOLDEN_UPDATE=1 python -m pytest tests/golden      # or: python tests/golden/regenerate.py

Recording writes the hashes of the tests that ran into expected.json (others are kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

EXPECTED = Path(__file__).with_name("expected.json")
UPDATE = os.environ.get("STYLEFUSE_GOLDEN_UPDATE") == "1"
_LOCK = threading.Lock()


def digest(array: np.ndarray) -> str:
    """sha256 of dtype, shape and the C-order bytes: a different dtype or shape is a different hash."""
    array = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{array.dtype.str}|{array.shape}|".encode())
    h.update(array.tobytes())
    return h.hexdigest()


def platform() -> str:
    import torch

    return f"torch {torch.__version__} / {torch.backends.cpu.get_cpu_capability()}"


def _load() -> dict:
    return json.loads(EXPECTED.read_text()) if EXPECTED.is_file() else {"platform": None, "hashes": {}}


def check(name: str, array: np.ndarray) -> None:
    """Compare `array` with the recorded hash `name` (or record it when STYLEFUSE_GOLDEN_UPDATE=1)."""
    got = digest(array)
    with _LOCK:
        data = _load()
        if UPDATE:
            if data.get("platform") != platform():
                data = {"platform": platform(), "hashes": {}}
            data["hashes"][name] = got
            EXPECTED.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
            return
    if data.get("platform") != platform():
        pytest.skip(
            f"golden hashes were recorded on {data.get('platform')}, this is {platform()}; "
            "record them here with STYLEFUSE_GOLDEN_UPDATE=1"
        )
    want = data["hashes"].get(name)
    assert want is not None, f"no golden hash for {name!r}; record it with STYLEFUSE_GOLDEN_UPDATE=1"
    assert got == want, (
        f"{name}: output changed (sha256 {got[:16]}..., recorded {want[:16]}...; {array.dtype} {array.shape})"
    )


# ------------------------------------------------------------------------- deterministic inputs
def examples() -> Path:
    import stylefuse

    return Path(stylefuse.__file__).resolve().parent / "examples"


def uint16_stack(z: int = 4, h: int = 40, w: int = 44) -> np.ndarray:
    """12-bit data in uint16: gradients, a disc that moves from slice to slice, fixed noise."""
    rng = np.random.default_rng(18)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    stack = np.empty((z, h, w), np.uint16)
    for k in range(z):
        disc = (y - h * (0.3 + 0.1 * k)) ** 2 + (x - w * 0.5) ** 2 < (0.25 * min(h, w)) ** 2
        plane = 600 + 2400 * x / (w - 1) + 800 * disc + rng.normal(0, 40, (h, w))
        stack[k] = np.clip(np.round(plane), 0, 4095).astype(np.uint16)
    return stack


def int16_stacks(z: int = 3, h: int = 36, w: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A CT-like int16 stack (Hounsfield units) and a second modality of the same scene."""
    rng = np.random.default_rng(180)
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(y - h / 2, x - w / 2) / (min(h, w) / 2)
    ct = np.full((z, h, w), -1000, np.int16)
    other = np.full((z, h, w), -200, np.int16)
    for k in range(z):
        body = r < 0.8 - 0.03 * k
        ct[k][body] = 40 + 5 * k
        ct[k][(r > 0.6) & body] = 1200
        other[k][body] = 300 - 200 * r[body] + 30 * k
    ct = (ct + rng.integers(-20, 20, ct.shape)).astype(np.int16)
    other = (other + rng.integers(-15, 15, other.shape)).astype(np.int16)
    return ct, other
