"""Bad inputs, table-driven: the in-process pipeline (arrays) and the command line (files).

Every case asserts three things: the error is a UserError (CLI: exit code 2 and one line
`stylefuse: error: ...`) whose message names the problem; the input is unchanged (sha256 of the
array's bytes, or of the file); the process is alive and still works (a tiny good call afterwards).
Inputs are tiny, so the whole file runs in well under a minute on two cores. The Triton, napari and
GIMP cases live beside their tiers (tests/server, tests/napari, tests/gimp); the file-reading ones
in tests/unit/test_io_errors.py and the CLI's usage mistakes in tests/cli/test_cli_mistakes.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from stylefuse.errors import UserError
from stylefuse.pipeline import fuse, stylize

SHIPPED = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "shipped_models"


def array_hash(array) -> str:
    """sha256 of an array's bytes, shape and dtype (object arrays: their repr)."""
    a = np.asarray(array)
    # A broadcast view (stride 0) holds its data once: hash that, never the gigapixels it pretends to be.
    data_view = a[tuple(slice(0, 1) if st == 0 else slice(None) for st in a.strides)] if a.ndim else a
    data = repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(data_view).tobytes()
    return hashlib.sha256(data + repr((a.shape, a.dtype.str)).encode()).hexdigest()


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rgb8(h=12, w=16, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def grey(h=12, w=16, seed=1, dtype=np.uint8) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w)) * 200).astype(dtype)


def still_works(style_model):
    """The process is alive and the pipeline still answers after the refused call."""
    out = stylize(rgb8(8, 8), model=style_model)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8


def huge(shape, dtype=np.uint8):
    """A read-only view of `shape` that takes no memory (what a wrong reshape or a bad header gives)."""
    return np.broadcast_to(np.zeros((), dtype), shape)


