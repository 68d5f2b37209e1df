"""`stylefuse stylize CLIP.mp4` and `stylefuse fuse A.mp4 B.mp4`, run for real on clips made with PyAV.

What a user checks in a player: every frame there, at the same times and rate, the sound unchanged,
no flicker the input did not have; a broken clip is one clear line, and nothing is left half-written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import BIN, ok, run, run_on_terminal, sha256
from video_clips import (
    EXAMPLES,
    compensated_flicker,
    decode,
    flicker,
    glued_painting,
    moving_scene,
    scene,
    write_clip,
)

pytest.importorskip("av", reason="the video extra: pip install 'stylefuse[video]'")

FPS = 12
CAMERA = {"pan": ("pan", 2.0), "zoom": ("zoom", 0.01)}  # 2 pixels a frame; 1 % a frame


def detail(frames) -> float:
    """Mean |horizontal and vertical difference| of the frames' grey: how sharp they are."""
    grey = frames.astype(float).mean(-1)
    return float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=2)).mean())


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    # 20 frames: two parts of the stream (16 + 4), so the carry-over between parts is exercised.
    return {
        "shot": write_clip(d / "shot.mp4", scene(20, 96, 64, seed=1), FPS),
        "still": write_clip(d / "still.mp4", scene(20, 96, 64, seed=7, ball=False), FPS, audio=False),
        "other": write_clip(d / "other.mp4", scene(20, 96, 64, seed=2, photo="udnie.jpg"), FPS),
        "short": write_clip(d / "short.mp4", scene(12, 96, 64, seed=3), FPS, audio=False),
        "wide": write_clip(d / "wide.mp4", scene(20, 128, 64, seed=4), FPS),
        "faststart": write_clip(d / "faststart.mp4", scene(20, 96, 64, seed=5), FPS, faststart=True),
        "pan": write_clip(d / "pan.mp4", moving_scene(20, 128, 96, *CAMERA["pan"], seed=8), FPS, audio=False),
        "zoom": write_clip(
            d / "zoom.mp4", moving_scene(20, 128, 96, *CAMERA["zoom"], seed=9), FPS, audio=False
        ),
    }


def leftovers(folder) -> list[str]:
    """Temporary files of an output (`.NAME.*.part.mp4`) still in the folder."""
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_stylize_clip_keeps_frames_times_rate_and_sound_and_still_areas_steady(clips, env, tmp_path):
    before = sha256(clips["shot"])
    out = tmp_path / "styled.mp4"
    res = ok(run(["stylize", clips["shot"], "--style", "udnie", "-o", out], env))
    assert res.stdout.strip() == str(out)
    assert sha256(clips["shot"]) == before
    assert leftovers(tmp_path) == []
    src, dst = decode(clips["shot"]), decode(out)
    assert len(dst["frames"]) == len(src["frames"]) == 20
    assert dst["rate"] == src["rate"] == FPS
    assert dst["pts"] == src["pts"]  # every frame at its own time
    assert dst["frames"].shape == src["frames"].shape
    assert dst["codec"] == "h264" and dst["pix_fmt"] == "yuv420p"
    # The sound is copied, packet for packet: same codec, same bytes, same length (within a frame).
    assert dst["audio"]["codec"] == src["audio"]["codec"] == "aac"
    assert dst["audio"]["payloads"] == src["audio"]["payloads"]
    assert abs(dst["audio"]["seconds"] - src["audio"]["seconds"]) <= 1 / FPS
    # Stylized, not copied.
    assert np.abs(dst["frames"].astype(float) - src["frames"]).mean() > 10
    # Flicker as benchmarks/flicker_quality.py measures it (frames for slices), the ball's motion
    # included (its change grows with the style's contrast; frame by frame this clip gives 2.4x) ...
    ratio = flicker(dst["frames"]) / flicker(src["frames"])
    assert ratio <= 1.2, f"flicker {ratio:.3f}x the input's"
    # ... and where the picture is still, where every change is flicker (the camera's noise, which a
    # generator painting frame by frame turns into boiling texture): no more than the input's.
    from scipy.ndimage import maximum_filter

    moving = np.abs(np.diff(src["frames"].astype(float), axis=0)).max(-1) > 20
    still = ~maximum_filter(moving, size=(1, 9, 9))
    change_in = np.abs(np.diff(src["frames"].astype(float), axis=0)).mean(-1)[still].mean()
    change_out = np.abs(np.diff(dst["frames"].astype(float), axis=0)).mean(-1)[still].mean()
    assert change_out <= change_in, f"still areas change {change_out:.2f} vs the input's {change_in:.2f}"


