"""The `stylefuse` console script, run for real in a subprocess.

Every subcommand, every file family (PNG 8/16-bit, JPEG, TIFF stack, NIfTI with its affine, DICOM),
models, export, eval, train and demo. The user mistakes are in test_cli_mistakes.py, interrupts and the
progress bar in test_cli_terminal.py. Images are small so the file runs in well under two minutes;
models come from the package, and STYLEFUSE_MODELS points at a temporary folder (tests/cli/conftest.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from cli_helpers import EXAMPLES, SHIPPED_FUSE, SHIPPED_STYLE, ok, read, run, sha256, smooth_image

# -------------------------------------------------------------------------------- help and startup


def test_help_lists_every_command_and_imports_no_torch(env):
    res = ok(run(["--help"], env))
    for cmd in ("stylize", "fuse", "models", "eval", "export", "train", "demo"):
        assert cmd in res.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, stylefuse.cli as c; c.build_parser(); print('torch' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert probe.stdout.strip() == "False", probe.stderr
    for cmd in ("stylize", "fuse", "models", "eval", "export", "demo"):
        assert "usage: stylefuse " + cmd in ok(run([cmd, "--help"], env)).stdout
    assert ok(run(["--version"], env)).stdout.startswith("stylefuse ")


def test_module_entry_point(env):
    res = subprocess.run(
        [sys.executable, "-m", "stylefuse.cli", "--version"], capture_output=True, text=True, env=env
    )
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
    ok(
        run(
            [
                "stylize",
                inputs["jpeg"],
                "--style",
                EXAMPLES / "udnie.jpg",
                "--model",
                SHIPPED_STYLE,
                "--strength",
                "0.7",
                "--mask",
                inputs["mask_jpeg"],
                "--preserve-color",
                "--tile-size",
                "48",
                "-o",
                out,
            ],
            env,
        )
    )
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
    ok(
        run(
            [
                "fuse",
                inputs["grey_a"],
                inputs["grey_small"],
                "--resample",
                "--model",
                SHIPPED_FUSE,
                "-o",
                out2,
            ],
            env,
        )
    )
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
    for word in (
        "name",
        "task",
        "channels",
        "origin",
        "params",
        "GFLOP/MP",
        "description",
        SHIPPED_STYLE,
        SHIPPED_FUSE,
        "shipped",
    ):
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
    data = json.loads(
        ok(run(["eval", "--fused-dir", fused, "--a-dir", a_dir, "--b-dir", b_dir, "--json"], env)).stdout
    )
    assert len(data) == 1 and set(data[0]["metrics"]) == {
        "EN",
        "SD",
        "SF",
        "MI",
        "SCD",
        "VIF",
        "Qabf",
        "SSIM",
    }
    assert all(np.isfinite(v) for v in data[0]["metrics"].values())
    # a 16-bit stack triple works too (metrics averaged over slices)
    stack = tmp_path / "stack.tif"
    tifffile.imwrite(
        stack,
        np.stack([smooth_image(48, 48, None, np.uint16, seed=s) for s in range(2)]),
        photometric="minisblack",
    )
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
