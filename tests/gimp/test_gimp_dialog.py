"""The Style Transfer dialog in the real GIMP 3 GUI (under Xvfb), with no server: it opens with the
Model and Method choices and says where the work will run; Cancel leaves the image as it was.

STYLEFUSE_GIMP_DIALOG_PNG=docs/gimp/dialog.png re-makes the documentation's picture of the dialog.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from gimprun import REPO, GimpSession, gimp_root, skip_reason
from test_gimp_local import free_url
from test_gimp_undo import _start_xvfb, _stop, _wait_file

DIALOG_SCRIPT = """
import os
from gi.repository import Gimp, Gio

image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(SPEC_DIR + "/in.png"))
Gimp.Display.new(image)
layer = image.get_layers()[0]
image.clean_all()
proc = Gimp.get_pdb().lookup_procedure("plug-in-stylefuse-style-transfer")
cfg = proc.create_config()
cfg.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
cfg.set_property("image", image)
cfg.set_core_object_array("drawables", [layer])
cfg.set_property("server-url", SERVER_URL)
status = proc.run(cfg).index(0).value_nick
with open(SPEC_DIR + "/ran.tmp", "w") as f:
    f.write("%s %d %d" % (status, len(image.get_layers()), image.is_dirty()))
os.rename(SPEC_DIR + "/ran.tmp", SPEC_DIR + "/ran")
"""


def test_dialog_offers_model_and_method_and_cancel_leaves_the_image():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"{tool} is not installed (apt-get install xvfb xdotool; ./scripts/test does it as root)"
            )
    s = GimpSession(gimp_root(), local_core=True)
    xvfb = gimp = None
    try:
        shutil.copy(REPO / "core" / "stylefuse" / "examples" / "chelsea.png", s.dir / "in.png")
        (s.dir / "dialog.py").write_text(f"SERVER_URL = {free_url()!r}\n" + DIALOG_SCRIPT)
        xvfb, number = _start_xvfb()
        cmd = s.command("dialog.py", display=f"127.0.0.1:{number}")
        gimp = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        env = dict(os.environ, DISPLAY=f":{number}")
        window = None
        deadline = time.monotonic() + 240
        while window is None and time.monotonic() < deadline:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^Style Transfer"],
                env=env,
                capture_output=True,
                text=True,
            ).stdout.split()
            window = found[-1] if found else None
            time.sleep(0.5)
        assert window, "the Style Transfer dialog did not open"
        time.sleep(2)  # drawn
        geometry = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window], env=env, capture_output=True, text=True
        ).stdout
        box = dict(line.split("=") for line in geometry.split())
        picture = os.environ.get("STYLEFUSE_GIMP_DIALOG_PNG")
        if picture:
            from PIL import ImageGrab

            x, y, w, h = (int(box[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
            ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=f":{number}").save(picture)
        assert int(box["HEIGHT"]) > 200, "the dialog has hardly any fields"
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True)
        subprocess.run(["xdotool", "key", "Escape"], env=env, check=True)
        ran = _wait_file(s.dir / "ran", 60)
        assert ran == "cancel 1 0", ran  # cancelled, no layer added, the image not dirty
    finally:
        if gimp is not None:
            _stop(gimp)
        if xvfb is not None:
            _stop(xvfb)
        s.close()
