"""The plug-in's server-less machinery without GIMP: its temporary TIFFs against stylefuse.io (tifffile),
the watchdog that stops the core and removes the files when the plug-in dies, progress parsing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from gimprun import PLUGIN_DIR

sys.path.insert(0, str(PLUGIN_DIR))
import sflocal  # noqa: E402

KINDS = {"u8": np.uint8, "u16": np.uint16, "float": np.float32}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_temporary_tiffs_agree_with_stylefuse_io(tmp_path, kind, channels):
    from stylefuse.io import read_image, write_image

    rng = np.random.default_rng(channels)
    scale = {"u8": 255, "u16": 65535, "float": 3.5}[kind]
    a = (rng.random((37, 53, channels)) * scale).astype(KINDS[kind])
    sflocal.write_tiff(tmp_path / "plugin.tif", 53, 37, channels, kind, a.tobytes())
    got = read_image(tmp_path / "plugin.tif").array.reshape(37, 53, channels)
    assert got.dtype == a.dtype and np.array_equal(got, a)
    write_image(tmp_path / "core.tif", a if channels > 1 else a[..., 0])  # as the CLI writes its result
    width, height, ch, k, data = sflocal.read_tiff(tmp_path / "core.tif")
    assert (width, height, ch, k) == (53, 37, channels, kind)
    assert np.array_equal(np.frombuffer(data, KINDS[kind]).reshape(37, 53, channels), a)


def test_core_command_says_how_to_fix_a_missing_or_moved_core(tmp_path):
    with pytest.raises(sflocal.LocalError, match="stylefuse gimp-install"):
        sflocal.core_command(None)
    with pytest.raises(sflocal.LocalError, match="is gone.*stylefuse gimp-install"):
        sflocal.core_command({"command": [str(tmp_path / "no-python"), "-m", "stylefuse.cli"]})
    assert sflocal.core_command({"command": [sys.executable, "-m", "stylefuse.cli"]})[:1] == [sys.executable]
    assert sflocal.load_record(tmp_path / "missing.json") is None


def test_progress_of_the_core_bar_reaches_the_plugin(tmp_path):
    bar = textwrap.dedent("""
        import sys, time
        from tqdm import tqdm
        with tqdm(total=4, desc="stylize", unit="tile", file=sys.stderr, disable=None) as t:
            for _ in range(4):
                time.sleep(0.3); t.update(1)
        print("stylefuse: done", file=sys.stderr)
    """)
    seen, pulses = [], []
    with sflocal.LocalRun(str(tmp_path)) as run:
        folder = run.dir
        code = run.run([sys.executable, "-c", bar], seen.append, lambda: pulses.append(1))
    assert code == 0
    assert seen and seen[-1] == 1.0 and seen == sorted(seen), seen
    assert "stylefuse: done" in run.messages
    assert not os.path.exists(folder)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_watchdog_stops_the_core_and_removes_its_folder_when_the_plugin_is_killed(tmp_path):
    # a stand-in plug-in: starts a long command through LocalRun, reports, waits to be killed
    plugin = textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(PLUGIN_DIR)!r})
        import sflocal
        run = sflocal.LocalRun({str(tmp_path)!r})
        open(run.path("source.tif"), "wb").write(b"x" * 1000)
        print(json.dumps({{"dir": run.dir}}), flush=True)
        run.run([sys.executable, "-c", "import time; time.sleep(120)"], lambda f: None, lambda: None)
    """)
    proc = subprocess.Popen([sys.executable, "-c", plugin], stdout=subprocess.PIPE, text=True)
    folder = Path(json.loads(proc.stdout.readline())["dir"])
    core = None
    for _ in range(100):
        core = _children_running(folder)
        if core:
            break
        time.sleep(0.1)
    assert core, "the command never started"
    os.kill(proc.pid, signal.SIGKILL)  # what GIMP does to a plug-in whose progress is cancelled
    proc.wait()
    deadline = time.time() + 20
    while time.time() < deadline and (folder.exists() or _alive(core)):
        time.sleep(0.1)
    assert not _alive(core), "the command outlived the plug-in"
    assert not folder.exists(), "the temporary folder outlived the plug-in"


def _children_running(folder: Path) -> list[int]:
    """PIDs of `sleep(120)` commands started by the watchdog of `folder`."""
    watchdogs = [
        p for p, argv in _procs().items() if str(folder) in argv and any("sfwatch" in a for a in argv)
    ]
    return [
        p for p, argv in _procs().items() if "time.sleep(120)" in " ".join(argv) and _ppid(p) in watchdogs
    ]


def _procs() -> dict[int, list[str]]:
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                out[int(pid)] = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                pass
    return out


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _alive(pids: list[int]) -> bool:
    alive = False
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            alive |= state != "Z"
        except OSError:
            pass
    return alive


def test_model_choice_is_stable_between_registration_and_runs(tmp_path, monkeypatch):
    import sfchoices

    record = {
        "models": [
            {"name": "udnie", "task": "style", "has_default_style": True, "default": True},
            {"name": "arbitrary", "task": "style", "has_default_style": False},
            {"name": "fuse-general", "task": "fuse", "default": True},
        ]
    }
    monkeypatch.setattr(sflocal, "load_record", lambda path=None: record)
    monkeypatch.setattr(sfchoices, "server_models", lambda: [("served-only", "style", True, False)])
    monkeypatch.setattr(sflocal, "list_models", lambda rec: [("added-later", "style", True, False)])
    registered = sfchoices.known_models(str(tmp_path), registering=True)
    names = [m[0] for m in registered]
    assert names == ["udnie", "arbitrary", "fuse-general", "added-later", "served-only"]
    # a later run: no server, the core not asked; the choice still offers every registered name
    monkeypatch.setattr(sfchoices, "server_models", lambda: [])
    monkeypatch.setattr(
        sflocal, "list_models", lambda rec: pytest.fail("the core is asked only at registration")
    )
    assert {m[0] for m in sfchoices.known_models(str(tmp_path), registering=False)} == set(names)
    style = sfchoices.entries(registered, "style")
    assert style[0] == ("default", "Default style model")
    assert [n for n, _ in style[1:]] == ["udnie", "arbitrary", "added-later", "served-only"]
    assert dict(style)["arbitrary"].endswith("(needs a reference layer)")
    assert [n for n, _ in sfchoices.entries(registered, "fuse")] == ["default", "fuse-general"]


def test_no_server_listed_when_nothing_answers():
    import socket

    import sfchoices

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = time.monotonic()
    assert sfchoices.server_models(f"http://127.0.0.1:{port}") == []
    assert time.monotonic() - t < 2
