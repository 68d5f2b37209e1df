"""The GIMP 3 plug-in inside a real GIMP 3 (trixie root) against a real stylefuse Triton server.

One GIMP batch session runs every case (GIMP starts in seconds, but not for free); the tests then
check what it dumped: pixels before/after in the image's own babl format, layers, status, messages.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from gimprun import REPO

H, W = 48, 64
DEAD_URL = "http://127.0.0.1:9"  # nothing listens on the discard port


def scene(seed: int, h: int = H, w: int = W) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    y /= h - 1
    x /= w - 1
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], -1)
    rgb += rng.normal(0, 0.04, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 1)


def write_inputs(folder):
    from stylefuse.io import write_image

    rgb = (scene(0) * 255).round().astype(np.uint8)
    rgb_b = (scene(1)[::-1] * 255).round().astype(np.uint8)
    alpha = np.tile(np.linspace(40, 255, W, dtype=np.float32), (H, 1)).round().astype(np.uint8)
    write_image(folder / "rgb8.png", rgb)
    write_image(folder / "rgb8b.png", rgb_b)
    write_image(folder / "rgba8.png", np.dstack([rgb, alpha]))
    write_image(folder / "rgba8b.png", np.dstack([rgb_b, alpha[:, ::-1]]))
    write_image(folder / "gray16.png", (scene(2)[..., 0] * 65535).round().astype(np.uint16))
    write_image(folder / "gray16b.png", (scene(3)[..., 1] * 65535).round().astype(np.uint16))
    return {"rgb8": rgb}


def cases(url: str) -> list[dict]:
    def style(**args):
        return {"server-url": url, "model": "udnie", **args}

    def fuse(**args):
        return {"server-url": url, "model": "fuse-medical", "second-layer": "@second", **args}

    sel = [10, 8, 34, 24, 6]  # x, y, w, h, feather radius
    return [
        {
            "name": "rgb8_style",
            "input": "rgb8.png",
            "proc": "style",
            "export": True,
            "runs": [{"args": style()}],
        },
        {
            "name": "rgba8_style_sel",
            "input": "rgba8.png",
            "proc": "style",
            "selection": sel,
            "runs": [{"args": style(strength=0.8, **{"preserve-colors": True})}],
        },
        {"name": "gray16_style", "input": "gray16.png", "proc": "style", "runs": [{"args": style()}]},
        {
            "name": "float_style_sel",
            "input": "rgb8.png",
            "precision": "float-non-linear",
            "proc": "style",
            "selection": sel,
            "runs": [{"args": style()}],
        },
        {
            "name": "rgb8_fuse",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "proc": "fuse",
            "runs": [{"args": fuse()}],
        },
        {
            "name": "rgba8_fuse_replace_sel",
            "input": "rgba8.png",
            "second": "rgba8b.png",
            "proc": "fuse",
            "selection": sel,
            "runs": [{"args": fuse(output="replace")}],
        },
        {
            "name": "gray16_fuse",
            "input": "gray16.png",
            "second": "gray16b.png",
            "proc": "fuse",
            "runs": [{"args": fuse()}],
        },
        {
            "name": "float_fuse",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "precision": "float-linear",
            "proc": "fuse",
            "runs": [{"args": fuse()}],
        },
        {
            "name": "offset_layer_ref_style",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "canvas": [W + 30, H + 20, 13, 9],
            "proc": "style",
            "selection": [0, 0, 40, 30, 0],
            "runs": [{"args": style(**{"style-source": "layer", "reference-layer": "@second"})}],
        },
        {
            "name": "server_synthesis",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "proc": "style",
            "runs": [
                {"args": style(method="synthesis", **{"style-source": "layer", "reference-layer": "@second"})}
            ],
        },
        {
            "name": "server_down",
            "input": "rgb8.png",
            "proc": "style",
            "selection": sel,
            "runs": [{"args": style(**{"server-url": DEAD_URL})}],
        },
        {
            "name": "server_down_fuse",
            "input": "rgb8.png",
            "second": "rgb8b.png",
            "proc": "fuse",
            "runs": [{"args": fuse(**{"server-url": DEAD_URL})}],
        },
        {
            "name": "last_vals",
            "input": "rgb8.png",
            "proc": "style",
            "runs": [{"mode": "last-vals", "args": style(strength=0.5)}],
        },
    ]


@pytest.fixture(scope="module")
def gimp_results(gimp_session, server_url):
    folder = gimp_session.dir
    arrays = write_inputs(folder)
    spec = cases(server_url)
    (folder / "spec.json").write_text(json.dumps(spec))
    shutil.copy(REPO / "tests" / "gimp" / "driver.py", folder / "driver.py")
    proc = gimp_session.run("driver.py")
    log = proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, f"gimp-console exited {proc.returncode}:\n{log}"
    out = folder / "out"
    results = {}
    for case in spec:
        path = out / f"{case['name']}.json"
        assert path.is_file(), f"case {case['name']} left no result:\n{log}"
        meta = json.loads(path.read_text())
        assert "exception" not in meta, meta.get("exception")
        results[case["name"]] = Result(out, case["name"], meta)
    return results, arrays


class Result:
    def __init__(self, folder, name, meta):
        self.folder, self.name, self.meta = folder, name, meta
        self.runs = meta["runs"]

    def pixels(self, which: str) -> np.ndarray:
        m = self.meta
        raw = (self.folder / f"{self.name}_{which}.bin").read_bytes()
        if which == "mask":
            return np.frombuffer(raw, np.float32).reshape(m["height"], m["width"])
        return np.frombuffer(raw, m["dtype"]).reshape(m["height"], m["width"], m["channels"])

    def assert_ok(self):
        for run in self.runs:
            assert run["status"] == "success", f"{self.name}: {run['status']}: {run['error']}"


SUCCESS_CASES = [
    "rgb8_style",
    "rgba8_style_sel",
    "gray16_style",
    "float_style_sel",
    "rgb8_fuse",
    "gray16_fuse",
    "float_fuse",
    "offset_layer_ref_style",
    "server_synthesis",
]


@pytest.mark.parametrize("name", SUCCESS_CASES)
def test_new_layer_above_source_same_kind(gimp_results, name):
    results, _ = gimp_results
    r = results[name]
    r.assert_ok()
    m = r.meta
    assert m["layers_after"] == m["layers_before"] + 1
    new = m["new_layer"]
    assert new["above_source"]
    assert new["offsets"] == m["offsets"] and (new["width"], new["height"]) == (m["width"], m["height"])
    before, after, result = r.pixels("before"), r.pixels("source_after"), r.pixels("new")
    assert np.array_equal(before, after), "the source layer must stay as it was"
    assert not np.array_equal(result, before), "the result equals the input"
    if m["dtype"] == "float32":
        assert np.isfinite(result).all()
    if m["channels"] in (2, 4):
        assert np.array_equal(result[..., -1], before[..., -1]), "alpha must pass through"


def test_synthesis_method_runs_on_the_server(gimp_results):
    results, _ = gimp_results
    r = results["server_synthesis"]
    r.assert_ok()
    assert r.meta["new_layer"]["name"].endswith("(synthesis)")


def test_precisions_travel_in_their_own_format(gimp_results):
    results, _ = gimp_results
    expected = {
        "rgb8_style": ("u8", "R'G'B' u8"),
        "rgba8_style_sel": ("u8", "R'G'B'A u8"),
        "gray16_style": ("u16", "Y' u16"),
        "float_style_sel": ("float", "R'G'B' float"),
        "float_fuse": ("float", "RGB float"),
        "gray16_fuse": ("u16", "Y' u16"),
    }
    for name, (prec, fmt) in expected.items():
        m = results[name].meta
        assert m["precision"].startswith(prec) and m["format"] == fmt, (name, m["precision"], m["format"])


@pytest.mark.parametrize("name", ["rgba8_style_sel", "float_style_sel", "offset_layer_ref_style"])
def test_outside_the_selection_bit_identical(gimp_results, name):
    results, _ = gimp_results
    r = results[name]
    r.assert_ok()
    mask, before, result = r.pixels("mask"), r.pixels("before"), r.pixels("new")
    outside, inside = mask == 0, mask > 0.5
    assert outside.any() and inside.any()
    assert np.array_equal(result[outside].view(np.uint8), before[outside].view(np.uint8))
    assert not np.array_equal(result[inside], before[inside])
    feathered = (mask > 0) & (mask < 1)
    assert feathered.any() or name == "offset_layer_ref_style"


def test_replace_in_place_with_selection(gimp_results):
    results, _ = gimp_results
    r = results["rgba8_fuse_replace_sel"]
    r.assert_ok()
    m = r.meta
    assert m["layers_after"] == m["layers_before"], "replace must not add a layer"
    mask, before, after = r.pixels("mask"), r.pixels("before"), r.pixels("source_after")
    assert np.array_equal(after[mask == 0], before[mask == 0])
    assert not np.array_equal(after[mask > 0.5], before[mask > 0.5])
    assert np.array_equal(after[..., 3], before[..., 3])


def test_exported_result_matches_in_process_pipeline(gimp_results, style_model):
    from stylefuse.io import read_image
    from stylefuse.pipeline import stylize

    results, arrays = gimp_results
    results["rgb8_style"].assert_ok()
    exported = read_image(results["rgb8_style"].folder / "rgb8_style.png").array
    expected = stylize(arrays["rgb8"], model=style_model)
    assert exported.dtype == np.uint8 and exported.shape[:2] == expected.shape[:2]
    if exported.shape[-1] == 4:  # GIMP's PNG export of a layered image keeps an (opaque) alpha
        assert (exported[..., 3] == 255).all()
        exported = exported[..., :3]
    diff = np.abs(exported.astype(int) - expected.astype(int))
    assert diff.max() <= 1, f"max difference {diff.max()} levels"


@pytest.mark.parametrize("name", ["server_down", "server_down_fuse"])
def test_server_down_is_an_error_naming_stylefuse_serve_and_leaves_the_image(gimp_results, name):
    results, _ = gimp_results
    r = results[name]
    run = r.runs[0]
    assert run["status"] == "execution-error"
    assert "stylefuse serve" in run["error"] and DEAD_URL in run["error"], run["error"]
    m = r.meta
    assert m["layers_after"] == m["layers_before"]
    assert np.array_equal(r.pixels("before"), r.pixels("source_after"))
    assert not m["dirty"], "the image was touched"


def test_last_values_run_mode_works_from_a_script(gimp_results):
    # GIMP 3.0.4 loads stored values (plug-in-settings/*.last) only after a dialog run; a script
    # calling with RUN_WITH_LAST_VALS must still get a result
    results, _ = gimp_results
    r = results["last_vals"]
    r.assert_ok()
    assert r.meta["layers_after"] == r.meta["layers_before"] + 1
