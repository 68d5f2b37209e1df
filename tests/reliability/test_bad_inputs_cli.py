"""Bad inputs, table-driven: broken user model folders and the command line (files).

Every case asserts three things: the error is a UserError (CLI: exit code 2 and one line
`stylefuse: error: ...`) whose message names the problem; the input is unchanged (sha256 of the
array's bytes, or of the file); the process is alive and still works (a tiny good call afterwards).
The in-process pipeline's array cases are in test_bad_inputs_pipeline.py; shared helpers in
bad_input_helpers.py.
"""

from __future__ import annotations

import json
import shutil
import signal
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from bad_input_helpers import SHIPPED, array_hash, file_hash, grey, rgb8, still_works
from test_bad_inputs_pipeline import PIPELINE

from stylefuse.errors import UserError
from stylefuse.pipeline import fuse, stylize

# ------------------------------------------------------------------------------------ model folders


def _user_model(folder: Path, name: str, task: str, model_bytes: bytes | None) -> Path:
    target = folder / name
    target.mkdir(parents=True)
    source = SHIPPED / ("udnie" if task == "style" else "fuse-medical")
    card = json.loads((source / "card.json").read_text())
    card["task"] = task
    (target / "card.json").write_text(json.dumps(card))
    if model_bytes is not None:
        (target / "model.pt").write_bytes(model_bytes)
    return target


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("STYLEFUSE_MODELS", str(folder))
    return folder


def _scripted_identity() -> bytes:
    import io

    import torch

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Identity()), buffer)
    return buffer.getvalue()


MODEL_FOLDERS = [
    ("model-file-missing", "style", None, ["unknown model 'broken'"]),
    ("model-file-corrupt", "style", b"PK\x03\x04 not really a zip" * 10, ["could not be loaded", "corrupt"]),
    ("model-file-zero-bytes", "fuse", b"", ["could not be loaded"]),
    (
        "model-file-truncated",
        "style",
        (SHIPPED / "udnie" / "model.pt").read_bytes()[:5000],
        ["could not be loaded"],
    ),
    ("model-not-a-generator", "style", "identity", ["not a stylefuse style generator"]),
    ("fusion-model-not-a-generator", "fuse", "identity", ["'broken' failed", "task 'fuse'"]),
    ("model-card-lies-about-task", "fuse", (SHIPPED / "udnie" / "model.pt").read_bytes(), None),
]


@pytest.mark.parametrize(
    "task,model_bytes,words", [c[1:] for c in MODEL_FOLDERS], ids=[c[0] for c in MODEL_FOLDERS]
)
def test_broken_user_models(task, model_bytes, words, user_models, style_model):
    if model_bytes == "identity":
        model_bytes = _scripted_identity()
    folder = _user_model(user_models, "broken", task, model_bytes)
    image = rgb8()
    before = array_hash(image), {p.name: file_hash(p) for p in folder.iterdir()}
    call = (
        (lambda: stylize(image, model="broken"))
        if task == "style"
        else (lambda: fuse(image, image, model="broken"))
    )
    if (
        words is None
    ):  # whether it runs depends on the architecture: a result of the right kind, or a UserError
        try:
            out = call()
            assert out.shape[:2] == image.shape[:2] and out.dtype == image.dtype
        except UserError as exc:
            assert "'broken'" in str(exc), str(exc)
    else:
        with pytest.raises(UserError) as info:
            call()
        for word in words:
            assert word in str(info.value), str(info.value)
    assert (array_hash(image), {p.name: file_hash(p) for p in folder.iterdir()}) == before
    still_works(style_model)


# ---------------------------------------------------------------------------------------- the CLI


