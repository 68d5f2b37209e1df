"""`stylefuse train --device/--amp`: where training runs, what is recorded, checkpoints across devices."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from stylefuse.training import checkpoint as checkpoint_module
from stylefuse.training.config import TrainConfig
from stylefuse.training.loop import train


def tiny_args(shared: Path, run_dir: Path, name: str, steps: int = 2) -> list[str]:
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
        "32",
        "--batch",
        "1",
        "--widths",
        "4,8",
        "--n-res",
        "1",
        "--run-dir",
        str(run_dir),
        "--checkpoint-every",
        "1",
        "--val-every",
        "100",
        "--threads",
        "1",
    ]


def run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "stylefuse.training.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def all_tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from all_tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from all_tensors(v)


def test_train_on_cpu_records_the_device(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    proc = run([*tiny_args(shared_data, run_dir, "dev-cpu"), "--device", "cpu"], train_env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((run_dir / "config.json").read_text())["device"] == "cpu"
    card = json.loads((Path(train_env["STYLEFUSE_MODELS"]) / "dev-cpu" / "card.json").read_text())
    assert card["training"]["device"] == "cpu" and card["training"]["amp"] is False
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 2 and state["device"] == "cpu"
    assert {t.device.type for t in all_tensors(state)} == {"cpu"}  # device-neutral
    # The exported TorchScript loads on the CPU and runs.
    module = torch.jit.load(
        str(next((Path(train_env["STYLEFUSE_MODELS"]) / "dev-cpu").glob("*.pt"))), map_location="cpu"
    )
    assert module is not None


def _assert_one_line_refusal(proc, run_dir: Path, env: dict, *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert not run_dir.exists(), "a refused run wrote its run folder"
    assert not (Path(env["STYLEFUSE_MODELS"]) / "dev-refused").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal where CUDA is absent")
def test_cuda_without_cuda_is_one_line_and_writes_nothing(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    proc = run([*tiny_args(shared_data, run_dir, "dev-refused"), "--device", "cuda"], train_env)
    _assert_one_line_refusal(proc, run_dir, train_env, "cuda", "CUDA is not available")


def test_unknown_device_is_one_line(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    proc = run([*tiny_args(shared_data, run_dir, "dev-refused"), "--device", "tpu"], train_env)
    _assert_one_line_refusal(proc, run_dir, train_env, "unknown device")


def test_amp_on_cpu_is_a_one_line_error(shared_data, train_env, tmp_path):
    # Chosen behaviour: --amp is CUDA mixed precision; asked for on the CPU it is refused, not ignored.
    run_dir = tmp_path / "run"
    proc = run([*tiny_args(shared_data, run_dir, "dev-refused"), "--device", "cpu", "--amp"], train_env)
    _assert_one_line_refusal(proc, run_dir, train_env, "--amp", "CUDA")


def test_resume_loads_the_checkpoint_onto_this_runs_device(shared_data, tmp_path, monkeypatch):
    cfg = TrainConfig(
        task="style",
        name="dev-resume",
        style=[str(shared_data / "styles" / "udnie.jpg")],
        content=[str(shared_data / "fusion" / "TNO" / "vi")],
        steps=2,
        crop=32,
        batch=1,
        widths="4,8",
        n_res=1,
        checkpoint_every=1,
        val_every=100,
        threads=1,
        device="cpu",
        run_dir=str(tmp_path / "run"),
        out_dir=str(tmp_path / "model"),
    )
    train(cfg)
    seen = []
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("map_location"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(checkpoint_module.torch, "load", spy)
    cfg.steps = 3
    train(cfg, resume=True)
    assert seen and seen[0] == torch.device("cpu")
    assert real_load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)["step"] == 3


def test_load_checkpoint_maps_onto_the_target_device(tmp_path, monkeypatch):
    """A checkpoint written on one device comes back on whichever device resumes (map_location)."""
    path = tmp_path / "last.pt"
    checkpoint_module.save_checkpoint(
        path, {"w": torch.ones(2), "opt": {"state": {0: {"exp_avg": torch.zeros(2)}}}}
    )
    seen = []
    real_load = torch.load

    def spy(f, *args, map_location=None, **kwargs):
        seen.append(map_location)
        return real_load(f, *args, map_location="cpu", **kwargs)  # this machine has only the CPU

    monkeypatch.setattr(checkpoint_module.torch, "load", spy)
    state = checkpoint_module.load_checkpoint(path, torch.device("cuda", 1))
    assert seen == [torch.device("cuda", 1)]
    assert torch.equal(state["w"], torch.ones(2))


def test_cuda_choices_become_an_indexed_device_and_torchrun_ranks_use_local_rank(monkeypatch):
    """What a GPU machine would give, simulated: resolve_device says CUDA, the machine has 2 GPUs."""
    from stylefuse.errors import UserError
    from stylefuse.runner.device import resolve_device
    from stylefuse.training import device as device_module

    monkeypatch.setattr(
        device_module,
        "resolve_device",
        lambda d: torch.device("cuda") if d in ("auto", "cuda") else resolve_device(d),
    )
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert device_module.training_device("auto") == torch.device("cuda", 0)  # an index for set_device/DDP
    assert device_module.training_device("cuda", local_rank=1) == torch.device("cuda", 1)
    assert device_module.training_device("cpu", local_rank=1) == torch.device("cpu")
    with pytest.raises(UserError, match="LOCAL_RANK 2"):
        device_module.training_device("auto", local_rank=2)
