"""The GIMP 3 plug-in with NO server: it runs the stylefuse core that `stylefuse gimp-install` recorded,
in a subprocess on temporary files, inside a real GIMP 3 (trixie root; this checkout and its Python
are bind-mounted at their own paths, as on a machine where GIMP and stylefuse sit side by side).

One GIMP session runs every case; the last one is cancelled the way GIMP cancels a plug-in (the
progress bar's cancel closes the plug-in and kills its process): the core must stop, the image must
stay as it was and no temporary file may be left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gimprun import REPO, GimpSession, gimp_root, skip_reason
from test_gimp_plugin import Result, scene, write_inputs

CANCEL = "cancel_synthesis"


def free_url() -> str:
    """A URL on a free port: no server answers there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def cases(url: str) -> list[dict]:
    sel = [10, 8, 34, 24, 6]
    synth = {"server-url": url, "method": "synthesis", "style-source": "layer", "reference-layer": "@second"}
    return [
        {
            "name": "local_rgb8_default",
            "input": "rgb8.png",
            "proc": "style",
            "runs": [{"args": {"server-url": url}}],
        },
        {
            "name": "local_rgb8_mondrian",
            "input": "rgb8.png",
            "proc": "style",
            "runs": [{"args": {"server-url": url, "model": "mondrian"}}],
        },
        {
            "name": "local_rgba8_sel",
            "input": "rgba8.png",
            "proc": "style",
            "selection": sel,
            "runs": [
                {"args": {"server-url": url, "model": "udnie", "strength": 0.8, "preserve-colors": True}}
            ],
        },
        {
            "name": "local_gray16",
            "input": "gray16.png",
            "proc": "style",
            "runs": [{"args": {"server-url": url}}],
        },
        {
            "name": "local_float_fuse",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "precision": "float-linear",
            "proc": "fuse",
            "runs": [{"args": {"server-url": url, "model": "fuse-general", "second-layer": "@second"}}],
        },
        {  # the Model choice's first entry ("auto (by image kind)"): `stylefuse fuse` without --model
            "name": "local_fuse_auto_scans",
            "input": "brain_t1.png",
            "second": "brain_pd.png",
            "proc": "fuse",
            "runs": [{"args": {"server-url": url, "second-layer": "@second"}}],
        },
        {
            "name": "local_fuse_auto_photos",
            "input": "near.png",
            "second": "far.png",
            "proc": "fuse",
            "runs": [{"args": {"server-url": url, "second-layer": "@second"}}],
        },
        {
            "name": "local_synthesis",
            "input": "photo64.png",
            "second": "painting.png",
            "proc": "style",
            "runs": [{"args": synth}],
        },
        {
            "name": "synthesis_without_reference",
            "input": "photo64.png",
            "proc": "style",
            "runs": [{"args": {"server-url": url, "method": "synthesis"}}],
        },
        {
            "name": "model_without_own_style",
            "input": "photo64.png",
            "proc": "style",
            "runs": [{"args": {"server-url": url, "model": "arbitrary"}}],
        },
        {
            "name": "local_last_vals",
            "input": "rgb8.png",
            "proc": "style",
            "runs": [{"mode": "last-vals", "args": {"server-url": url, "model": "udnie", "strength": 0.5}}],
        },
        {
            "name": CANCEL,
            "input": "photo256.png",
            "second": "painting.png",
            "proc": "style",
            "runs": [{"args": synth}],
        },
    ]


def write_local_inputs(folder: Path) -> dict:
    from stylefuse.io import read_image, write_image

    arrays = write_inputs(folder)
    painting = read_image(REPO / "core" / "stylefuse" / "examples" / "udnie.jpg").array
    write_image(folder / "painting.png", painting[:96, :96, :3])
    write_image(folder / "photo64.png", (scene(5, 64, 64) * 255).round().astype(np.uint8))
    write_image(folder / "photo256.png", (scene(6, 256, 256) * 255).round().astype(np.uint8))
    for name in ("brain_t1", "brain_pd"):
        arrays[name] = read_image(REPO / "core" / "stylefuse" / "examples" / f"{name}.png").array
        write_image(folder / f"{name}.png", arrays[name])
    arrays["near"], arrays["far"] = focus_pair()
    write_image(folder / "near.png", arrays["near"])
    write_image(folder / "far.png", arrays["far"])
    return arrays


