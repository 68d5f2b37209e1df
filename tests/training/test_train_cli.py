"""`stylefuse train` end to end: real data, real steps, checkpoints, TensorBoard, resume, torchrun."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from training_signals import signal_when

pytestmark = pytest.mark.slow


def stylefuse_cmd() -> list[str]:
    return [sys.executable, "-m", "stylefuse.training.cli"]


def style_args(shared: Path, run_dir: Path, name: str, steps: int) -> list[str]:
    return [
        "--task",
        "style",
        "--name",
        name,
        "--style",
        str(shared / "styles" / "udnie.jpg"),
        "--content",
        str(shared / "fusion" / "TNO" / "vi"),
        "--steps",
        str(steps),
        "--crop",
        "64",
        "--batch",
        "2",
        "--run-dir",
        str(run_dir),
        "--checkpoint-every",
        "50",
        "--val-every",
        "100",
        "--threads",
        "2",
    ]


def fuse_args(shared: Path, run_dir: Path, name: str, steps: int) -> list[str]:
    mp = shared / "fusion" / "MRI_PET"
    return [
        "--task",
        "fuse",
        "--name",
        name,
        "--pairs",
        f"{mp / 'MRI'}:{mp / 'PET'}",
        "--split",
        "first-half",
        "--steps",
        str(steps),
        "--crop",
        "64",
        "--batch",
        "4",
        "--run-dir",
        str(run_dir),
        "--checkpoint-every",
        "50",
        "--val-every",
        "100",
        "--threads",
        "2",
    ]


def run(args, env, timeout=1800):
    return subprocess.run(stylefuse_cmd() + args, env=env, capture_output=True, text=True, timeout=timeout)


def assert_run_outputs(run_dir: Path, models: Path, name: str, task: str, steps: int) -> None:
    assert list((run_dir / "tb").glob("events.out.tfevents.*")), "no TensorBoard events written"
    last = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert last["step"] == steps
    assert (run_dir / "checkpoints" / f"step_{steps:06d}.pt").is_file()
    assert json.loads((run_dir / "config.json").read_text())["steps"] == steps
    card = json.loads((models / name / "card.json").read_text())
    assert card["task"] == task and card["training"]["steps"] == steps
    assert card["training"]["command"].startswith("stylefuse ")


def test_train_style_200_steps(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    proc = run(style_args(shared_data, run_dir, "udnie-test", 200), train_env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    models = Path(train_env["STYLEFUSE_MODELS"])
    assert_run_outputs(run_dir, models, "udnie-test", "style", 200)
    # The trained model is usable at once, without a reference (single-style model).
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import numpy as np; from stylefuse.registry import load_model; m = load_model('udnie-test');"
            "import torch; x = torch.rand(1, 3, 40, 52); y = m.module(x); assert y.shape == x.shape;"
            "assert m.card['has_default_style']; print('ok')",
        ],
        env=train_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0 and "ok" in check.stdout, check.stderr[-2000:]


def test_train_fuse_200_steps_improves(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    proc = run(fuse_args(shared_data, run_dir, "fuse-test", 200), train_env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_run_outputs(run_dir, Path(train_env["STYLEFUSE_MODELS"]), "fuse-test", "fuse", 200)


def _latest_step(run_dir: Path) -> int:
    steps = [int(p.stem.split("_")[1]) for p in (run_dir / "checkpoints").glob("step_*.pt")]
    return max(steps, default=0)


def _generator_state(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["generator"]


def test_interrupted_and_resumed_run_matches_uninterrupted(shared_data, train_env, tmp_path):
    steps = 200
    full_dir, cut_dir = tmp_path / "full", tmp_path / "cut"
    base = ["--deterministic", "--seed", "7"]
    full = run(fuse_args(shared_data, full_dir, "full", steps) + base, train_env)
    assert full.returncode == 0, full.stderr[-2000:]

    args = fuse_args(shared_data, cut_dir, "cut", steps) + base + ["--checkpoint-every", "10"]
    returncode, err = signal_when(
        stylefuse_cmd() + args,
        train_env,
        lambda: _latest_step(cut_dir) >= 90,
        signal.SIGINT,
        "reached step 90",
    )
    assert returncode == 130, err[-2000:]
    assert "interrupted at step" in err and "--resume" in err
    stopped = torch.load(cut_dir / "checkpoints" / "last.pt", weights_only=True)["step"]
    assert 90 <= stopped < steps

    resumed = run(args + ["--resume"], train_env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = _generator_state(full_dir), _generator_state(cut_dir)
    worst = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
    assert worst <= 1e-6, f"resumed weights differ by {worst}"


def test_torchrun_two_processes(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "stylefuse.training.cli",
    ] + fuse_args(shared_data, run_dir, "ddp-test", 20)
    cmd[cmd.index("--threads") + 1] = "1"
    proc = subprocess.run(cmd, env=train_env, capture_output=True, text=True, timeout=600)
    # Both ends of stderr: a rank's own message comes first, torchrun's summary last.
    assert proc.returncode == 0, proc.stderr[:3000] + "\n...\n" + proc.stderr[-3000:]
    # Only rank 0 writes: one events file, one model.
    assert len(list((run_dir / "tb").glob("events.out.tfevents.*"))) == 1
    card = json.loads((Path(train_env["STYLEFUSE_MODELS"]) / "ddp-test" / "card.json").read_text())
    assert card["training"]["world_size"] == 2 and card["training"]["steps"] == 20


def test_bad_training_arguments_are_clear(train_env, tmp_path):
    proc = run(["--task", "style", "--name", "x", "--steps", "5"], train_env)
    assert proc.returncode == 2 and "--style" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(["--task", "fuse", "--name", "../evil", "--pairs", "a:b"], train_env)
    assert proc.returncode == 2 and "invalid model name" in proc.stderr
    proc = run(["--task", "fuse", "--name", "x", "--pairs", f"{tmp_path}/nope:{tmp_path}/nope2"], train_env)
    assert proc.returncode == 2 and "nope" in proc.stderr and "Traceback" not in proc.stderr
    for flags, said in (
        (["--exposure-ramp", "0.5,0.2"], "--exposure-ramp needs 0 <= LO < HI <= 1"),
        (["--exposure-ramp", "half"], "--exposure-ramp expects LO,HI"),
        (["--scd-weight", "-1"], "--scd-weight must be >= 0"),
    ):
        proc = run(
            ["--task", "fuse", "--name", "x", "--pairs", "a:b", "--fusion-arch", "focus", *flags], train_env
        )
        assert proc.returncode == 2 and said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