def _bomb_png(path: Path, side: int = 20000) -> Path:
    """A valid 1-bit PNG of side x side pixels in ~60 kB: a decompression bomb."""
    from stylefuse.io import _png

    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + side // 8)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(side // 1000)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        _png.SIGNATURE + _png.chunk(b"IHDR", ihdr) + _png.chunk(b"IDAT", idat) + _png.chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    import tifffile
    from PIL import Image

    d = tmp_path_factory.mktemp("bad-files")
    f = {}
    f["rgb"] = d / "rgb.png"
    Image.fromarray(rgb8(20, 24)).save(f["rgb"])
    f["rgba"] = d / "rgba.png"
    Image.fromarray(np.dstack([rgb8(20, 24), np.full((20, 24), 200, np.uint8)])).save(f["rgba"])
    f["grey"] = d / "grey.png"
    Image.fromarray(grey(20, 24)).save(f["grey"])
    f["grey_small"] = d / "grey_small.png"
    Image.fromarray(grey(10, 24)).save(f["grey_small"])
    f["zero"] = d / "zero.png"
    f["zero"].write_bytes(b"")
    f["truncated_png"] = d / "truncated.png"
    f["truncated_png"].write_bytes(f["rgb"].read_bytes()[:60])
    f["truncated_tif"] = d / "truncated.tif"
    tifffile.imwrite(
        d / "full.tif",
        (np.random.default_rng(0).random((4, 32, 32)) * 4000).astype(np.uint16),
        photometric="minisblack",
    )
    f["truncated_tif"].write_bytes((d / "full.tif").read_bytes()[:3000])
    f["text_png"] = d / "notes.png"
    f["text_png"].write_text("shopping list: eggs, milk\n")
    f["pdf_jpg"] = d / "scan.jpg"
    f["pdf_jpg"].write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8)
    f["txt"] = d / "readme.txt"
    f["txt"].write_text("not an image\n")
    f["bomb"] = _bomb_png(d / "bomb.png")
    f["nan_tif"] = d / "nan.tif"
    tifffile.imwrite(f["nan_tif"], np.where(np.eye(16) > 0, np.nan, 0.5).astype(np.float32))
    f["inf_tif"] = d / "inf.tif"
    tifffile.imwrite(f["inf_tif"], np.where(np.eye(20, 24) > 0, np.inf, 0.5).astype(np.float32))
    f["float_tif"] = d / "float.tif"
    tifffile.imwrite(f["float_tif"], np.random.default_rng(1).random((20, 24)).astype(np.float32))
    f["stack"] = d / "stack.tif"
    tifffile.imwrite(
        f["stack"],
        (np.random.default_rng(2).random((3, 20, 24)) * 4000).astype(np.uint16),
        photometric="minisblack",
    )
    f["mask_rgb"] = d / "mask_rgb.png"
    Image.fromarray(rgb8(20, 24, seed=5)).save(f["mask_rgb"])
    f["dicom_dir"] = d / "not_dicom"
    f["dicom_dir"].mkdir()
    (f["dicom_dir"] / "a.txt").write_text("no DICOM here\n")
    return f


