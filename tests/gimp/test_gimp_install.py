"""`stylefuse gimp-install`: copies the plug-in folder into GIMP 3's user plug-ins folder."""

import os
import stat
from pathlib import Path

from stylefuse.cli import main
from stylefuse.gimp_install import default_gimp_dir, plugin_source


def test_plugin_source_has_no_module_named_stylefuse():
    src = plugin_source()
    names = {p.stem for p in src.glob("*.py")}
    assert {"stylefuse-gimp", "sfclient"} <= names and "stylefuse" not in names


def test_install_and_uninstall(tmp_path, capsys):
    assert main(["gimp-install", "--gimp-dir", str(tmp_path)]) == 0
    target = tmp_path / "plug-ins" / "stylefuse-gimp"
    plugin = target / "stylefuse-gimp.py"
    assert plugin.is_file() and (target / "sfclient.py").is_file()
    assert plugin.stat().st_mode & stat.S_IXUSR, "GIMP ignores a plug-in file that is not executable"
    assert "stylefuse serve" in capsys.readouterr().out
    assert main(["gimp-install", "--gimp-dir", str(tmp_path)]) == 0  # again: replaces the copy
    assert main(["gimp-install", "--gimp-dir", str(tmp_path), "--uninstall"]) == 0
    assert not target.exists()
    assert main(["gimp-install", "--gimp-dir", str(tmp_path), "--uninstall"]) == 0


def test_default_folders_per_platform(tmp_path):
    home = tmp_path
    assert default_gimp_dir("linux", {}, home) == home / ".config" / "GIMP" / "3.0"
    assert default_gimp_dir("linux", {"XDG_CONFIG_HOME": "/x"}, home) == Path("/x/GIMP/3.0")
    assert default_gimp_dir("darwin", {}, home) == home / "Library" / "Application Support" / "GIMP" / "3.0"
    assert (
        default_gimp_dir("win32", {"APPDATA": "C:/Users/u/AppData/Roaming"}, home)
        == Path("C:/Users/u/AppData/Roaming") / "GIMP" / "3.0"
    )
    assert default_gimp_dir("linux", {"GIMP3_DIRECTORY": "/g"}, home) == Path("/g")
    flatpak = home / ".var" / "app" / "org.gimp.GIMP" / "config" / "GIMP" / "3.0"
    os.makedirs(flatpak)
    assert default_gimp_dir("linux", {}, home) == flatpak


def test_install_records_the_core_to_run_and_its_models(tmp_path):
    import json
    import sys

    from stylefuse.registry import default_model_name, list_models

    assert main(["gimp-install", "--gimp-dir", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "plug-ins" / "stylefuse-gimp" / "installed.json").read_text())
    assert record["command"] == [sys.executable, "-m", "stylefuse.cli"]
    assert [m["name"] for m in record["models"]] == [e.name for e in list_models()]
    assert {m["name"] for m in record["models"] if m["default"]} == {
        default_model_name("style"),
        default_model_name("fuse"),
    }
    assert all(m["task"] in ("style", "fuse") for m in record["models"])