def test_stylized_locked_off_shot_flickers_no_more_than_the_input(clips, env, tmp_path):
    """benchmarks/flicker_quality.py's measure (frames for slices) on a shot where nothing moves: all the
    input's frame-to-frame change is a camera's noise and a drift of exposure."""
    out = tmp_path / "styled.mp4"
    ok(run(["stylize", clips["still"], "-o", out], env))
    src, dst = decode(clips["still"]), decode(out)
    assert len(dst["frames"]) == len(src["frames"])
    ratio = flicker(dst["frames"]) / flicker(src["frames"])
    assert ratio <= 1.2, f"flicker {ratio:.3f}x the input's"
    assert dst["audio"] is None and src["audio"] is None  # no sound in, none out
    # --no-hold paints every frame afresh: the camera's noise comes back as boiling texture.
    ok(run(["stylize", clips["still"], "--no-hold", "-o", out], env))
    boiling = flicker(decode(out)["frames"]) / flicker(src["frames"])
    assert boiling > 1.2 and boiling > 3 * ratio, f"--no-hold {boiling:.3f} vs {ratio:.3f}"


@pytest.mark.parametrize("kind", ["pan", "zoom"])
def test_a_moving_camera_is_painted_steadily_along_its_motion(clips, env, tmp_path, kind):
    """Where the whole picture moves, the painting moves with it instead of boiling. Measured after
    compensating the camera's (known) motion: no more than 1.2x the input's change, or, where moving
    a high-contrast painting by fractions of a pixel alone scores more (the zoom), than 1.2x what a
    painting fixed to the scene scores; and the held frames keep that painting's detail (carried
    along, not smeared)."""
    out, fresh = tmp_path / "held.mp4", tmp_path / "fresh.mp4"
    ok(run(["stylize", clips[kind], "-o", out], env))
    ok(run(["stylize", clips[kind], "--no-hold", "-o", fresh], env))
    src, held, afresh = (decode(p)["frames"] for p in (clips[kind], out, fresh))
    assert len(held) == len(src) == 20
    assert np.abs(held.astype(float) - src).mean() > 10  # stylized, not copied
    change = {
        name: compensated_flicker(frames, *CAMERA[kind])
        for name, frames in (("input", src), ("held", held), ("afresh", afresh))
    }
    fixed = glued_painting(
        20, 128, 96, *CAMERA[kind], "chelsea.png", tmp_path,
        lambda src, dst: ok(run(["stylize", src, "-o", dst], env)), FPS,
    )  # fmt: skip
    change["fixed"] = compensated_flicker(fixed, *CAMERA[kind])
    assert change["held"] <= 1.2 * max(change["input"], change["fixed"]), change
    assert change["held"] < 0.8 * change["afresh"], change
    # Detail against the glued painting, not the frames painted afresh: those boil with grain, and
    # a zoom magnifies a glued painting's strokes as it does the picture's.
    kept = detail(held[-5:]) / detail(fixed[-5:])
    assert kept >= 0.9, f"{kind}: the held frames keep {kept:.2f} of the glued painting's detail"


def test_without_opencv_the_hold_is_a_clear_error_and_no_hold_still_works(clips, env, tmp_path):
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['cv2'] = None  # as if not installed\n")
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(hide), env.get("PYTHONPATH")]))}
    out = tmp_path / "out.mp4"
    res = run(["stylize", clips["still"], "-o", out], env)
    assert res.returncode == 2 and "needs OpenCV" in res.stderr and "--no-hold" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not out.exists()
    ok(run(["stylize", clips["still"], "--no-hold", "-o", out], env))
    assert len(decode(out)["frames"]) == 20


def test_fuse_two_clips_pairs_frames_and_keeps_a_sound(clips, env, tmp_path):
    out = tmp_path / "fused.mp4"
    before = sha256(clips["other"])
    ok(run(["fuse", clips["shot"], clips["other"], "-o", out], env))
    assert sha256(clips["other"]) == before
    src, dst = decode(clips["shot"]), decode(out)
    assert len(dst["frames"]) == 20 and dst["rate"] == FPS and dst["pts"] == src["pts"]
    assert dst["audio"]["payloads"] == src["audio"]["payloads"]
    assert leftovers(tmp_path) == []


def test_fuse_clips_of_different_length_stop_at_the_shorter(clips, env, tmp_path):
    out = tmp_path / "fused.mp4"
    res = ok(run(["fuse", clips["shot"], clips["short"], "-o", out], env))
    assert "warning" in res.stderr and str(clips["shot"]) in res.stderr
    dst = decode(out)
    assert len(dst["frames"]) == 12
    # A's sound, cut where the picture ends (within one packet of AAC: 1024 samples).
    assert 12 / FPS - 1 / FPS <= dst["audio"]["end"] <= 12 / FPS + 1024 / 22050 + 1e-6


def test_fuse_clips_of_different_size_is_a_clear_error(clips, env, tmp_path):
    out = tmp_path / "fused.mp4"
    res = run(["fuse", clips["shot"], clips["wide"], "-o", out], env)
    assert res.returncode == 2 and "differ in size" in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["faststart", "shot"], ids=["index-first", "index-last"])
