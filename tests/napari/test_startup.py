"""The manifest is valid and napari starts with the plugin installed without importing torch."""

import json
import subprocess
import sys

from npe2 import PluginManifest

STARTUP = r"""
import json, sys
import napari
viewer = napari.Viewer(show=False)
from npe2 import PluginManager
pm = PluginManager.instance()
print(json.dumps({"torch": "torch" in sys.modules, "registered": "stylefuse" in pm._manifests,
                  "plugin_modules": sorted(m for m in sys.modules if m.startswith("stylefuse"))}))
viewer.close()
"""


def test_manifest_is_valid_and_found():
    manifest = PluginManifest.from_distribution("stylefuse")
    assert manifest.name == "stylefuse"
    widgets = {w.display_name for w in manifest.contributions.widgets}
    assert widgets == {"Style transfer", "Fuse layers", "Train style"}
    menus = manifest.contributions.menus
    assert any(
        getattr(item, "submenu", None) == "stylefuse/style_fusion" for item in menus["napari/layers/filter"]
    )
    commands = {getattr(item, "command", None) for item in menus["stylefuse/style_fusion"]}
    assert {
        "stylefuse.stylize_default",
        "stylefuse.fuse_selected",
        "stylefuse.open_style_widget",
        "stylefuse.open_fuse_widget",
        "stylefuse.open_train_widget",
    } <= commands


def test_npe2_validate_command():
    npe2 = [sys.executable, "-m", "npe2", "validate", "stylefuse"]
    done = subprocess.run(npe2, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr


def test_napari_starts_without_importing_torch():
    done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["registered"], "napari did not discover the stylefuse plugin"
    assert state["torch"] is False, (
        f"torch was imported at start-up (stylefuse modules: {state['plugin_modules']})"
    )
