"""`stylefuse export MODEL -o DIR --format ...` as a user runs it: the folder gets the ONNX and
torch.export files beside the TorchScript, the card and `stylefuse models` list them, the shipped
model is untouched, and mistakes are one-line errors with nothing written."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime", reason="install the export extra: pip install 'stylefuse[export]'")
pytest.importorskip("onnxscript", reason="install the export extra: pip install 'stylefuse[export]'")

BIN = Path(sys.executable).parent / "stylefuse"
SHIPPED = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "shipped_models"


def _run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *map(str, args)], env=env, capture_output=True, text=True, timeout=600)


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_export_onnx_and_torch_export_into_the_user_models(tmp_path):
    env = dict(os.environ, STYLEFUSE_MODELS=str(tmp_path / "models"))
    before = _digest(SHIPPED / "fuse-medical")
    out = tmp_path / "models" / "my-fuse"
    out.parent.mkdir()
    res = _run(["export", "fuse-medical", "-o", out, "--format", "onnx", "--format", "export"], env)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and "model.onnx + model.pt2" in res.stdout
    assert sorted(p.name for p in out.iterdir()) == ["card.json", "model.onnx", "model.pt", "model.pt2"]
    card = json.loads((out / "card.json").read_text())
    assert list(card["formats"]) == ["torchscript", "onnx", "export"]
    assert card["formats"]["onnx"]["parity_max_abs"] <= 1e-4
    assert card["formats"]["export"]["parity_max_abs"] <= 1e-4
    assert _digest(SHIPPED / "fuse-medical") == before
    listing = json.loads(_run(["models", "--json"], env).stdout)
    mine = next(m for m in listing if m["name"] == "my-fuse")
    assert mine["formats"] == ["torchscript", "onnx", "export"] and mine["origin"] == "user"
    shipped = next(m for m in listing if m["name"] == "fuse-medical")
    assert shipped["formats"] == ["torchscript"]
    table = _run(["models"], env).stdout
    assert "formats" in table and "torchscript,onnx,export" in table


@pytest.mark.parametrize(
    "args, words",
    [
        (["--format", "tflite"], ["unknown format", "tflite"]),
        (["--format", ""], ["unknown format"]),
    ],
)
def test_export_format_mistakes_are_one_line(tmp_path, args, words):
    env = dict(os.environ, STYLEFUSE_MODELS=str(tmp_path / "models"))
    res = _run(["export", "fuse-medical", "-o", tmp_path / "m", *args], env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert all(w in res.stderr for w in words)
    assert not (tmp_path / "m").exists()


def test_format_is_not_for_the_triton_repository(tmp_path):
    res = _run(["export", "--triton-repo", tmp_path / "repo", "--format", "onnx"], dict(os.environ))
    assert res.returncode == 2 and "--generator-format" in res.stderr
    assert not (tmp_path / "repo").exists()