# ------------------------------------------------------------------------------------------ pipeline
# (id, function, arrays (name -> array), other keyword arguments, words the message must contain)
PIPELINE = [
    ("dtype-bool", stylize, {"image": np.zeros((8, 8), bool)}, {}, ["unsupported dtype bool"]),
    (
        "dtype-complex",
        stylize,
        {"image": np.zeros((8, 8), np.complex64)},
        {},
        ["unsupported dtype complex64"],
    ),
    (
        "dtype-object",
        stylize,
        {"image": np.array([[object(), 1]], dtype=object)},
        {},
        ["unsupported dtype object"],
    ),
    ("dtype-string", stylize, {"image": np.array([["a", "b"], ["c", "d"]])}, {}, ["unsupported dtype <U1"]),
    (
        "dtype-datetime",
        fuse,
        {"a": np.zeros((8, 8), "datetime64[s]"), "b": grey(8, 8)},
        {},
        ["unsupported dtype"],
    ),
    ("nan-image", stylize, {"image": np.full((8, 8, 3), np.nan, np.float32)}, {}, ["contains NaN"]),
    ("inf-image", stylize, {"image": np.array([[0.0, np.inf], [0.5, 1.0]])}, {}, ["infinite"]),
    (
        "minus-inf-reference",
        stylize,
        {"image": rgb8(), "reference": np.full((16, 16, 3), -np.inf, np.float32)},
        {},
        ["reference", "infinite"],
    ),
    ("nan-fusion-b", fuse, {"a": grey(), "b": np.full((12, 16), np.nan)}, {}, ["b contains NaN"]),
    ("zero-d", stylize, {"image": np.array(3, np.uint8)}, {}, ["0 dimension(s)"]),
    ("one-d", stylize, {"image": np.zeros(16, np.uint8)}, {}, ["1 dimension(s)"]),
    ("six-d", stylize, {"image": np.zeros((2, 2, 2, 4, 4, 3), np.uint8)}, {}, ["6 dimension(s)"]),
    ("five-channels", stylize, {"image": np.zeros((8, 8, 5), np.uint8)}, {"is_stack": False}, ["5 channels"]),
    ("2d-as-stack", stylize, {"image": grey()}, {"is_stack": True}, ["2-D", "slice axis"]),
    ("enormous-image", stylize, {"image": huge((100_000, 100_000, 3))}, {}, ["too large", "100000x100000"]),
    (
        "enormous-stack",
        fuse,
        {"a": huge((5000, 512, 512), np.uint16), "b": huge((5000, 512, 512), np.uint16)},
        {},
        ["too large", "STYLEFUSE_MAX_PIXELS"],
    ),
    (
        "enormous-reference",
        stylize,
        {"image": rgb8(), "reference": huge((60_000, 60_000))},
        {},
        ["too large"],
    ),
    (
        "empty-reference",
        stylize,
        {"image": rgb8(), "reference": np.zeros((0, 5, 3), np.uint8)},
        {},
        ["empty"],
    ),
    ("missing-image", stylize, {"image": None}, {}, ["image is missing"]),
    ("strength-negative", stylize, {"image": rgb8()}, {"strength": -0.25}, ["strength", "-0.25"]),
    ("strength-nan", stylize, {"image": rgb8()}, {"strength": float("nan")}, ["strength", "nan"]),
    ("strength-above-one", stylize, {"image": rgb8()}, {"strength": 1.5}, ["strength", "1.5"]),
    ("strength-text", stylize, {"image": rgb8()}, {"strength": "strong"}, ["strength", "strong"]),
    (
        "mask-wrong-shape",
        stylize,
        {"image": rgb8(), "mask": np.ones((6, 8), np.float32)},
        {},
        ["mask has shape (6, 8)", "(12, 16)"],
    ),
    (
        "mask-rgba",
        stylize,
        {"image": rgb8(), "mask": np.ones((12, 16, 4), np.uint8)},
        {},
        ["mask", "4 channels"],
    ),
    (
        "mask-transposed",
        stylize,
        {"image": rgb8(), "mask": np.ones((16, 12), bool)},
        {},
        ["mask has shape (16, 12)"],
    ),
    (
        "mask-stack-wrong-depth",
        stylize,
        {"image": np.zeros((3, 8, 8), np.int16), "mask": np.ones((2, 8, 8), bool)},
        {"is_stack": True},
        ["mask has shape (2, 8, 8)", "(3, 8, 8)"],
    ),
    (
        "mask-nan",
        stylize,
        {"image": rgb8(), "mask": np.full((12, 16), np.nan, np.float32)},
        {},
        ["mask", "NaN"],
    ),
    ("mask-out-of-range", stylize, {"image": rgb8(), "mask": np.full((12, 16), 2.0)}, {}, ["mask", "[0, 1]"]),
    (
        "mask-int32",
        stylize,
        {"image": rgb8(), "mask": np.ones((12, 16), np.int32)},
        {},
        ["mask has dtype int32"],
    ),
    ("fusion-sizes-differ", fuse, {"a": grey(12, 16), "b": grey(12, 15)}, {}, ["differ in size", "resample"]),
    (
        "fusion-stack-and-image",
        fuse,
        {"a": np.zeros((3, 8, 8), np.uint16), "b": np.zeros((8, 8), np.uint16)},
        {},
        ["differ in size", "stack 3x8x8"],
    ),
    (
        "fusion-stacks-differ",
        fuse,
        {"a": np.zeros((3, 8, 8), np.uint16), "b": np.zeros((4, 8, 8), np.uint16)},
        {},
        ["differ in size"],
    ),
    (
        "unknown-model",
        stylize,
        {"image": rgb8()},
        {"model": "no-such-model"},
        ["unknown model 'no-such-model'", "udnie"],
    ),
    (
        "traversal-model",
        stylize,
        {"image": rgb8()},
        {"model": "../../shipped_models/udnie"},
        ["invalid model name"],
    ),
    (
        "absolute-path-model",
        fuse,
        {"a": grey(), "b": grey()},
        {"model": "/etc/passwd"},
        ["invalid model name"],
    ),
    ("dot-dot-model", fuse, {"a": grey(), "b": grey()}, {"model": ".."}, ["invalid model name"]),
    (
        "wrong-task-model",
        stylize,
        {"image": rgb8()},
        {"model": "fuse-medical"},
        ["is a 'fuse' model, not a 'style'"],
    ),
    ("model-not-a-model", fuse, {"a": grey(), "b": grey()}, {"model": 42}, ["model must be a model name"]),
    (
        "value-range-reversed",
        stylize,
        {"image": grey(dtype=np.uint16)},
        {"value_range": (100, 5)},
        ["lo < hi"],
    ),
    ("value-range-nan", fuse, {"a": grey(), "b": grey()}, {"value_range": (0, float("nan"))}, ["finite"]),
    ("tile-size-zero", stylize, {"image": rgb8()}, {"tile_size": 0}, ["tile_size"]),
    ("batch-size-negative", fuse, {"a": grey(), "b": grey()}, {"batch_size": -1}, ["batch_size"]),
]


