"""The `stylefuse` console script, run for real in a subprocess.

Every subcommand, every file family (PNG 8/16-bit, JPEG, TIFF stack, NIfTI with its affine, DICOM),
and the user mistakes: one line on stderr naming the problem, exit code 2, no traceback, inputs
untouched, no output written. Images are small so the file runs in well under two minutes; models
come from the package, and STYLEFUSE_MODELS points at a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent / "stylefuse"
SHIPPED_STYLE, SHIPPED_FUSE = "udnie", "fuse-medical"
EXAMPLES = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "examples"


# ----------------------------------------------------------------------------------------- helpers


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    e = dict(os.environ)
    e["STYLEFUSE_MODELS"] = str(tmp_path_factory.mktemp("user-models"))
    e.pop("PYTHONWARNINGS", None)
    return e


def run(args, env, cwd=None, timeout=240) -> subprocess.CompletedProcess:
    assert BIN.is_file(), f"console script {BIN} missing: install the project (pip install -e .)"
    return subprocess.run([str(BIN), *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    return res


def read(path):
    from stylefuse.io import read_image

    return read_image(path)


def smooth_image(h, w, c=None, dtype=np.uint8, seed=0):
    """A smooth random picture (gradients + blobs), scaled to the dtype's range."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    chans = []
    for k in range(c or 1):
        f = 0.5 + 0.25 * np.sin(6 * xx + k) * np.cos(5 * yy - k) + 0.1 * rng.standard_normal((h, w))
        chans.append(np.clip(f, 0, 1))
    img = np.stack(chans, -1) if c else chans[0]
    top = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    return (img * top).round().astype(dtype) if np.issubdtype(dtype, np.integer) else img.astype(dtype)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """Small input files of every family, written with the format libraries themselves."""
    import nibabel as nib
    import pydicom
    import tifffile
    from PIL import Image
    from pydicom.data import get_testdata_file

    from stylefuse.io import write_image

    d = tmp_path_factory.mktemp("inputs")
    f = {}
    f["rgb8"] = d / "rgb8.png"
    Image.fromarray(smooth_image(40, 56, 3)).save(f["rgb8"])
    f["rgb16"] = d / "rgb16.png"  # Pillow cannot write 16-bit RGB PNGs
    write_image(f["rgb16"], smooth_image(40, 56, 3, np.uint16, seed=1))
    f["grey16"] = d / "grey16.png"
    Image.fromarray(smooth_image(40, 56, None, np.uint16, seed=2)).save(f["grey16"])
    f["jpeg"] = d / "photo.jpg"
    Image.fromarray(smooth_image(64, 96, 3, seed=3)).save(f["jpeg"], quality=90)
    f["stack"] = d / "stack.tif"
    tifffile.imwrite(f["stack"], np.stack([smooth_image(32, 40, None, np.uint16, seed=s) for s in range(3)]),
                     photometric="minisblack")
    f["grey_a"] = d / "grey_a.png"
    Image.fromarray(smooth_image(40, 56, None, seed=4)).save(f["grey_a"])
    f["grey_b"] = d / "grey_b.png"
    Image.fromarray(smooth_image(40, 56, None, seed=5)).save(f["grey_b"])
    f["grey_small"] = d / "grey_small.png"
    Image.fromarray(smooth_image(30, 30, None, seed=6)).save(f["grey_small"])
    f["mask"] = d / "mask.png"
    Image.fromarray((np.linspace(0, 255, 56)[None, :].repeat(40, 0)).astype(np.uint8)).save(f["mask"])
    f["mask_jpeg"] = d / "mask_jpeg.png"
    Image.fromarray((np.linspace(0, 255, 96)[None, :].repeat(64, 0)).astype(np.uint8)).save(f["mask_jpeg"])
    f["mask_small"] = d / "mask_small.png"
    Image.fromarray(np.full((20, 20), 255, np.uint8)).save(f["mask_small"])
    f["corrupt"] = d / "corrupt.png"
    f["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not a png" * 20)

    affine = np.array([[0.9, 0, 0, -40.0], [0, 0.8, 0, -30.0], [0, 0, 2.5, 12.0], [0, 0, 0, 1]])
    for key, seed in (("nii_a", 7), ("nii_b", 8)):
        vol = np.stack([smooth_image(28, 24, None, np.uint16, seed=seed + s) // 64 for s in range(4)], -1)
        f[key] = d / f"{key}.nii.gz"
        nib.save(nib.Nifti1Image(vol.astype(np.int16), affine), f[key])
    f["affine"] = affine

    f["dcm_a"] = d / "ct_a.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), f["dcm_a"])
    ds = pydicom.dcmread(f["dcm_a"])
    ds.PixelData = np.ascontiguousarray(ds.pixel_array[::-1]).tobytes()  # a second, different "modality"
    f["dcm_b"] = d / "ct_b.dcm"
    ds.save_as(f["dcm_b"])
    return f


# -------------------------------------------------------------------------------- help and startup


def test_help_lists_every_command_and_imports_no_torch(env):
    res = ok(run(["--help"], env))
    for cmd in ("stylize", "fuse", "models", "eval", "export", "train", "demo"):
        assert cmd in res.stdout
    probe = subprocess.run([sys.executable, "-c", "import sys, stylefuse.cli as c; c.build_parser(); "
                            "print('torch' in sys.modules)"], capture_output=True, text=True, env=env)
    assert probe.stdout.strip() == "False", probe.stderr
    for cmd in ("stylize", "fuse", "models", "eval", "export", "demo"):
        assert "usage: stylefuse " + cmd in ok(run([cmd, "--help"], env)).stdout
    assert ok(run(["--version"], env)).stdout.startswith("stylefuse ")


def test_module_entry_point(env):
    res = subprocess.run([sys.executable, "-m", "stylefuse.cli", "--version"], capture_output=True, text=True,
                         env=env)
    assert res.returncode == 0 and res.stdout.startswith("stylefuse "), res.stderr


# -------------------------------------------------------------------------------- stylize, formats


def test_stylize_png8_default_style_and_strength_zero(inputs, env, tmp_path):
    before = sha256(inputs["rgb8"])
    out = tmp_path / "out.png"
    res = ok(run(["stylize", inputs["rgb8"], "-o", out], env))
    assert str(out) in res.stdout
    got, src = read(out), read(inputs["rgb8"])
    assert got.array.shape == src.array.shape and got.array.dtype == np.uint8
    assert sha256(inputs["rgb8"]) == before
    # strength 0 keeps the input exactly: proves --strength reaches the pipeline
    out0 = tmp_path / "out0.png"
    ok(run(["stylize", inputs["rgb8"], "--style", SHIPPED_STYLE, "--strength", "0", "-o", out0], env))
    np.testing.assert_array_equal(read(out0).array, src.array)


def test_stylize_jpeg_with_style_image_mask_and_preserve_color(inputs, env, tmp_path):
    before = sha256(inputs["jpeg"])
    out = tmp_path / "styled.jpg"
    ok(run(["stylize", inputs["jpeg"], "--style", EXAMPLES / "udnie.jpg", "--model", SHIPPED_STYLE,
            "--strength", "0.7", "--mask", inputs["mask_jpeg"], "--preserve-color", "--tile-size", "48", "-o", out],
           env))
    got = read(out)
    assert got.format == "jpeg" and got.array.shape == (64, 96, 3) and got.array.dtype == np.uint8
    assert sha256(inputs["jpeg"]) == before


def test_stylize_png16_keeps_16_bits(inputs, env, tmp_path):
    out = tmp_path / "out16.png"
    ok(run(["stylize", inputs["rgb16"], "-o", out], env))
    got = read(out)
    assert got.array.dtype == np.uint16 and got.array.shape == (40, 56, 3)
    assert got.array.max() > 255  # really 16-bit data, not 8-bit values in a 16-bit file


def test_stylize_tiff_stack(inputs, env, tmp_path):
    out = tmp_path / "stack_out.tif"
    ok(run(["stylize", inputs["stack"], "--batch-size", "2", "-o", out], env))
    got, src = read(out), read(inputs["stack"])
    assert got.is_stack and got.array.shape == src.array.shape == (3, 32, 40)
    assert got.array.dtype == np.uint16


# ----------------------------------------------------------------------------------- fuse, formats


def test_fuse_png_and_resample(inputs, env, tmp_path):
    out = tmp_path / "fused.png"
    ok(run(["fuse", inputs["grey_a"], inputs["grey_b"], "-o", out], env))
    got = read(out)
    assert got.array.shape == (40, 56) and got.array.dtype == np.uint8
    out2 = tmp_path / "fused_resampled.tif"
    ok(run(["fuse", inputs["grey_a"], inputs["grey_small"], "--resample", "--model", SHIPPED_FUSE, "-o", out2], env))
    assert read(out2).array.shape == (40, 56)


def test_fuse_nifti_keeps_affine_and_header(inputs, env, tmp_path):
    import nibabel as nib

    out = tmp_path / "fused.nii.gz"
    ok(run(["fuse", inputs["nii_a"], inputs["nii_b"], "-o", out], env))
    img, src = nib.load(out), nib.load(inputs["nii_a"])
    np.testing.assert_allclose(img.affine, inputs["affine"], atol=1e-5)
    assert img.shape == src.shape
    assert img.get_data_dtype() == src.get_data_dtype()
    np.testing.assert_allclose(img.header.get_zooms(), src.header.get_zooms(), atol=1e-6)


def test_fuse_dicom(inputs, env, tmp_path):
    import pydicom

    before = sha256(inputs["dcm_a"]), sha256(inputs["dcm_b"])
    out = tmp_path / "fused.dcm"
    ok(run(["fuse", inputs["dcm_a"], inputs["dcm_b"], "-o", out], env))
    got, src = pydicom.dcmread(out), pydicom.dcmread(inputs["dcm_a"])
    assert got.pixel_array.shape == src.pixel_array.shape
    assert (sha256(inputs["dcm_a"]), sha256(inputs["dcm_b"])) == before


# ---------------------------------------------------------------------- models, export, eval, train


def test_models_export_and_user_model(inputs, env, tmp_path):
    res = ok(run(["models"], env))
    for word in ("name", "task", "channels", "origin", "params", "GFLOP/MP", "description",
                 SHIPPED_STYLE, SHIPPED_FUSE, "shipped"):
        assert word in res.stdout
    exported = tmp_path / "exported"
    ok(run(["export", SHIPPED_STYLE, "-o", exported], env))
    assert sorted(p.name for p in exported.iterdir()) == ["card.json", "model.pt"]
    shipped = json.loads((EXAMPLES.parent / "shipped_models" / SHIPPED_STYLE / "card.json").read_text())
    assert json.loads((exported / "card.json").read_text()) == shipped
    # a model exported into $STYLEFUSE_MODELS is a user model, usable by name
    user_dir = Path(env["STYLEFUSE_MODELS"]) / "my-style"
    ok(run(["export", SHIPPED_STYLE, "-o", user_dir], env))
    listing = json.loads(ok(run(["models", "--json"], env)).stdout)
    mine = [m for m in listing if m["name"] == "my-style"]
    assert mine and mine[0]["origin"] == "user" and mine[0]["task"] == "style"
    ok(run(["stylize", inputs["rgb8"], "--style", "my-style", "-o", tmp_path / "mine.png"], env))


def test_eval_triples_dirs_and_json(inputs, env, tmp_path):
    import tifffile
    from PIL import Image

    fused = tmp_path / "fused"
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    for d in (fused, a_dir, b_dir):
        d.mkdir()
    a_src, b_src = EXAMPLES / "brain_t1.png", EXAMPLES / "brain_pd.png"
    shutil.copy(a_src, a_dir / "x.png")
    shutil.copy(b_src, b_dir / "x.png")
    mean = ((read(a_src).array.astype(int) + read(b_src).array) // 2).astype(np.uint8)
    Image.fromarray(mean).save(fused / "x.png")
    res = ok(run(["eval", fused / "x.png", a_src, b_src], env))
    for name in ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM"):
        assert name in res.stdout
    data = json.loads(ok(run(["eval", "--fused-dir", fused, "--a-dir", a_dir, "--b-dir", b_dir, "--json"],
                             env)).stdout)
    assert len(data) == 1 and set(data[0]["metrics"]) == {"EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM"}
    assert all(np.isfinite(v) for v in data[0]["metrics"].values())
    # a 16-bit stack triple works too (metrics averaged over slices)
    stack = tmp_path / "stack.tif"
    tifffile.imwrite(stack, np.stack([smooth_image(48, 48, None, np.uint16, seed=s) for s in range(2)]),
                     photometric="minisblack")
    ok(run(["eval", stack, stack, stack], env))


def test_train_is_delegated(env, tmp_path):
    res = ok(run(["train", "--help"], env))
    assert "usage: stylefuse train" in res.stdout and "--task" in res.stdout
    res = run(["train", "--task", "style"], env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "--style" in res.stderr


# -------------------------------------------------------------------------------------------- demo


def test_demo_writes_pictures(env, tmp_path):
    out = tmp_path / "demo"
    res = ok(run(["demo", "-o", out], env))
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "overview.png" in pngs and any("fused" in p for p in pngs) and len(pngs) == 4
    painted = read(out / "chelsea_udnie_synthesis.png").array
    photo = read(EXAMPLES / "chelsea.png").array
    assert painted.shape == photo.shape and abs(painted.astype(int) - photo).mean() > 10  # painted
    for name in pngs:
        assert str(out / name) in res.stdout
        assert read(out / name).array.size > 0
    fused = read(next(out.glob("*fused*.png")))
    assert fused.array.shape == read(EXAMPLES / "brain_t1.png").array.shape


# ---------------------------------------------------------------------------------- user mistakes

# (id, argv template, words the one-line message must contain, input keys whose hashes must not change)
# {out} is a fresh output path in a temporary folder; {key} is an input file.
MISTAKES = [
    ("missing-input", ["stylize", "{tmp}/nope.png", "-o", "{out}"], ["nope.png", "not found"], []),
    ("input-is-folder", ["stylize", "{tmp}", "-o", "{out}"], ["folder"], []),
    ("corrupt-input", ["stylize", "{corrupt}", "-o", "{out}"], ["corrupt.png"], ["corrupt"]),
    ("corrupt-style-image", ["stylize", "{rgb8}", "--style", "{corrupt}", "-o", "{out}"], ["corrupt.png"],
     ["rgb8", "corrupt"]),
    ("corrupt-mask", ["stylize", "{rgb8}", "--mask", "{corrupt}", "-o", "{out}"], ["corrupt.png"], ["rgb8", "corrupt"]),
    ("unknown-model", ["stylize", "{rgb8}", "--style", "no-such-model", "-o", "{out}"],
     ["unknown model", "no-such-model"], ["rgb8"]),
    ("model-name-is-a-path", ["fuse", "{grey_a}", "{grey_b}", "--model", "../../etc", "-o", "{out}"],
     ["invalid model name"], ["grey_a", "grey_b"]),
    ("wrong-task-model", ["fuse", "{grey_a}", "{grey_b}", "--model", SHIPPED_STYLE, "-o", "{out}"],
     [SHIPPED_STYLE, "fuse"], ["grey_a", "grey_b"]),
    ("missing-style-image", ["stylize", "{rgb8}", "--style", "{tmp}/painting.jpg", "-o", "{out}"],
     ["style image", "painting.jpg", "not found"], ["rgb8"]),
    ("output-is-input", ["stylize", "{rgb8}", "-o", "{rgb8}"], ["is the input file", "rgb8.png"], ["rgb8"]),
    ("output-is-second-input", ["fuse", "{grey_a}", "{grey_b}", "-o", "{grey_b}"], ["is the input file"],
     ["grey_a", "grey_b"]),
    ("output-folder-missing", ["stylize", "{rgb8}", "-o", "{tmp}/no/such/dir/out.png"],
     ["output folder", "does not exist"], ["rgb8"]),
    ("unsupported-extension", ["stylize", "{rgb8}", "-o", "{tmp}/out.bmp"], ["unsupported output file type", ".bmp"],
     ["rgb8"]),
    ("strength-out-of-range", ["stylize", "{rgb8}", "--strength", "1.5", "-o", "{out}"], ["strength", "1.5"], ["rgb8"]),
    ("strength-not-a-number", ["stylize", "{rgb8}", "--strength", "lots", "-o", "{out}"], ["strength", "lots"],
     ["rgb8"]),
    ("mask-shape-mismatch", ["stylize", "{rgb8}", "--mask", "{mask_small}", "-o", "{out}"],
     ["mask", "20×20", "40×56"], ["rgb8", "mask_small"]),
    ("fusion-shape-mismatch", ["fuse", "{grey_a}", "{grey_small}", "-o", "{out}"],
     ["differ in size", "--resample"], ["grey_a", "grey_small"]),
    ("jpeg-for-16-bit", ["stylize", "{rgb16}", "-o", "{tmp}/out.jpg"], ["JPEG", "8-bit", "uint16"], ["rgb16"]),
    ("stack-to-png", ["stylize", "{stack}", "-o", "{out}"], ["stack", "3 slices"], ["stack"]),
    ("missing-output-option", ["stylize", "{rgb8}"], ["-o/--output"], ["rgb8"]),
    ("eval-not-triples", ["eval", "{grey_a}", "{grey_b}"], ["triples"], ["grey_a", "grey_b"]),
    ("eval-shape-mismatch", ["eval", "{grey_a}", "{grey_b}", "{grey_small}"], ["one size"],
     ["grey_a", "grey_b", "grey_small"]),
    ("eval-image-too-small", ["eval", "{grey_a}", "{grey_a}", "{grey_b}"], ["grey_a.png", "41×41"], ["grey_a", "grey_b"]),
    ("export-into-nonempty-folder", ["export", SHIPPED_STYLE, "-o", "{tmp}"], ["holds other files"], []),
    ("export-unknown-model", ["export", "nonexistent", "-o", "{tmp}/m"], ["unknown model", "nonexistent"], []),
    ("no-palette-over-server", ["stylize", "{rgb8}", "--server", "http://127.0.0.1:9", "--no-palette", "-o", "{out}"],
     ["--no-palette", "in-process"], ["rgb8"]),
    ("unknown-option", ["fuse", "{grey_a}", "{grey_b}", "--fast", "-o", "{out}"], ["unrecognized", "--fast"],
     ["grey_a"]),
]


@pytest.mark.parametrize("argv,words,keys", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_user_mistake(argv, words, keys, inputs, env, tmp_path):
    out = tmp_path / "out.png"
    (tmp_path / "keep.txt").write_text("an unrelated file\n")
    fill = {k: str(v) for k, v in inputs.items() if isinstance(v, Path)}
    fill.update(out=str(out), tmp=str(tmp_path))
    hashes = {k: sha256(inputs[k]) for k in keys}
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run([a.format(**fill) for a in argv], env)
    assert res.returncode == 2, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("stylefuse: error: ")
    for word in words:
        assert word.format(**fill) in lines[0], f"{word!r} not in {lines[0]!r}"
    assert {k: sha256(inputs[k]) for k in keys} == hashes
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temporary left


def test_at_least_ten_mistakes_are_checked():
    assert len(MISTAKES) >= 10


# ------------------------------------------------------------------------------------- interrupted


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_leaves_no_output(sig, env, tmp_path):
    from PIL import Image

    big = tmp_path / "big.png"
    # Big and finely tiled, so that even a fast machine is still working when the signal comes.
    Image.fromarray(smooth_image(2048, 2048, 3, seed=9)).save(big)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # A shell's background jobs (`cmd &`, how CI may run) start with SIGINT ignored, and Python keeps
    # it ignored; give the child the default disposition, as an interactive terminal would.
    proc = subprocess.Popen([str(BIN), "stylize", str(big), "--tile-size", "128", "-o", str(out_dir / "o.png")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4.0)
    assert proc.poll() is None, "finished before it could be interrupted; use a bigger image"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert list(out_dir.iterdir()) == []


# -------------------------------------------------------------------------------------- progress bar


def test_progress_bar_on_a_terminal(inputs, env, tmp_path):
    """With stderr on a terminal, tiled work shows a tqdm bar fed by the pipeline's progress callback."""
    import fcntl
    import pty
    import struct
    import termios
    import threading

    from PIL import Image

    src = tmp_path / "in.png"
    Image.fromarray(smooth_image(160, 160, 3, seed=11)).save(src)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    chunks: list[bytes] = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([str(BIN), "stylize", str(src), "--tile-size", "64", "-o", str(tmp_path / "o.png")],
                          env=env, stdout=subprocess.PIPE, stderr=slave, timeout=240)
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "stylize (udnie)" in text and "tile/s" in text, text
