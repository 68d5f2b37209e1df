"""Bad layers and settings in the napari widgets: a notification naming the problem, no layer added, the
input layers' data unchanged (sha256), and the viewer still working (a good run afterwards)."""

import hashlib

import numpy as np
import pytest
from conftest import grey_u16, scene_u8
from test_style import dock, run


def digest(layer) -> str:
    data = np.asarray(layer.data)
    return hashlib.sha256(
        np.ascontiguousarray(data).tobytes() + repr((data.shape, data.dtype.str)).encode()
    ).hexdigest()


def huge_stack():
    """5000 slices of 512 x 512 that take no memory: more pixels than the pipeline's limit."""
    return np.broadcast_to(np.zeros((), np.uint16), (5000, 512, 512))


def _float(value, shape=(16, 16)):
    data = np.full(shape, 0.5, np.float32)
    data[3:6, 3:6] = value
    return data


# (id, widget, layers to add: name -> (data, kwargs), settings: attribute -> layer name or value, words)
CASES = [
    (
        "nan-layer",
        "Style transfer",
        {"img": (_float(np.nan), {"contrast_limits": (0, 1)})},
        {"image": "img"},
        ["'img'", "NaN"],
    ),
    (
        "inf-layer",
        "Style transfer",
        {"img": (_float(np.inf), {"contrast_limits": (0, 1)})},
        {"image": "img"},
        ["'img'", "infinite"],
    ),
    (
        "bool-layer",
        "Style transfer",
        {"img": (np.eye(16, dtype=bool), {"contrast_limits": (0, 1)})},
        {"image": "img"},
        ["unsupported dtype bool"],
    ),
    (
        "enormous-stack",
        "Style transfer",
        {"img": (huge_stack(), {"contrast_limits": (0, 1)})},
        {"image": "img"},
        ["'img'", "too large", "STYLEFUSE_MAX_PIXELS"],
    ),
    (
        "nan-reference",
        "Style transfer",
        {"img": (grey_u16(16, 16), {}), "ref": (_float(np.nan, (20, 20)), {"contrast_limits": (0, 1)})},
        {"image": "img", "reference": "ref"},
        ["reference", "NaN"],
    ),
    (
        "mask-wrong-shape",
        "Style transfer",
        {"img": (grey_u16(16, 16), {}), "roi": ("labels", np.ones((10, 12), np.uint8))},
        {"image": "img", "mask": "roi"},
        ["mask layer 'roi'", "10 x 12", "16 x 16"],
    ),
    (
        "unknown-model",
        "Style transfer",
        {"img": (grey_u16(16, 16), {})},
        {"image": "img", "model": "no-such-model"},
        ["unknown model 'no-such-model'"],
    ),
    (
        "traversal-model",
        "Style transfer",
        {"img": (grey_u16(16, 16), {})},
        {"image": "img", "model": "../../udnie"},
        ["invalid model name"],
    ),
    (
        "wrong-task-model",
        "Style transfer",
        {"img": (grey_u16(16, 16), {})},
        {"image": "img", "model": "fuse-medical"},
        ["is a 'fuse' model, not a 'style' model"],
    ),
    (
        "fusion-nan-b",
        "Fuse layers",
        {"a": (grey_u16(16, 16), {}), "b": (_float(np.nan), {"contrast_limits": (0, 1)})},
        {"a": "a", "b": "b"},
        ["'b'", "NaN"],
    ),
    (
        "fusion-sizes-differ",
        "Fuse layers",
        {"a": (grey_u16(16, 16), {}), "b": (grey_u16(16, 20, seed=2), {})},
        {"a": "a", "b": "b"},
        ["layers differ in shape", "resample"],
    ),
    (
        "fusion-stack-and-image",
        "Fuse layers",
        {"a": (np.stack([grey_u16(16, 16)] * 3), {}), "b": (grey_u16(16, 16), {})},
        {"a": "a", "b": "b"},
        ["layers differ in shape"],
    ),
    (
        "fusion-style-model",
        "Fuse layers",
        {"a": (grey_u16(16, 16), {}), "b": (grey_u16(16, 16, seed=4), {})},
        {"a": "a", "b": "b", "model": "udnie"},
        ["is a 'style' model, not a 'fuse' model"],
    ),
]


@pytest.mark.parametrize(
    "widget_name,layers,settings,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_layer_or_setting(viewer, wait_jobs, notifications, widget_name, layers, settings, words):
    added = {}
    for name, spec in layers.items():
        if isinstance(spec[0], str):  # ("labels", data)
            added[name] = viewer.add_labels(spec[1], name=name)
        else:
            added[name] = viewer.add_image(spec[0], name=name, **spec[1])
    before = {name: digest(layer) for name, layer in added.items()}
    names = [layer.name for layer in viewer.layers]
    widget = dock(viewer, widget_name)
    for attribute, value in settings.items():
        if attribute == "model":  # a name the widget would not offer (an odd server's list, a script)
            widget._models = [value]
            widget.model.reset_choices()
            widget.model.value = value
        else:
            getattr(widget, attribute).value = added[value]
    job = widget.start()
    if job is not None:  # refused inside the job: it fails, with a notification
        wait_jobs()
        assert job.outcome == "failed"
    message = next((m for m in reversed(notifications) if "stylefuse" in m), "")
    for word in words:
        assert word in message, f"{word!r} not in {message!r} (all: {notifications})"
    assert [layer.name for layer in viewer.layers] == names, "a layer was added"
    assert {name: digest(layer) for name, layer in added.items()} == before, "an input layer changed"

    # alive: the same viewer still runs a good job
    from stylefuse_napari.tasks import StyleOptions, stylize_layer

    good = viewer.add_image(scene_u8(12, 12), name="good", rgb=True)
    job = stylize_layer(viewer, good, StyleOptions())
    wait_jobs()
    assert job.outcome == "done" and viewer.layers[-1].name == "good (stylized)"


def test_one_pixel_layer_works(viewer, wait_jobs):
    layer = viewer.add_image(np.array([[1234]], np.uint16), name="dot")
    widget = dock(viewer, "Style transfer")
    widget.image.value = layer
    run(widget, wait_jobs)
    assert viewer.layers[-1].data.shape == (1, 1) and viewer.layers[-1].data.dtype == np.uint16
    assert layer.data[0, 0] == 1234