@pytest.mark.parametrize("call,arrays,kwargs,words", [c[1:] for c in PIPELINE], ids=[c[0] for c in PIPELINE])
def test_pipeline_refuses(call, arrays, kwargs, words, style_model):
    before = {k: array_hash(v) for k, v in arrays.items() if v is not None}
    with pytest.raises(UserError) as info:
        call(**arrays, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert {k: array_hash(v) for k, v in arrays.items() if v is not None} == before, "the input was changed"
    still_works(style_model)


# Unusual inputs that are not mistakes: they must work, keep shape and dtype, and leave the input alone.
ODD_BUT_FINE = [
    ("1x1-rgb", stylize, {"image": rgb8(1, 1)}, {}),
    ("1x1-grey-fusion", fuse, {"a": grey(1, 1), "b": grey(1, 1, seed=2)}, {}),
    ("1x1-stack", stylize, {"image": np.arange(3, dtype=np.int16).reshape(3, 1, 1)}, {"is_stack": True}),
    ("1-pixel-wide", fuse, {"a": grey(40, 1), "b": grey(40, 1, seed=3)}, {}),
    ("five-d-stack-of-stacks", stylize, {"image": np.zeros((2, 2, 6, 6, 3), np.uint8)}, {}),
    (
        "rgba-16-bit",
        stylize,
        {"image": (np.random.default_rng(4).random((9, 7, 4)) * 65535).astype(np.uint16)},
        {},
    ),
    (
        "rgba-float-with-rgb-16-bit",
        fuse,
        {
            "a": np.random.default_rng(5).random((9, 7, 4)).astype(np.float32),
            "b": (np.random.default_rng(6).random((9, 7, 3)) * 65535).astype(np.uint16),
        },
        {},
    ),
    ("empty-image", stylize, {"image": np.zeros((0, 16, 3), np.uint8)}, {}),
    ("empty-fusion", fuse, {"a": np.zeros((4, 0), np.uint16), "b": np.zeros((4, 0), np.uint16)}, {}),
    ("constant-int16", stylize, {"image": np.full((10, 10), -1000, np.int16)}, {}),
    ("non-contiguous-view", stylize, {"image": rgb8(12, 32)[:, ::2]}, {}),
    ("read-only-broadcast", fuse, {"a": np.broadcast_to(grey(1, 16), (12, 16)), "b": grey()}, {}),
    ("reference-1x1", stylize, {"image": rgb8(), "reference": rgb8(1, 1)}, {}),
    ("mask-uint16", stylize, {"image": rgb8(), "mask": np.full((12, 16), 65535, np.uint16)}, {}),
]


@pytest.mark.parametrize(
    "call,arrays,kwargs", [c[1:] for c in ODD_BUT_FINE], ids=[c[0] for c in ODD_BUT_FINE]
)
def test_odd_inputs_work_and_stay_untouched(call, arrays, kwargs, style_model):
    before = {k: array_hash(v) for k, v in arrays.items()}
    first = next(iter(arrays.values()))
    out = call(**arrays, **kwargs)
    assert out.dtype == first.dtype
    if call is stylize:
        assert out.shape == first.shape
    else:
        assert out.shape[: first.ndim - 1] == first.shape[: first.ndim - 1]
    if out.dtype.kind == "f":
        assert np.isfinite(out).all()
    assert {k: array_hash(v) for k, v in arrays.items()} == before


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
