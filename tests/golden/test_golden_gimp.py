"""Golden outputs of the GIMP 3 plug-in's procedures (in the real GIMP 3 root, against the session's
Triton server over HTTP): the new layer's pixels, as GIMP hands them out."""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from golden import check, examples

GIMP_TESTS = Path(__file__).resolve().parents[1] / "gimp"


def _gimprun():
    spec = importlib.util.spec_from_file_location("golden_gimprun", GIMP_TESTS / "gimprun.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gimp_results(triton_server):
    from stylefuse.io import read_image, write_image

    gimprun = _gimprun()
    reason = gimprun.skip_reason()
    if reason:
        pytest.skip(reason)
    session = gimprun.GimpSession(gimprun.gimp_root())
    try:
        folder = session.dir
        photo = read_image(examples() / "chelsea.png").array[:64, 100:180]
        write_image(folder / "rgb8.png", photo)
        alpha = np.tile(np.linspace(40, 255, photo.shape[1]), (photo.shape[0], 1)).round().astype(np.uint8)
        write_image(folder / "rgba8.png", np.dstack([photo, alpha]))
        t1, pd = read_image(examples() / "brain_t1.png").array, read_image(examples() / "brain_pd.png").array
        write_image(folder / "t1_16.png", t1[40:100, 30:110].astype(np.uint16) * 257)
        write_image(folder / "pd_16.png", pd[40:100, 30:110].astype(np.uint16) * 257)
        url = triton_server.http_url.rstrip("/")
        spec = [
            {
                "name": "style_rgb8",
                "input": "rgb8.png",
                "proc": "style",
                "runs": [{"args": {"server-url": url, "model": "udnie"}}],
            },
            {
                "name": "style_rgba8_sel",
                "input": "rgba8.png",
                "proc": "style",
                "selection": [10, 8, 40, 30, 6],
                "runs": [
                    {"args": {"server-url": url, "model": "udnie", "strength": 0.8, "preserve-colors": True}}
                ],
            },
            {
                "name": "fuse_gray16",
                "input": "t1_16.png",
                "second": "pd_16.png",
                "proc": "fuse",
                "runs": [{"args": {"server-url": url, "model": "fuse-medical", "second-layer": "@second"}}],
            },
        ]
        (folder / "spec.json").write_text(json.dumps(spec))
        shutil.copy(GIMP_TESTS / "driver.py", folder / "driver.py")
        proc = session.run("driver.py")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        results = {}
        for case in spec:
            meta = json.loads((folder / "out" / f"{case['name']}.json").read_text())
            assert "exception" not in meta, meta.get("exception")
            for run in meta["runs"]:
                assert run["status"] == "success", f"{case['name']}: {run['error']}"
            raw = (folder / "out" / f"{case['name']}_new.bin").read_bytes()
            results[case["name"]] = np.frombuffer(raw, meta["dtype"]).reshape(
                meta["height"], meta["width"], meta["channels"]
            )
        yield results
    finally:
        session.close()


@pytest.mark.parametrize("name", ["style_rgb8", "style_rgba8_sel", "fuse_gray16"])
def test_gimp_procedure(gimp_results, name):
    check(f"gimp_{name}", gimp_results[name])