# (id, argv template, words the one line must contain, environment)
CLI = [
    ("zero-byte-file", ["stylize", "{zero}", "-o", "{out}"], ["zero.png", "empty", "0 bytes"], {}),
    (
        "truncated-png",
        ["stylize", "{truncated_png}", "-o", "{out}"],
        ["truncated.png", "truncated or corrupt"],
        {},
    ),
    ("truncated-tiff-stack", ["stylize", "{truncated_tif}", "-o", "{tmp}/o.tif"], ["truncated.tif"], {}),
    (
        "text-named-png",
        ["stylize", "{text_png}", "-o", "{out}"],
        ["notes.png", "not a PNG image", "text file"],
        {},
    ),
    ("pdf-named-jpeg", ["fuse", "{pdf_jpg}", "{grey}", "-o", "{out}"], ["scan.jpg", "not a JPEG image"], {}),
    (
        "non-image-extension",
        ["stylize", "{txt}", "-o", "{out}"],
        ["readme.txt", "unsupported file extension"],
        {},
    ),
    ("folder-without-dicom", ["stylize", "{dicom_dir}", "-o", "{out}"], ["not_dicom"], {}),
    (
        "decompression-bomb",
        ["stylize", "{bomb}", "-o", "{out}"],
        ["bomb.png", "too large", "20000×20000", "decompression bomb"],
        {},
    ),
    (
        "bomb-as-style-image",
        ["stylize", "{rgb}", "--style", "{bomb}", "-o", "{out}"],
        ["bomb.png", "too large"],
        {},
    ),
    (
        "over-configured-limit",
        ["stylize", "{rgb}", "-o", "{out}"],
        ["rgb.png", "too large", "limit of 100"],
        {"STYLEFUSE_MAX_PIXELS": "100"},
    ),
    ("nan-in-tiff", ["stylize", "{nan_tif}", "-o", "{tmp}/o.tif"], ["nan.tif", "NaN"], {}),
    (
        "inf-in-fusion-b",
        ["fuse", "{float_tif}", "{inf_tif}", "-o", "{tmp}/o.tif"],
        ["inf.tif", "infinite"],
        {},
    ),
    ("rgba-to-jpeg", ["stylize", "{rgba}", "-o", "{tmp}/o.jpg"], ["JPEG", "alpha"], {}),
    ("float-to-png", ["stylize", "{float_tif}", "-o", "{out}"], ["PNG", "float32"], {}),
    ("stack-to-jpeg", ["stylize", "{stack}", "-o", "{tmp}/o.jpg"], ["stack", "3 slices"], {}),
    ("rgb-mask", ["stylize", "{rgb}", "--mask", "{mask_rgb}", "-o", "{out}"], ["mask", "3 channels"], {}),
    ("mask-is-a-text-file", ["stylize", "{rgb}", "--mask", "{text_png}", "-o", "{out}"], ["notes.png"], {}),
    (
        "strength-negative",
        ["stylize", "{rgb}", "--strength", "-0.5", "-o", "{out}"],
        ["strength", "-0.5"],
        {},
    ),
    ("strength-nan", ["stylize", "{rgb}", "--strength", "nan", "-o", "{out}"], ["strength", "nan"], {}),
    (
        "traversal-model",
        ["fuse", "{grey}", "{grey}", "--model", "../shipped_models/fuse-medical", "-o", "{out}"],
        ["invalid model name"],
        {},
    ),
    (
        "absolute-model-path",
        ["stylize", "{rgb}", "--style", "{rgb}", "--model", "/etc/passwd", "-o", "{out}"],
        ["invalid model name", "/etc/passwd"],
        {},
    ),
    (
        "style-model-for-fusion",
        ["stylize", "{rgb}", "--style", "fuse-medical", "-o", "{out}"],
        ["'fuse-medical' is a 'fuse' model"],
        {},
    ),
    ("fusion-of-different-sizes", ["fuse", "{grey}", "{grey_small}", "-o", "{out}"], ["differ in size"], {}),
    (
        "bad-limit-setting",
        ["stylize", "{rgb}", "-o", "{out}"],
        ["STYLEFUSE_MAX_PIXELS", "lots"],
        {"STYLEFUSE_MAX_PIXELS": "lots"},
    ),
]


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `stylefuse ARGS` in this process; returns (exit code, stderr). The SIGTERM handler is restored."""
    from stylefuse.cli import main

    def run(argv, env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        previous = signal.getsignal(signal.SIGTERM)
        try:
            code = main(["-q", *argv])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        finally:
            signal.signal(signal.SIGTERM, previous)
            for key in env:
                monkeypatch.delenv(key)
        return code, capsys.readouterr().err

    return run


@pytest.mark.parametrize("argv,words,env", [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_cli_refuses(argv, words, env, files, cli, tmp_path):
    fill = {k: str(v) for k, v in files.items()}
    fill.update(out=str(tmp_path / "out.png"), tmp=str(tmp_path))
    before = {k: file_hash(p) for k, p in files.items() if p.is_file()}
    code, err = cli([a.format(**fill) for a in argv], env)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylefuse: error: "), err
    for word in words:
        assert word.format(**fill) in lines[0], f"{word!r} not in {lines[0]!r}"
    assert {k: file_hash(p) for k, p in files.items() if p.is_file()} == before, "an input file was changed"
    assert list(tmp_path.iterdir()) == [], "something was written"
    # alive: the same process still does real work
    assert cli(["fuse", fill["grey"], fill["grey"], "-o", str(tmp_path / "ok.png")], {})[0] == 0


def test_at_least_forty_bad_inputs_here():
    assert len(PIPELINE) + len(MODEL_FOLDERS) + len(CLI) >= 40


def test_corrupt_user_model_through_the_cli(user_models, files, cli, tmp_path):
    _user_model(user_models, "half-written", "style", (SHIPPED / "udnie" / "model.pt").read_bytes()[:20000])
    before = file_hash(files["rgb"])
    code, err = cli(
        ["stylize", str(files["rgb"]), "--style", "half-written", "-o", str(tmp_path / "o.png")], {}
    )
    assert code == 2 and "could not be loaded" in err and "half-written" in err, err
    assert file_hash(files["rgb"]) == before and not (tmp_path / "o.png").exists()
    shutil.rmtree(user_models / "half-written")
