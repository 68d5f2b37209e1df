"""Peak memory of one pipeline call, measured in a fresh process (speed.py's RSS rows).

    .venv/bin/python benchmarks/speed_rss.py volume-style|volume-fuse|image [--threads N] [--quick]

prints one JSON line: the peak RSS (VmHWM) during the call minus the RSS just before it, after
imports, model load, a 64x64 warm-up call and input creation (see speed.py's docstring).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def volume(slices: int, side: int, dtype=np.int16, seed: int = 0) -> np.ndarray:
    """A CT-like int16 stack in Hounsfield units (-1024..2000)."""
    rng = np.random.default_rng(seed)
    return rng.integers(-1024, 2000, (slices, side, side), dtype=dtype)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def rss_probe(case: str, threads: int, quick: bool = False) -> dict:
    """Runs in a fresh process: peak RSS above idle (MiB) of one pipeline call on `case`."""
    import torch

    torch.set_num_threads(threads)
    depth, image_side = (30, 1024) if quick else (300, 8192)
    from stylefuse.pipeline import fuse, stylize
    from stylefuse.registry import default_model_name, load_model

    task = "fuse" if case == "volume-fuse" else "style"
    model = load_model(default_model_name(task), task)
    if task == "fuse":
        warm = np.zeros((64, 64), np.uint8)
        fuse(warm, warm, model=model)
        a, b = volume(depth, 512, seed=1), volume(depth, 512, seed=2)
        run = lambda: fuse(a, b, model=model)  # noqa: E731
    elif case == "volume-style":
        stylize(np.zeros((64, 64), np.uint8), model=model)
        x = volume(depth, 512)
        run = lambda: stylize(x, model=model)  # noqa: E731
    else:
        stylize(np.zeros((64, 64, 3), np.uint8), model=model)
        x = np.random.default_rng(0).integers(0, 256, (image_side, image_side, 3), dtype=np.uint8)
        run = lambda: stylize(x, model=model)  # noqa: E731
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    idle = _status_kib("VmRSS")
    t0 = time.perf_counter()
    out = run()
    seconds = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    del out
    return {
        "case": case,
        "model": model.name,
        "idle_mib": idle / 1024,
        "peak_mib": peak / 1024,
        "above_idle_mib": (peak - idle) / 1024,
        "seconds": seconds,
        "hwm_reset": reset,
    }


def measure_rss(case: str, threads: int, quick: bool) -> dict:
    cmd = [sys.executable, __file__, case, "--threads", str(threads)] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"rss probe {case} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=("volume-style", "volume-fuse", "image"), help="what to measure")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--quick", action="store_true", help="small inputs")
    args = ap.parse_args()
    print(json.dumps(rss_probe(args.case, args.threads, args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
