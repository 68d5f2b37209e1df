"""Helpers shared by the tests/cli modules that run the `stylefuse` console script (test_cli*.py)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent / "stylefuse"
SHIPPED_STYLE, SHIPPED_FUSE = "udnie", "fuse-medical"
EXAMPLES = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "examples"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(args, env, cwd=None, timeout=240) -> subprocess.CompletedProcess:
    assert BIN.is_file(), f"console script {BIN} missing: install the project (pip install -e .)"
    return subprocess.run(
        [str(BIN), *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    return res


def read(path):
    from stylefuse.io import read_image

    return read_image(path)


def smooth_image(h, w, c=None, dtype=np.uint8, seed=0):
    """A smooth random picture (gradients + blobs), scaled to the dtype's range."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    chans = []
    for k in range(c or 1):
        f = 0.5 + 0.25 * np.sin(6 * xx + k) * np.cos(5 * yy - k) + 0.1 * rng.standard_normal((h, w))
        chans.append(np.clip(f, 0, 1))
    img = np.stack(chans, -1) if c else chans[0]
    top = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    return (img * top).round().astype(dtype) if np.issubdtype(dtype, np.integer) else img.astype(dtype)


def run_on_terminal(args: list[str], env: dict, timeout: float = 240) -> tuple[int, str]:
    """Run `stylefuse ARGS` with stderr on a pseudo-terminal (100 columns), as a user at a terminal
    sees it (progress bars draw only there); returns (exit code, what the terminal showed)."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import threading

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            [str(BIN), *args], env=env, stdout=subprocess.PIPE, stderr=slave, timeout=timeout
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")
