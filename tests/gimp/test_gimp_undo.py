"""Undo in the real GIMP 3 GUI (under Xvfb): each run of the plug-in is exactly one undo step.

GIMP 3 offers no undo procedure to scripts, so this drives the GUI: GIMP opens the image in a
window on a private Xvfb display, the batch script runs the plug-in twice (replace, then new layer),
and Ctrl+Z is typed into the window with xdotool, checking the image after each press.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
from gimprun import REPO

UNDO_SCRIPT = """
import os, time
from gi.repository import Gegl, Gimp, Gio

def wait(name):
    for _ in range(1200):
        if os.path.exists(SPEC_DIR + "/" + name):
            return
        time.sleep(0.1)
    raise RuntimeError("no " + name)

def pixels(layer):
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return bytes(layer.get_buffer().get(rect, 1.0, "R'G'B' u8", Gegl.AbyssPolicy.NONE))

def note(name, text):
    with open(SPEC_DIR + "/" + name + ".tmp", "w") as f:
        f.write(text)
    os.rename(SPEC_DIR + "/" + name + ".tmp", SPEC_DIR + "/" + name)

image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(SPEC_DIR + "/in.png"))
Gimp.Display.new(image)
Gimp.displays_flush()
layer = image.get_layers()[0]
original = pixels(layer)
proc = Gimp.get_pdb().lookup_procedure("plug-in-stylefuse-style-transfer")
statuses = []
for output in ["replace", "new-layer"]:
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", [layer])
    cfg.set_property("server-url", SERVER_URL)
    cfg.set_property("output", output)
    statuses.append(proc.run(cfg).index(0).value_nick)
replaced = pixels(layer)
note("ran", "%s %d %d" % ("+".join(statuses), len(image.get_layers()), replaced != original))
wait("undo1")
note("after1", "%d %d" % (len(image.get_layers()), pixels(layer) == replaced))
wait("undo2")
note("after2", "%d %d" % (len(image.get_layers()), pixels(layer) == original))
"""


def _start_xvfb():
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-listen", "tcp", "-ac", "-screen", "0", "1280x900x24"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    return proc, number


def _stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_file(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return path.read_text()
        time.sleep(0.1)
    return None


def test_each_run_is_one_undo_step(gimp_session, server_url):
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"{tool} is not installed (apt-get install xvfb xdotool; ./scripts/test does it as root)"
            )
    s = gimp_session
    shutil.copy(REPO / "core" / "stylefuse" / "examples" / "chelsea.png", s.dir / "in.png")
    (s.dir / "undo.py").write_text(f"SERVER_URL = {server_url!r}\n" + UNDO_SCRIPT)
    xvfb, number = _start_xvfb()
    gimp = None
    try:
        code = f'SPEC_DIR = "{s.inner}"; exec(open("{s.inner}/undo.py").read())'
        gimp = subprocess.Popen(
            [
                "chroot",
                str(s.root),
                "env",
                "-i",
                f"HOME={s.inner}/home",
                "PATH=/usr/bin:/bin",
                "LANG=C.UTF-8",
                f"GIMP3_DIRECTORY={s.inner}/cfg",
                f"DISPLAY=127.0.0.1:{number}",
                "gimp-3.0",
                "-n",
                "-s",
                "--batch-interpreter=python-fu-eval",
                "-b",
                code,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        ran = _wait_file(s.dir / "ran", 180)
        assert ran is not None, "GIMP did not run the plug-in"
        assert ran == "success+success 2 1", ran  # both runs succeeded, one new layer, source replaced

        env = dict(os.environ, DISPLAY=f":{number}")
        windows = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "GIMP"], env=env, capture_output=True, text=True
        ).stdout.split()
        assert windows, "no GIMP window"

        def ctrl_z(step):
            subprocess.run(["xdotool", "windowfocus", "--sync", windows[-1]], env=env, check=True)
            subprocess.run(["xdotool", "key", "ctrl+z"], env=env, check=True)
            time.sleep(1.5)
            (s.dir / f"undo{step}").write_text("")
            return _wait_file(s.dir / f"after{step}", 30)

        # first Ctrl+Z: the new layer goes (all of the second run), the replaced pixels stay
        assert ctrl_z(1) == "1 1"
        # second Ctrl+Z: the first run's pixels are the original again
        assert ctrl_z(2) == "1 1"
    finally:
        if gimp is not None:
            _stop(gimp)
        _stop(xvfb)
