"""`--device` on `stylefuse export` and `stylefuse eval`, as a user types it: cpu works, and on a machine
without CUDA `--device cuda` is a one-line error (exit 2, no traceback) with nothing written; the
words are the ones stylize/fuse/train use (stylefuse.runner.device.resolve_device)."""

from __future__ import annotations

import json

import pytest
from cli_helpers import EXAMPLES, SHIPPED_FUSE, ok, run

A, B = EXAMPLES / "brain_t1.png", EXAMPLES / "brain_pd.png"


def _cuda_here() -> bool:
    import torch

    return torch.cuda.is_available()


def _one_line_error(res, *words: str) -> None:
    assert res.returncode == 2, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    err = res.stderr.strip()
    assert err.startswith("stylefuse: error:") and len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err


def test_eval_device_cpu_gives_the_same_scores(env):
    plain = json.loads(ok(run(["eval", A, A, B, "--json"], env)).stdout)
    on_cpu = json.loads(ok(run(["eval", A, A, B, "--json", "--device", "cpu"], env)).stdout)
    assert on_cpu == plain


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_eval_device_cuda_without_cuda_is_one_line(env, device):
    if _cuda_here():
        pytest.skip("CUDA is available here: the error path is for machines without it")
    _one_line_error(run(["eval", A, A, B, "--device", device], env), "CUDA is not available", "--device cpu")


def test_eval_unknown_device_is_one_line(env):
    _one_line_error(run(["eval", A, A, B, "--device", "tpu"], env), "unknown device", "cuda:N")


def test_export_device_cpu_copies_the_model(env, tmp_path):
    out = tmp_path / "m"
    res = ok(run(["export", SHIPPED_FUSE, "-o", out, "--device", "cpu"], env))
    assert str(out) in res.stdout
    assert sorted(p.name for p in out.iterdir()) == ["card.json", "model.pt"]


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_export_device_cuda_without_cuda_is_one_line_and_writes_nothing(env, tmp_path, device):
    if _cuda_here():
        pytest.skip("CUDA is available here: the error path is for machines without it")
    out = tmp_path / "m"
    res = run(["export", SHIPPED_FUSE, "-o", out, "--format", "onnx", "--device", device], env)
    _one_line_error(res, "CUDA is not available")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_export_device_is_not_for_the_triton_repository(env, tmp_path):
    res = run(["export", "--triton-repo", tmp_path / "repo", "--device", "cpu"], env)
    _one_line_error(res, "--device", "--profile")
    assert not (tmp_path / "repo").exists()


@pytest.mark.slow
def test_export_formats_checked_on_the_cpu(env, tmp_path):
    pytest.importorskip("onnxruntime", reason="install the export extra: pip install 'stylefuse[export]'")
    pytest.importorskip("onnxscript", reason="install the export extra: pip install 'stylefuse[export]'")
    out = tmp_path / "m"
    args = ["export", SHIPPED_FUSE, "-o", out, "--format", "export", "--device", "cpu"]
    res = ok(run(args, env, timeout=600))
    assert "checked on cpu" in res.stdout
    card = json.loads((out / "card.json").read_text())
    assert card["formats"]["export"]["parity_max_abs"] <= 1e-4
    assert "parity_device" not in card["formats"]["export"]  # CPU checks are the card's default