def focus_pair() -> tuple[np.ndarray, np.ndarray]:
    """Two photos of one scene, the left half sharp in one and the right half in the other."""
    from scipy import ndimage

    photo = (scene(9, 96, 112) * 255).round().astype(np.uint8)
    blurred = np.round(ndimage.gaussian_filter(photo.astype(np.float64), (2, 2, 0))).astype(np.uint8)
    left = (np.arange(112) < 56)[None, :, None]
    return np.where(left, photo, blurred), np.where(left, blurred, photo)


def _processes(marker: str) -> dict[int, list[str]]:
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(marker in a for a in argv):
            found[int(pid)] = argv
    return found


class Canceller(threading.Thread):
    """When the cancel case's core runs: kill the plug-in's process, as GIMP's cancel does."""

    def __init__(self, session: GimpSession):
        super().__init__(daemon=True)
        self.session, self.stop = session, threading.Event()
        self.worker: tuple[int, list[str]] | None = None
        self.temp_dir: Path | None = None
        self.killed = False

    def run(self):
        started = self.session.dir / "out" / f"{CANCEL}.started"
        while not self.stop.is_set() and not started.exists():
            time.sleep(0.1)
        while not self.stop.is_set():
            procs = _processes(self.session.inner)
            plugin = [p for p, a in procs.items() if any(x.endswith("/stylefuse-gimp.py") for x in a)]
            watchdogs = [a for a in procs.values() if any(x.endswith("/sfwatch.py") for x in a)]
            if plugin and watchdogs:
                temp_dir = watchdogs[0][
                    watchdogs[0].index(next(x for x in watchdogs[0] if x.endswith("/sfwatch.py"))) + 1
                ]
                workers = {p: a for p, a in _processes(temp_dir).items() if "stylize" in a}
                if workers:
                    time.sleep(1.5)  # well into the work
                    self.worker = next(iter(workers.items()))
                    self.temp_dir = self.session.root / temp_dir.lstrip("/")
                    self.inner_temp_dir = temp_dir
                    for pid in plugin:
                        os.kill(pid, signal.SIGKILL)
                    self.killed = True
                    return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def local_results():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    session = GimpSession(gimp_root(), local_core=True)
    try:
        folder = session.dir
        arrays = write_local_inputs(folder)
        spec = cases(free_url())
        (folder / "spec.json").write_text(json.dumps(spec))
        shutil.copy(REPO / "tests" / "gimp" / "driver.py", folder / "driver.py")
        canceller = Canceller(session)
        canceller.start()
        proc = session.start("driver.py")
        try:
            out, err = proc.communicate(timeout=900)
        finally:
            canceller.stop.set()
            if proc.poll() is None:
                proc.kill()
        log = out[-3000:] + err[-3000:]
        assert proc.returncode == 0, f"gimp-console exited {proc.returncode}:\n{log}"
        results = {}
        for case in spec:
            path = folder / "out" / f"{case['name']}.json"
            assert path.is_file(), f"case {case['name']} left no result:\n{log}"
            meta = json.loads(path.read_text())
            assert "exception" not in meta, meta.get("exception")
            results[case["name"]] = Result(folder / "out", case["name"], meta)
        choices = json.loads((folder / "out" / "choices.json").read_text())
        yield results, arrays, choices, canceller, session
    finally:
        session.close()


@pytest.mark.parametrize(
    "name",
    [
        "local_rgb8_default",
        "local_rgb8_mondrian",
        "local_rgba8_sel",
        "local_gray16",
        "local_float_fuse",
        "local_synthesis",
        "local_last_vals",
    ],
)
def test_without_a_server_the_recorded_core_gives_a_new_layer_of_the_same_kind(local_results, name):
    results = local_results[0]
    r = results[name]
    r.assert_ok()
    m = r.meta
    assert m["layers_after"] == m["layers_before"] + 1
    new = m["new_layer"]
    assert new["above_source"] and (new["width"], new["height"]) == (m["width"], m["height"])
    before, after, result = r.pixels("before"), r.pixels("source_after"), r.pixels("new")
    assert result.dtype == before.dtype and result.shape == before.shape
    assert np.array_equal(before, after), "the source layer must stay as it was"
    assert not np.array_equal(result, before), "the result equals the input"
    if m["dtype"] == "float32":
        assert np.isfinite(result).all()
    if m["channels"] in (2, 4):
        assert np.array_equal(result[..., -1], before[..., -1]), "alpha must pass through"


