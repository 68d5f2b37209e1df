"""Mistakes made with the GIMP 3 plug-in, in a real GIMP 3 against the real server: each run ends in an
execution error whose message names the problem (the recorded local core does not exist inside the
GIMP root here, so a missing server is an error too), the image keeps its layers, the source layer's pixels
are byte-identical (sha256) and the image is not dirty; GIMP stays up (a good run after the mistakes,
in the same session, succeeds)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from gimprun import REPO
from test_gimp_plugin import Result, write_inputs

W, H = 64, 48


def cases(url: str) -> list[dict]:
    def style(**args):
        return {"server-url": url, "model": "udnie", **args}

    def fuse(**args):
        return {"server-url": url, "model": "fuse-medical", "second-layer": "@second", **args}

    return [
        # (a model name outside the Model choice, a fusion model for style or a style model for fusion
        # cannot reach the plug-in any more: GIMP checks a choice argument against its list)
        (
            "two-layers-selected",
            {
                "input": "rgb8.png",
                "second": "rgb8b.png",
                "proc": "style",
                "both": True,
                "runs": [{"args": style()}],
            },
            ["works on one layer", "select exactly one"],
        ),
        (
            "synthesis-without-reference",
            {"input": "rgb8.png", "proc": "style", "runs": [{"args": style(method="synthesis")}]},
            ["synthesis", "reference layer"],
        ),
        (
            "synthesis-reference-layer-unset",
            {
                "input": "rgb8.png",
                "proc": "style",
                "runs": [{"args": style(method="synthesis", **{"style-source": "layer"})}],
            },
            ["choose a reference layer"],
        ),
        (
            "no-server-and-no-local-core",
            {
                "input": "rgb8.png",
                "proc": "style",
                "runs": [{"args": style(**{"server-url": "http://127.0.0.1:9"})}],
            },
            ["http://127.0.0.1:9", "stylefuse serve", "stylefuse gimp-install"],
        ),
        (
            "no-reference-layer",
            {"input": "rgb8.png", "proc": "style", "runs": [{"args": style(**{"style-source": "layer"})}]},
            ["choose a reference layer"],
        ),
        (
            "no-second-layer",
            {
                "input": "rgb8.png",
                "proc": "fuse",
                "runs": [{"args": {"server-url": url, "model": "fuse-medical"}}],
            },
            ["choose the second layer"],
        ),
        (
            "fuse-with-itself",
            {
                "input": "rgba8.png",
                "second": "rgb8b.png",
                "proc": "fuse",
                "runs": [{"args": fuse(**{"second-layer": "@self"})}],
            },
            ["a second layer other than the active one"],
        ),
        (
            "selection-off-the-layer",
            {
                "input": "rgb8.png",
                "canvas": [W + 80, H + 60, 0, 0],
                "proc": "style",
                "selection": [W + 10, H + 10, 30, 20, 0],
                "runs": [{"args": style()}],
            },
            ["selection does not touch the active layer"],
        ),
        (
            "bad-server-url",
            {
                "input": "rgb8.png",
                "proc": "style",
                "runs": [{"args": style(**{"server-url": "http://127.0.0.1:notaport"})}],
            },
            ["invalid server URL"],
        ),
        (
            "server-url-with-a-path",
            {
                "input": "rgb8.png",
                "proc": "style",
                "runs": [{"args": style(**{"server-url": url + "/../../elsewhere"})}],
            },
            ["invalid server URL"],
        ),
    ]


GOOD_AFTER = {"name": "good_after_mistakes", "input": "gray16.png", "proc": "style"}


@pytest.fixture(scope="module")
def gimp_mistakes(gimp_session, server_url):
    folder = gimp_session.dir / "mistakes"
    folder.mkdir()
    write_inputs(folder)
    table = cases(server_url)
    spec = [{"name": name, **case} for name, case, _ in table]
    spec.append({**GOOD_AFTER, "runs": [{"args": {"server-url": server_url, "model": "udnie"}}]})
    (folder / "spec.json").write_text(json.dumps(spec))
    shutil.copy(REPO / "tests" / "gimp" / "driver.py", folder / "driver.py")
    # the driver reads SPEC_DIR/spec.json: a two-line wrapper runs it with this sub-folder as SPEC_DIR
    (gimp_session.dir / "mistakes_driver.py").write_text(
        'SPEC_DIR = SPEC_DIR + "/mistakes"  # noqa: F821\nexec(open(SPEC_DIR + "/driver.py").read())\n'
    )
    proc = gimp_session.run("mistakes_driver.py")
    log = proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, f"gimp-console exited {proc.returncode}:\n{log}"
    results = {}
    for case in spec:
        path = folder / "out" / f"{case['name']}.json"
        assert path.is_file(), f"case {case['name']} left no result:\n{log}"
        meta = json.loads(path.read_text())
        assert "exception" not in meta, meta.get("exception")
        results[case["name"]] = Result(folder / "out", case["name"], meta)
    return results, {name: words for name, _, words in table}


def test_at_least_ten_gimp_mistakes():
    assert len(cases("http://127.0.0.1:8000")) >= 10


@pytest.mark.parametrize("name", [name for name, _, _ in cases("http://127.0.0.1:8000")])
def test_mistake_is_named_and_the_image_is_untouched(gimp_mistakes, name):
    results, words = gimp_mistakes
    r = results[name]
    run = r.runs[0]
    assert run["status"] == "execution-error", (run["status"], run["error"])
    for word in words[name]:
        assert word in run["error"], f"{word!r} not in {run['error']!r}"
    m = r.meta
    assert m["layers_after"] == m["layers_before"], "a layer was added or removed"
    before, after = r.pixels("before"), r.pixels("source_after")
    assert hashlib.sha256(before.tobytes()).hexdigest() == hashlib.sha256(after.tobytes()).hexdigest()
    assert not m["dirty"], "the image was touched"


def test_gimp_still_works_after_the_mistakes(gimp_mistakes):
    results, _ = gimp_mistakes
    r = results[GOOD_AFTER["name"]]
    r.assert_ok()
    assert r.meta["layers_after"] == r.meta["layers_before"] + 1
