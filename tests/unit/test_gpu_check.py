"""benchmarks/gpu_check.sh on a machine without a CUDA device: one clear line, exit code 2, nothing
run or written. (The check itself needs a GPU; the tests and CI never do.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.sh"


def test_refuses_clearly_without_cuda(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is here: run benchmarks/gpu_check.sh itself")
    out = tmp_path / "check"
    env = dict(os.environ, PYTHON=sys.executable)
    res = subprocess.run(
        ["bash", str(SCRIPT), str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check: no CUDA device"), res.stderr
    assert "nothing was run" in lines[0] and "Traceback" not in res.stderr and not res.stdout.strip()
    assert not out.exists()


def test_refuses_a_device_that_is_not_cuda(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, GPU_CHECK_DEVICE="cpu")
    res = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "c")], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 2 and "gpu_check: no CUDA device" in res.stderr
    assert not (tmp_path / "c").exists()
