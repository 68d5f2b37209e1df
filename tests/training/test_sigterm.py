"""SIGTERM (what schedulers and `kill` send) checkpoints a training run like Ctrl-C does, and
--resume finishes it."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from training_signals import signal_when

pytestmark = pytest.mark.slow


def test_sigterm_checkpoints_and_resume_finishes(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    ct = shared_data / "fusion" / "MRI_CT"
    args = [
        sys.executable,
        "-m",
        "stylefuse.training.cli",
        "--task",
        "fuse",
        "--name",
        "term-test",
        "--pairs",
        f"{ct / 'MRI'}:{ct / 'CT'}",
        "--steps",
        "400",
        "--crop",
        "32",
        "--batch",
        "2",
        "--checkpoint-every",
        "5",
        "--run-dir",
        str(run_dir),
        "--threads",
        "1",
    ]
    returncode, err = signal_when(
        args,
        train_env,
        lambda: bool(list((run_dir / "checkpoints").glob("step_*.pt"))),
        signal.SIGTERM,
        "wrote a checkpoint",
    )
    assert returncode == 130, err[-2000:]
    assert "interrupted at step" in err and "--resume" in err
    stopped = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["step"]
    assert 5 <= stopped < 400
    assert not (Path(train_env["STYLEFUSE_MODELS"]) / "term-test").exists(), "no model from a cut run"

    resumed = subprocess.run(args + ["--resume"], env=train_env, capture_output=True, text=True, timeout=1200)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    card = json.loads((Path(train_env["STYLEFUSE_MODELS"]) / "term-test" / "card.json").read_text())
    assert card["training"]["steps"] == 400
