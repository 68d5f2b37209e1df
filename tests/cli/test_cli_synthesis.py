"""`stylefuse stylize --method synthesis`, run for real in a subprocess."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BIN = Path(sys.executable).parent / "stylefuse"
EXAMPLES = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "examples"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(*args) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([str(BIN), *map(str, args)], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    photo = np.asarray(Image.open(EXAMPLES / "chelsea.png").convert("RGBA").resize((90, 60)))
    photo = photo.copy()
    photo[..., 3] = np.linspace(0, 255, 90, dtype=np.uint8)[None, :]  # a real alpha ramp
    Image.fromarray(photo).save(d / "photo.png")
    Image.open(EXAMPLES / "udnie.jpg").resize((96, 96)).save(d / "painting.png")
    return d


def test_synthesis_writes_a_painted_image_and_keeps_the_input(files):
    before = sha256(files / "photo.png")
    res = run(
        "stylize",
        files / "photo.png",
        "--style",
        files / "painting.png",
        "--method",
        "synthesis",
        "--synthesis-size",
        "64",
        "-o",
        files / "out.png",
    )
    assert res.returncode == 0, res.stderr
    assert sha256(files / "photo.png") == before
    src = np.asarray(Image.open(files / "photo.png"))
    out = np.asarray(Image.open(files / "out.png"))
    assert out.shape == src.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 3], src[..., 3])  # alpha passed through
    assert np.abs(out[..., :3].astype(int) - src[..., :3]).mean() > 5  # painted, not copied

    from stylefuse.pipeline import stylize

    painting = np.asarray(Image.open(files / "painting.png").convert("RGB"))
    expected = stylize(src, reference=painting, method="synthesis", synthesis_size=64)
    assert np.abs(out.astype(int) - expected).max() <= 1  # the CLI is the pipeline


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "give it with --style IMAGE"),
        (["--style", "{painting}", "--model", "udnie"], "uses no model"),
        (["--style", "{painting}", "--synthesis-size", "8"], "synthesis size"),
    ],
)
def test_synthesis_mistakes_are_one_line_errors(files, extra, message):
    before = sha256(files / "photo.png")
    extra = [str(a).format(painting=files / "painting.png") for a in extra]
    res = run("stylize", files / "photo.png", "--method", "synthesis", *extra, "-o", files / "bad.png")
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert sha256(files / "photo.png") == before
    assert not (files / "bad.png").exists()
