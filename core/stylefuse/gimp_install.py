"""`stylefuse gimp-install`: copy the GIMP 3 plug-in folder into GIMP's user plug-ins folder.

GIMP 3 looks for `<plug-ins>/<name>/<name>.py` and ignores a plug-in file that is not executable,
so the copy gets its executable bits set. Beside it, `installed.json` records how to run this
installation's core (`python -m stylefuse.cli` of this interpreter) and its models: the plug-in runs
the core itself in a subprocess when no server answers, and offers the models as a choice.
GIMP's user folder: $GIMP3_DIRECTORY when set, else Linux `$XDG_CONFIG_HOME/GIMP/3.0` (~/.config/GIMP/3.0; Flatpak: ~/.var/app/org.gimp.GIMP/config/GIMP/3.0),
macOS `~/Library/Application Support/GIMP/3.0`, Windows `%APPDATA%\\GIMP\\3.0`.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from .errors import UserError

PLUGIN_NAME = "stylefuse-gimp"
GIMP_SERIES = "3.0"
RECORD_FILE = "installed.json"


def plugin_source() -> Path:
    """The plug-in folder shipped with this installation (wheel package data or the checkout)."""
    import importlib.util

    candidates = []
    try:  # a data-only (namespace) package: look in each of its folders
        spec = importlib.util.find_spec("stylefuse_gimp_plugin")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidates.append(Path(location) / PLUGIN_NAME)
    candidates.append(Path(__file__).resolve().parents[2] / "gimp_plugin" / PLUGIN_NAME)  # source checkout
    for c in candidates:
        if (c / f"{PLUGIN_NAME}.py").is_file():
            return c
    raise UserError("the GIMP plug-in files are missing from this installation; reinstall stylefuse")


def default_gimp_dir(platform: str | None = None, env: dict | None = None, home: Path | None = None) -> Path:
    platform = platform or sys.platform
    env = os.environ if env is None else env
    home = home or Path.home()
    if env.get("GIMP3_DIRECTORY"):
        return Path(env["GIMP3_DIRECTORY"])
    if platform.startswith("win"):
        base = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(base) / "GIMP" / GIMP_SERIES
    if platform == "darwin":
        return home / "Library" / "Application Support" / "GIMP" / GIMP_SERIES
    flatpak = home / ".var" / "app" / "org.gimp.GIMP" / "config" / "GIMP" / GIMP_SERIES
    native = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP" / GIMP_SERIES
    if flatpak.is_dir() and not native.is_dir():
        return flatpak
    return native


def installation_record() -> dict:
    """What the plug-in needs to run this installation's core without a server, and its models."""
    from . import __version__
    from .registry import default_model_name, list_models

    defaults = set()
    for task in ("style", "fuse"):
        try:
            defaults.add(default_model_name(task))
        except UserError:  # no model of that task installed
            pass
    models = [
        {
            "name": e.name,
            "task": e.task,
            "channels": e.card.get("channels"),
            "has_default_style": bool(e.card.get("has_default_style")),
            "default": e.name in defaults,
        }
        for e in list_models()
    ]
    return {
        "format_version": 1,
        "stylefuse_version": __version__,
        "command": [sys.executable, "-m", "stylefuse.cli"],
        "models": models,
    }


def install(gimp_dir: Path | None = None) -> Path:
    """Copy the plug-in into <gimp_dir>/plug-ins/stylefuse-gimp (replacing an older copy), with the
    installation record (RECORD_FILE) of this interpreter."""
    import json

    src = plugin_source()
    target = Path(gimp_dir or default_gimp_dir()) / "plug-ins" / PLUGIN_NAME
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is not a folder")
    tmp = target.with_name(f".{PLUGIN_NAME}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    main = tmp / f"{PLUGIN_NAME}.py"
    main.chmod(main.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (tmp / RECORD_FILE).write_text(json.dumps(installation_record(), indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def uninstall(gimp_dir: Path | None = None) -> Path | None:
    target = Path(gimp_dir or default_gimp_dir()) / "plug-ins" / PLUGIN_NAME
    if not target.exists():
        return None
    shutil.rmtree(target)
    return target