def test_truncated_clip_is_one_line_and_leaves_nothing(clips, env, tmp_path, kind):
    """A cut-off download: with the MP4 index first it opens and runs out of frames midway (after some
    output was written), with the index last it does not open at all."""
    data = clips[kind].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    out = tmp_path / "out.mp4"
    res = run(["stylize", cut, "-o", out], env)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stylefuse: error:") and str(cut) in lines[0]
    assert "truncated" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["stylize", "{text}", "-o", "{out}"], "cannot read as a video"),
        (["stylize", "{clip}", "-o", "{tmp}/out.png"], "cannot write video as .png"),
        (["stylize", "{clip}", "-o", "{clip}"], "is the input file"),
        (["stylize", "{clip}", "-o", "{tmp}/missing/out.mp4"], "does not exist"),
        (["stylize", "{photo}", "-o", "{out}"], "video in, video out"),
        (["stylize", "{clip}", "{text}", "-o", "{tmp}/outdir"], "one at a time"),
    ],
    ids=["not-a-video", "image-output", "overwrite", "no-folder", "image-to-video", "batch"],
)
def test_video_mistakes_are_one_line(clips, env, tmp_path, args, message):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    names = {
        "text": text,
        "out": tmp_path / "out.mp4",
        "clip": clips["shot"],
        "tmp": tmp_path,
        "photo": tmp_path / "photo.png",
    }
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(names["photo"])
    before = sha256(clips["shot"])
    res = run([a.format(**names) for a in args], env)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert sha256(clips["shot"]) == before
    assert not (tmp_path / "out.mp4").exists() and leftovers(tmp_path) == []


def test_without_pyav_the_error_names_the_extra(clips, env, tmp_path):
    """PyAV missing (an install without the extra): `sys.modules['av'] = None` makes `import av` fail."""
    code = (
        "import sys; sys.modules['av'] = None\n"
        "from stylefuse.cli import main\n"
        f"sys.exit(main(['stylize', {str(clips['shot'])!r}, '-o', {str(tmp_path / 'o.mp4')!r}]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "pip install 'stylefuse[video]'" in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_does_not_import_pyav(env):
    code = (
        "import sys\nfrom stylefuse.cli import main\n"
        "try:\n    main(['stylize', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('av' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.stdout.strip().splitlines()[-1] == "False"


def test_interrupted_clip_leaves_no_output(env, tmp_path):
    """SIGTERM (as Ctrl-C) while frames are being written: exit 130, no output, no temporary file."""
    clip = write_clip(tmp_path / "long.mp4", scene(48, 320, 240, seed=6), FPS)
    out = tmp_path / "out.mp4"
    proc = subprocess.Popen(
        [str(BIN), "stylize", str(clip), "--tile-size", "64", "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # the temporary output appears when the first part is being encoded
    assert proc.poll() is None and leftovers(tmp_path), "finished before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]
    assert os.path.getsize(clip) > 0


def test_one_progress_bar_counts_frames_on_a_terminal(clips, env, tmp_path):
    """With stderr on a terminal: one tqdm bar, in frames, its total the container's frame count."""
    code, text = run_on_terminal(["stylize", str(clips["shot"]), "-o", str(tmp_path / "o.mp4")], env)
    assert code == 0, text
    assert "frame" in text and "/20" in text and "20/20" in text, text
    assert text.count("stylize (") == text.count("stylize (udnie)") >= 1  # one bar, one label
    assert "tile" not in text


def test_synthesis_paints_a_clip_across_parts(env, tmp_path):
    """--method synthesis on a clip of two parts (16 + 2 frames): the patch choices carry over, so the
    first frame of the second part continues the last of the first (checked bit for bit in
    tests/unit/test_stack_parts.py); here the CLI wiring: every frame there, painted, at its time."""
    from PIL import Image

    clip = write_clip(tmp_path / "clip.mp4", scene(18, 64, 48, seed=8, ball=False), FPS)
    painting = tmp_path / "painting.png"
    Image.open(EXAMPLES / "udnie.jpg").resize((64, 64)).save(painting)
    out = tmp_path / "painted.mp4"
    ok(
        run(
            [
                "stylize",
                clip,
                "--style",
                painting,
                "--method",
                "synthesis",
                "--synthesis-size",
                "64",
                "-o",
                out,
            ],
            env,
        )
    )
    src, dst = decode(clip), decode(out)
    assert len(dst["frames"]) == 18 and dst["pts"] == src["pts"] and dst["rate"] == FPS
    assert np.abs(dst["frames"].astype(float) - src["frames"]).mean() > 5
    # Synthesis repaints a still shot at ~14x the input's change frame by frame; carried patch choices
    # and the hold bring it to ~1.8x (measured 1.77; H.264 on painted texture adds some of it).
    assert flicker(dst["frames"]) / flicker(src["frames"]) <= 2.5
