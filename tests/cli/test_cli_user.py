"""The CLI as a user meets it: help on every flag, -q/-v on every command, batch mode with a bad file.

Batch runs go through the real console script in a subprocess; the parser checks walk the parser.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent / "stylefuse"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    e = dict(os.environ)
    e["STYLEFUSE_MODELS"] = str(tmp_path_factory.mktemp("user-models"))
    e.pop("PYTHONWARNINGS", None)
    return e


def run(args, env, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout
    )


def picture(path: Path, seed: int, h: int = 36, w: int = 44, channels: int | None = 3) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.5 + 0.3 * np.sin(5 * xx + seed) * np.cos(4 * yy)
    img = np.stack([base + 0.05 * rng.standard_normal((h, w)) for _ in range(channels or 1)], -1)
    img = np.clip(img if channels else img[..., 0], 0, 1)
    Image.fromarray((img * 255).round().astype(np.uint8)).save(path)
    return path


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    from stylefuse.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **sub.choices}


# --------------------------------------------------------------------------------------- the parser


def test_every_flag_of_every_command_has_help():
    missing = []
    for name, parser in command_parsers().items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(
                    f"stylefuse {name} {'/'.join(action.option_strings) or action.dest}".replace("  ", " ")
                )
    assert not missing, "flags without help text: " + ", ".join(missing)


def test_quiet_and_verbose_on_every_command():
    for name, parser in command_parsers().items():
        flags = {s for a in parser._actions for s in a.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose"} <= flags, f"stylefuse {name or '(main)'} lacks -q/-v"


def test_quiet_before_or_after_the_command_and_verbose_notes(env, tmp_path):
    src = picture(tmp_path / "in.png", 1)
    res = run(["stylize", "-q", src, "-o", tmp_path / "a.png"], env)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    res = run(["-q", "stylize", src, "-o", tmp_path / "b.png"], env)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    res = run(["stylize", "-v", src, "-o", tmp_path / "c.png"], env)
    assert res.returncode == 0 and "style model udnie" in res.stderr, res.stderr
    assert run(["train", "-q", "--help"], env).returncode == 0


def test_models_server_unreachable_is_one_line(env):
    res = run(["models", "--server", "http://127.0.0.1:9"], env, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("stylefuse: error: ")


# --------------------------------------------------------------------------------------------- batch


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    picture(d / "one.png", 1)
    picture(d / "three.png", 3, 40, 30)
    (d / "two.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not a png at all" * 20)  # the bad file
    (d / "notes.txt").write_text("not an image, not counted\n")
    return d


def test_stylize_folder_keeps_going_past_a_bad_file(folder, env, tmp_path):
    before = {p.name: sha256(p) for p in folder.iterdir()}
    out = tmp_path / "styled"
    res = run(["stylize", folder, "--style", "udnie", "-o", out], env)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["one.png", "three.png"]
    assert "two.png" in res.stderr and "2 of 3 written" in res.stderr and "1 failed" in res.stderr
    for name in ("one.png", "three.png"):
        assert str(out / name) in res.stdout
    from stylefuse.io import read_image

    assert read_image(out / "three.png").array.shape == (40, 30, 3)
    assert {p.name: sha256(p) for p in folder.iterdir()} == before


def test_stylize_glob_and_several_files(folder, env, tmp_path):
    res = run(["-q", "stylize", str(folder / "o*.png"), str(folder / "th*.png"), "-o", tmp_path / "out"], env)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one.png", "three.png"]
    res = run(["stylize", folder / "one.png", folder / "three.png", "-o", tmp_path / "out2"], env)
    assert res.returncode == 0 and "2 of 2 written" in res.stderr, res.stderr


def test_batch_mistakes_are_refused_before_any_work(folder, env, tmp_path):
    res = run(["stylize", str(folder / "*.jpg"), "-o", tmp_path / "out"], env)
    assert res.returncode == 2 and "no files match" in res.stderr
    res = run(["stylize", folder, "-o", folder], env)  # outputs would overwrite the inputs
    assert res.returncode == 2 and "is the input file" in res.stderr
    (tmp_path / "file.png").write_bytes(b"x")
    res = run(["stylize", folder, "-o", tmp_path / "file.png"], env)
    assert res.returncode == 2 and "a batch writes into a folder" in res.stderr
    assert not (tmp_path / "out").exists()


def test_fuse_two_folders_matched_by_name(env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for name, seed in (("x.png", 1), ("y.png", 2)):
        picture(a / name, seed, channels=None)
        picture(b / name, seed + 10, channels=None)
    picture(b / "z.png", 5, channels=None)  # no partner in A: not fused
    before = {p: sha256(p) for d in (a, b) for p in d.iterdir()}
    res = run(["-q", "fuse", a, b, "-o", tmp_path / "fused"], env)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "fused").iterdir()) == ["x.png", "y.png"]
    assert {p: sha256(p) for p in before} == before
    picture(a / "w.png", 7, channels=None)
    res = run(["fuse", a, b, "-o", tmp_path / "fused2"], env)
    assert res.returncode == 2 and "no partner for w.png" in res.stderr
