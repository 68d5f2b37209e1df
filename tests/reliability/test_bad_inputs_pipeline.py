"""Bad inputs, table-driven: the in-process pipeline (arrays), and unusual arrays that must work.

Every refused case asserts three things: the error is a UserError whose message names the problem;
the input is unchanged (sha256 of the array's bytes); the process is alive and still works (a tiny
good call afterwards). Model folders and the command line (files) are in test_bad_inputs_cli.py;
shared helpers in bad_input_helpers.py. Inputs are tiny, so both files run in well under a minute on
two cores. The Triton, napari and GIMP cases live beside their tiers (tests/server, tests/napari,
tests/gimp); the file-reading ones in tests/unit/test_io_errors.py and the CLI's usage mistakes in
tests/cli/test_cli_mistakes.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from bad_input_helpers import array_hash, grey, rgb8, still_works

from stylefuse.errors import UserError
from stylefuse.pipeline import fuse, stylize


def huge(shape, dtype=np.uint8):
    """A read-only view of `shape` that takes no memory (what a wrong reshape or a bad header gives)."""
    return np.broadcast_to(np.zeros((), dtype), shape)


# ------------------------------------------------------------------------------------------ pipeline
# (id, function, arrays (name -> array), other keyword arguments, words the message must contain)
PIPELINE = [
    ("dtype-bool", stylize, {"image": np.zeros((8, 8), bool)}, {}, ["unsupported dtype bool"]),
    (
        "dtype-complex",
        stylize,
        {"image": np.zeros((8, 8), np.complex64)},
        {},
        ["unsupported dtype complex64"],
    ),
    (
        "dtype-object",
        stylize,
        {"image": np.array([[object(), 1]], dtype=object)},
        {},
        ["unsupported dtype object"],
    ),
    ("dtype-string", stylize, {"image": np.array([["a", "b"], ["c", "d"]])}, {}, ["unsupported dtype <U1"]),
    (
        "dtype-datetime",
        fuse,
        {"a": np.zeros((8, 8), "datetime64[s]"), "b": grey(8, 8)},
        {},
        ["unsupported dtype"],
    ),
    ("nan-image", stylize, {"image": np.full((8, 8, 3), np.nan, np.float32)}, {}, ["contains NaN"]),
    ("inf-image", stylize, {"image": np.array([[0.0, np.inf], [0.5, 1.0]])}, {}, ["infinite"]),
    (
        "minus-inf-reference",
        stylize,
        {"image": rgb8(), "reference": np.full((16, 16, 3), -np.inf, np.float32)},
        {},
        ["reference", "infinite"],
    ),
    ("nan-fusion-b", fuse, {"a": grey(), "b": np.full((12, 16), np.nan)}, {}, ["b contains NaN"]),
    ("zero-d", stylize, {"image": np.array(3, np.uint8)}, {}, ["0 dimension(s)"]),
    ("one-d", stylize, {"image": np.zeros(16, np.uint8)}, {}, ["1 dimension(s)"]),
    ("six-d", stylize, {"image": np.zeros((2, 2, 2, 4, 4, 3), np.uint8)}, {}, ["6 dimension(s)"]),
    ("five-channels", stylize, {"image": np.zeros((8, 8, 5), np.uint8)}, {"is_stack": False}, ["5 channels"]),
    ("2d-as-stack", stylize, {"image": grey()}, {"is_stack": True}, ["2-D", "slice axis"]),
    ("enormous-image", stylize, {"image": huge((100_000, 100_000, 3))}, {}, ["too large", "100000x100000"]),
    (
        "enormous-stack",
        fuse,
        {"a": huge((5000, 512, 512), np.uint16), "b": huge((5000, 512, 512), np.uint16)},
        {},
        ["too large", "STYLEFUSE_MAX_PIXELS"],
    ),
    (
        "enormous-reference",
        stylize,
        {"image": rgb8(), "reference": huge((60_000, 60_000))},
        {},
        ["too large"],
    ),
    (
        "empty-reference",
        stylize,
        {"image": rgb8(), "reference": np.zeros((0, 5, 3), np.uint8)},
        {},
        ["empty"],
    ),
    ("missing-image", stylize, {"image": None}, {}, ["image is missing"]),
    ("strength-negative", stylize, {"image": rgb8()}, {"strength": -0.25}, ["strength", "-0.25"]),
    ("strength-nan", stylize, {"image": rgb8()}, {"strength": float("nan")}, ["strength", "nan"]),
    ("strength-above-one", stylize, {"image": rgb8()}, {"strength": 1.5}, ["strength", "1.5"]),
    ("strength-text", stylize, {"image": rgb8()}, {"strength": "strong"}, ["strength", "strong"]),
    (
        "mask-wrong-shape",
        stylize,
        {"image": rgb8(), "mask": np.ones((6, 8), np.float32)},
        {},
        ["mask has shape (6, 8)", "(12, 16)"],
    ),
    (
        "mask-rgba",
        stylize,
        {"image": rgb8(), "mask": np.ones((12, 16, 4), np.uint8)},
        {},
        ["mask", "4 channels"],
    ),
    (
        "mask-transposed",
        stylize,
        {"image": rgb8(), "mask": np.ones((16, 12), bool)},
        {},
        ["mask has shape (16, 12)"],
    ),
    (
        "mask-stack-wrong-depth",
        stylize,
        {"image": np.zeros((3, 8, 8), np.int16), "mask": np.ones((2, 8, 8), bool)},
        {"is_stack": True},
        ["mask has shape (2, 8, 8)", "(3, 8, 8)"],
    ),
    (
        "mask-nan",
        stylize,
        {"image": rgb8(), "mask": np.full((12, 16), np.nan, np.float32)},
        {},
        ["mask", "NaN"],
    ),
    ("mask-out-of-range", stylize, {"image": rgb8(), "mask": np.full((12, 16), 2.0)}, {}, ["mask", "[0, 1]"]),
    (
        "mask-int32",
        stylize,
        {"image": rgb8(), "mask": np.ones((12, 16), np.int32)},
        {},
        ["mask has dtype int32"],
    ),
    ("fusion-sizes-differ", fuse, {"a": grey(12, 16), "b": grey(12, 15)}, {}, ["differ in size", "resample"]),
    (
        "fusion-stack-and-image",
        fuse,
        {"a": np.zeros((3, 8, 8), np.uint16), "b": np.zeros((8, 8), np.uint16)},
        {},
        ["differ in size", "stack 3x8x8"],
    ),
    (
        "fusion-stacks-differ",
        fuse,
        {"a": np.zeros((3, 8, 8), np.uint16), "b": np.zeros((4, 8, 8), np.uint16)},
        {},
        ["differ in size"],
    ),
    (
        "unknown-model",
        stylize,
        {"image": rgb8()},
        {"model": "no-such-model"},
        ["unknown model 'no-such-model'", "udnie"],
    ),
    (
        "traversal-model",
        stylize,
        {"image": rgb8()},
        {"model": "../../shipped_models/udnie"},
        ["invalid model name"],
    ),
    (
        "absolute-path-model",
        fuse,
        {"a": grey(), "b": grey()},
        {"model": "/etc/passwd"},
        ["invalid model name"],
    ),
    ("dot-dot-model", fuse, {"a": grey(), "b": grey()}, {"model": ".."}, ["invalid model name"]),
    (
        "wrong-task-model",
        stylize,
        {"image": rgb8()},
        {"model": "fuse-medical"},
        ["is a 'fuse' model, not a 'style'"],
    ),
    ("model-not-a-model", fuse, {"a": grey(), "b": grey()}, {"model": 42}, ["model must be a model name"]),
    (
        "value-range-reversed",
        stylize,
        {"image": grey(dtype=np.uint16)},
        {"value_range": (100, 5)},
        ["lo < hi"],
    ),
    ("value-range-nan", fuse, {"a": grey(), "b": grey()}, {"value_range": (0, float("nan"))}, ["finite"]),
    ("tile-size-zero", stylize, {"image": rgb8()}, {"tile_size": 0}, ["tile_size"]),
    ("batch-size-negative", fuse, {"a": grey(), "b": grey()}, {"batch_size": -1}, ["batch_size"]),
]


@pytest.mark.parametrize("call,arrays,kwargs,words", [c[1:] for c in PIPELINE], ids=[c[0] for c in PIPELINE])
def test_pipeline_refuses(call, arrays, kwargs, words, style_model):
    before = {k: array_hash(v) for k, v in arrays.items() if v is not None}
    with pytest.raises(UserError) as info:
        call(**arrays, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert {k: array_hash(v) for k, v in arrays.items() if v is not None} == before, "the input was changed"
    still_works(style_model)


# Unusual inputs that are not mistakes: they must work, keep shape and dtype, and leave the input alone.
ODD_BUT_FINE = [
    ("1x1-rgb", stylize, {"image": rgb8(1, 1)}, {}),
    ("1x1-grey-fusion", fuse, {"a": grey(1, 1), "b": grey(1, 1, seed=2)}, {}),
    ("1x1-stack", stylize, {"image": np.arange(3, dtype=np.int16).reshape(3, 1, 1)}, {"is_stack": True}),
    ("1-pixel-wide", fuse, {"a": grey(40, 1), "b": grey(40, 1, seed=3)}, {}),
    ("five-d-stack-of-stacks", stylize, {"image": np.zeros((2, 2, 6, 6, 3), np.uint8)}, {}),
    (
        "rgba-16-bit",
        stylize,
        {"image": (np.random.default_rng(4).random((9, 7, 4)) * 65535).astype(np.uint16)},
        {},
    ),
    (
        "rgba-float-with-rgb-16-bit",
        fuse,
        {
            "a": np.random.default_rng(5).random((9, 7, 4)).astype(np.float32),
            "b": (np.random.default_rng(6).random((9, 7, 3)) * 65535).astype(np.uint16),
        },
        {},
    ),
    ("empty-image", stylize, {"image": np.zeros((0, 16, 3), np.uint8)}, {}),
    ("empty-fusion", fuse, {"a": np.zeros((4, 0), np.uint16), "b": np.zeros((4, 0), np.uint16)}, {}),
    ("constant-int16", stylize, {"image": np.full((10, 10), -1000, np.int16)}, {}),
    ("non-contiguous-view", stylize, {"image": rgb8(12, 32)[:, ::2]}, {}),
    ("read-only-broadcast", fuse, {"a": np.broadcast_to(grey(1, 16), (12, 16)), "b": grey()}, {}),
    ("reference-1x1", stylize, {"image": rgb8(), "reference": rgb8(1, 1)}, {}),
    ("mask-uint16", stylize, {"image": rgb8(), "mask": np.full((12, 16), 65535, np.uint16)}, {}),
]


@pytest.mark.parametrize(
    "call,arrays,kwargs", [c[1:] for c in ODD_BUT_FINE], ids=[c[0] for c in ODD_BUT_FINE]
)
def test_odd_inputs_work_and_stay_untouched(call, arrays, kwargs, style_model):
    before = {k: array_hash(v) for k, v in arrays.items()}
    first = next(iter(arrays.values()))
    out = call(**arrays, **kwargs)
    assert out.dtype == first.dtype
    if call is stylize:
        assert out.shape == first.shape
    else:
        assert out.shape[: first.ndim - 1] == first.shape[: first.ndim - 1]
    if out.dtype.kind == "f":
        assert np.isfinite(out).all()
    assert {k: array_hash(v) for k, v in arrays.items()} == before