def test_local_result_is_the_in_process_pipeline(local_results, style_model):
    from stylefuse.pipeline import stylize

    results, arrays = local_results[:2]
    got = results["local_rgb8_default"].pixels("new")
    expected = stylize(arrays["rgb8"], model=style_model)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize(
    "name, a, b, model",
    [
        ("local_fuse_auto_scans", "brain_t1", "brain_pd", "fuse-medical"),
        ("local_fuse_auto_photos", "near", "far", "fuse-general"),
    ],
)
def test_fuse_auto_is_the_cores_rule(local_results, name, a, b, model):
    from stylefuse.fusion_kind import default_fusion_model
    from stylefuse.pipeline import fuse

    results, arrays = local_results[:2]
    results[name].assert_ok()
    assert default_fusion_model(arrays[a], arrays[b]) == model
    got = results[name].pixels("new")
    expected = fuse(arrays[a], arrays[b], model=model)
    assert got.shape[:2] == expected.shape[:2]
    assert np.abs(got.astype(int).reshape(expected.shape) - expected.astype(int)).max() <= 1


def test_local_precisions_kept(local_results):
    results = local_results[0]
    assert results["local_gray16"].meta["format"] == "Y' u16"
    assert results["local_float_fuse"].meta["format"] == "RGB float"


def test_local_outside_the_selection_bit_identical(local_results):
    r = local_results[0]["local_rgba8_sel"]
    mask, before, result = r.pixels("mask"), r.pixels("before"), r.pixels("new")
    assert np.array_equal(result[mask == 0], before[mask == 0])
    assert not np.array_equal(result[mask > 0.5], before[mask > 0.5])


def test_model_is_a_choice_of_the_installed_models(local_results):
    from stylefuse.registry import list_models

    results, _, choices = local_results[:3]
    installed = [e for e in list_models()]
    assert choices["style.model"]["nicks"] == ["default"] + [e.name for e in installed if e.task == "style"]
    assert choices["fuse.model"]["nicks"] == ["default"] + [e.name for e in installed if e.task == "fuse"]
    assert choices["style.model"]["default"] == "default"
    assert choices["style.method"]["nicks"] == ["generator", "synthesis"]
    default, mondrian = results["local_rgb8_default"], results["local_rgb8_mondrian"]
    assert mondrian.meta["new_layer"]["name"].endswith("(mondrian)")
    assert not np.array_equal(default.pixels("new"), mondrian.pixels("new")), "the chosen model was not used"


def test_synthesis_method_paints_with_the_reference_layer(local_results):
    r = local_results[0]["local_synthesis"]
    r.assert_ok()
    assert r.meta["new_layer"]["name"].endswith("(synthesis)")
    result, before = r.pixels("new").astype(float), r.pixels("before").astype(float)
    assert np.abs(result - before).mean() > 5, "synthesis left the layer nearly as it was"


@pytest.mark.parametrize("name", ["synthesis_without_reference", "model_without_own_style"])
def test_a_style_needing_a_reference_layer_without_one_is_a_clear_error(local_results, name):
    r = local_results[0][name]
    run = r.runs[0]
    assert run["status"] == "execution-error" and "'A reference layer'" in run["error"], run
    assert r.meta["layers_after"] == r.meta["layers_before"] and not r.meta["dirty"]
    assert np.array_equal(r.pixels("before"), r.pixels("source_after"))


def test_cancel_stops_the_core_leaves_the_image_and_no_temporary_files(local_results):
    results, _, _, canceller, session = local_results
    assert canceller.killed, "the cancel case's core never ran"
    r = results[CANCEL]
    assert r.runs[0]["status"] != "success"
    m = r.meta
    assert m["layers_after"] == m["layers_before"], "a layer was added"
    assert np.array_equal(r.pixels("before"), r.pixels("source_after"))
    assert not m["dirty"], "the image was touched"
    deadline = time.time() + 30
    while time.time() < deadline and (canceller.temp_dir.exists() or _processes(canceller.inner_temp_dir)):
        time.sleep(0.2)
    assert not canceller.temp_dir.exists(), "the temporary files were left behind"
    assert not _processes(canceller.inner_temp_dir), "the core (or its watchdog) still runs after the cancel"
    assert not _processes(session.inner), "a process of this GIMP session still runs"
