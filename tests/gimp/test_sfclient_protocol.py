"""The GIMP plug-in's standard-library client agrees with the core: the same default-model rule
(stylefuse.model_choice) and the same wire protocol (stylefuse's protocol). No GIMP, no server needed."""

from __future__ import annotations

import itertools
import sys

import numpy as np
from gimprun import PLUGIN_DIR

from stylefuse.model_choice import ModelInfo, default_model

sys.path.insert(0, str(PLUGIN_DIR))
import sfclient  # noqa: E402

CANDIDATES = [
    ("arbitrary", "style", False),
    ("contrast", "style", True),
    ("udnie", "style", True),
    ("fuse-general", "fuse", False),
    ("fuse-medical", "fuse", False),
]


def test_default_model_rule_agrees_with_the_core():
    checked = 0
    for n in range(1, len(CANDIDATES) + 1):
        for chosen in itertools.permutations(CANDIDATES, n):
            for marked in range(n + 1):  # none, or one model marked as the server's default
                core = [
                    ModelInfo(name, task, 3, own, i == marked) for i, (name, task, own) in enumerate(chosen)
                ]
                plugin = [sfclient.ModelInfo(m.name, m.task, 3, m.has_default_style, m.default) for m in core]
                for task, need in itertools.product(("style", "fuse"), (False, True)):
                    want = None
                    if any(m.task == task for m in core):
                        want = default_model(task, core, need_default_style=need)
                    assert sfclient.pick_default(plugin, task, need) == want, (chosen, marked, task, need)
                    checked += 1
    assert checked > 1000


def _captured_request(monkeypatch, **kwargs):
    """The tensors `Client.run` would send (nothing is sent) for a 5 x 7 RGB uint16 source."""
    seen = {}

    def infer(self, model, inputs, outputs):
        seen["inputs"], seen["outputs"] = inputs, outputs
        out = inputs[0]
        return {outputs[0]: sfclient.Tensor(outputs[0], out.datatype, out.shape, out.data)}

    monkeypatch.setattr(sfclient.Client, "infer", infer)
    source = sfclient.Image(5, 7, 3, "UINT16", bytes(5 * 7 * 3 * 2))
    sfclient.Client("http://127.0.0.1:1").run("udnie", source, **kwargs)
    return seen


def test_tensor_names_dtypes_and_dims_are_the_protocols(monkeypatch):
    from stylefuse import protocol

    reference = sfclient.Image(4, 4, 3, "UINT8", bytes(48))
    seen = _captured_request(
        monkeypatch,
        reference=reference,
        mask=bytes(5 * 7 * 4),
        strength=0.5,
        preserve_color=True,
        value_range=(0.0, 4095.0),
    )
    tensors = {t.name: t for t in seen["inputs"]}
    assert set(tensors) <= set(protocol.INPUT_NAMES)
    assert seen["outputs"] == [protocol.output_name(np.uint16)]
    assert tensors[protocol.source_name(np.uint16)].shape == [1, 5, 7, 3]
    assert tensors[protocol.reference_name(np.uint8)].shape == [1, 4, 4, 3]
    for name, (datatype, dims) in protocol.SCALAR_INPUTS.items():
        if name in tensors:  # the plug-in sends one request of one slice: N = 1, dims as the protocol's
            assert tensors[name].datatype == datatype, name
            assert len(tensors[name].shape) == 1 + len(dims), name
            assert all(d == -1 or d == s for d, s in zip(dims, tensors[name].shape[1:], strict=True)), name
    assert {"MASK", "STRENGTH", "PRESERVE_COLOR", "VALUE_RANGE"} <= set(tensors)


def test_sample_types_are_the_protocols():
    from stylefuse import protocol

    assert set(sfclient.SUFFIX) == set(protocol.DTYPES)
    for name, np_dtype in protocol.DTYPES.items():
        assert sfclient.DATATYPES[name] == np.dtype(np_dtype).itemsize
        assert sfclient.Image(1, 1, 1, name, bytes(np.dtype(np_dtype).itemsize)).tensor(
            "SOURCE"
        ).name == protocol.source_name(np_dtype)


def test_model_parameters_are_the_protocols(monkeypatch):
    from stylefuse import protocol

    p = protocol.MODEL_PARAMETERS
    config = {
        "parameters": {
            p["role"]: {"string_value": "pipeline"},
            p["task"]: {"string_value": "style"},
            p["channels"]: {"string_value": "3"},
            p["has_default_style"]: {"string_value": "true"},
            p["default"]: {"string_value": "true"},
        }
    }
    monkeypatch.setattr(sfclient.Client, "_json", lambda self, method, path, payload=None: config)
    info = sfclient.Client("http://127.0.0.1:1").model_info("udnie")
    assert (info.task, info.channels, info.has_default_style, info.default) == ("style", 3, True, True)
