"""End to end through the real tritonserver: gRPC, HTTP and shared memory equal the in-process pipeline."""

import socket
import threading

import numpy as np
import pytest

from stylefuse import pipeline
from stylefuse.errors import UserError

TRANSPORTS = ["grpc", "http", "grpc-shm"]


@pytest.fixture(params=TRANSPORTS)
def transport(request, triton_server):
    from stylefuse.client import TritonTransport

    kind = request.param
    url = triton_server.http_url if kind == "http" else triton_server.grpc_url
    t = TritonTransport(
        url, protocol="http" if kind == "http" else "grpc", shared_memory=kind.endswith("shm"), timeout=120
    )
    yield t
    t.close()


def _rgb(h, w, seed=0):
    """float32 RGB in [0, 1]: gradients, a disc and noise (not just noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], axis=-1)
    return np.clip(rgb + rng.normal(0, 0.04, rgb.shape), 0, 1).astype(np.float32)


def assert_close(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        assert np.abs(got.astype(np.float64) - want).max() <= 1e-5
    else:
        assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max() <= 1


def _cases():
    rgb8 = (_rgb(72, 90) * 255).round().astype(np.uint8)
    rgba8 = np.concatenate(
        [
            (_rgb(64, 52, 1) * 255).astype(np.uint8),
            np.linspace(0, 255, 64 * 52).reshape(64, 52, 1).astype(np.uint8),
        ],
        axis=-1,
    )
    grey16 = (_rgb(60, 70, 2)[..., 1] * 4095).astype(np.uint16)  # 12-bit data in uint16
    ct = (_rgb(40, 48, 3)[..., 0][None] * np.linspace(0.5, 1.0, 5)[:, None, None] * 2400 - 1000).astype(
        np.int16
    )
    scene = _rgb(64, 80, 4)
    mask = np.zeros((64, 80), np.float32)
    mask[10:50, 20:70] = np.linspace(0, 1, 50, dtype=np.float32)[None]
    a = (_rgb(56, 64, 5)[..., 0] * 255).astype(np.uint8)
    b = (_rgb(56, 64, 6)[..., 2] * 255).astype(np.uint8)
    return {
        "rgb-uint8": ("stylize", dict(image=rgb8)),
        "rgba-uint8-strength": ("stylize", dict(image=rgba8, strength=0.6)),
        "grey-uint16": ("stylize", dict(image=grey16)),
        "int16-stack-batches": ("stylize", dict(image=ct, is_stack=True, batch_size=2)),
        "fp32-mask-preserve": ("stylize", dict(image=scene, mask=mask, preserve_color=True)),
        "style-reference": ("stylize", dict(image=rgb8, reference=(_rgb(80, 80, 7) * 255).astype(np.uint8))),
        "fuse-uint8": ("fuse", dict(a=a, b=b)),
        "fuse-resample": ("fuse", dict(a=a, b=b[::2, ::2].copy(), resample=True)),
    }


CASES = _cases()


@pytest.mark.parametrize("case", list(CASES))
def test_transport_equals_in_process(transport, case, style_model, fuse_model):
    call, kwargs = CASES[case]
    model = style_model if call == "stylize" else fuse_model
    want = getattr(pipeline, call)(model=model, **kwargs)
    got = getattr(transport, call)(model=model.name, **kwargs)
    assert_close(got, want)


def test_list_models_and_ping(triton_server):
    from stylefuse.client import TritonTransport

    t = TritonTransport(triton_server.grpc_url)
    t.ping()
    models = {m["name"]: m for m in t.list_models()}
    assert models["udnie"] == {
        "name": "udnie",
        "task": "style",
        "channels": 3,
        "has_default_style": True,
        "default": True,
        "kinds": [],
    }  # the installed default of its task (stylefuse.model_choice)
    assert models["fuse-medical"]["task"] == "fuse"
    assert models["fuse-medical"]["kinds"] == ["medical"]  # what the automatic fusion rule reads
    assert {m["name"] for m in TritonTransport(triton_server.http_url, protocol="http").list_models()} == set(
        models
    )


def test_progress_and_cancel(triton_server):
    from stylefuse.client import TritonTransport

    t = TritonTransport(triton_server.grpc_url)
    stack = (np.random.default_rng(0).random((5, 24, 24)) * 255).astype(np.uint8)
    seen = []
    t.stylize(stack, is_stack=True, batch_size=2, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    calls = []
    with pytest.raises(pipeline.Cancelled):
        t.stylize(stack, is_stack=True, batch_size=2, cancel=lambda: calls.append(1) or len(calls) > 1)


def test_client_errors(triton_server):
    from stylefuse.client import TritonTransport

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        unused = s.getsockname()[1]
    with pytest.raises(UserError, match="cannot reach the stylefuse server.*stylefuse serve"):
        TritonTransport(f"127.0.0.1:{unused}").ping()
    t = TritonTransport(triton_server.grpc_url)
    with pytest.raises(UserError, match="not served"):
        t.stylize(np.zeros((8, 8, 3), np.uint8), model="no-such-model")
    with pytest.raises(UserError, match="NaN"):
        t.stylize(np.full((8, 8, 3), np.nan, np.float32))
    with pytest.raises(UserError, match="is a 'fuse' model"):
        t.stylize(np.zeros((8, 8, 3), np.uint8), model="fuse-medical")


# ------------------------------------------------------------------------- raw requests, bad ones


def _raw(url, model, tensors, outputs=None):
    import tritonclient.grpc as g

    if outputs is None:  # the output matching the (first) source's dtype
        outputs = [
            next(
                (n.replace("SOURCE_", "OUTPUT_") for n in tensors if n.startswith("SOURCE_")), "OUTPUT_UINT8"
            )
        ]
    client = g.InferenceServerClient(url)
    inputs = []
    for name, array in tensors.items():
        dt = (
            "BOOL"
            if array.dtype == np.bool_
            else {"uint8": "UINT8", "uint16": "UINT16", "int16": "INT16", "float32": "FP32"}[str(array.dtype)]
        )
        item = g.InferInput(name, list(array.shape), dt)
        item.set_data_from_numpy(array)
        inputs.append(item)
    return client.infer(model, inputs, outputs=[g.InferRequestedOutput(o) for o in outputs])


GOOD = {"SOURCE_UINT8": np.full((1, 8, 8, 3), 100, np.uint8)}
BAD = {
    "no source": ({"STRENGTH": np.ones((1, 1), np.float32)}, "no source image"),
    "two sources": ({**GOOD, "SOURCE_FP32": np.zeros((1, 8, 8, 3), np.float32)}, "exactly one"),
    "wrong dtype": ({"SOURCE_UINT8": np.zeros((1, 8, 8, 3), np.float32)}, "(?i)data.?type|datatype|expected"),
    "wrong rank": ({"SOURCE_UINT8": np.zeros((1, 8, 8), np.uint8)}, "(?i)shape|dims"),
    "five channels": ({"SOURCE_UINT8": np.zeros((1, 8, 8, 5), np.uint8)}, "channels"),
    "empty": ({"SOURCE_UINT8": np.zeros((1, 0, 8, 3), np.uint8)}, "empty"),
    "oversized": ({"SOURCE_UINT8": np.zeros((1, 16385, 1, 1), np.uint8)}, "too large"),
    "nan": ({"SOURCE_FP32": np.full((1, 8, 8, 3), np.nan, np.float32)}, "NaN"),
    "mask shape": ({**GOOD, "MASK": np.ones((1, 4, 4), np.float32)}, "MASK has shape"),
    "strength": ({**GOOD, "STRENGTH": np.full((1, 1), 2.0, np.float32)}, "strength must be in"),
    "output dtype": ({"SOURCE_UINT16": np.zeros((1, 8, 8, 1), np.uint16)}, "request OUTPUT_UINT16"),
    "inf": ({"SOURCE_FP32": np.array([[[[0.0], [np.inf]]]], np.float32)}, "infinite"),
    "negative strength": ({**GOOD, "STRENGTH": np.full((1, 1), -0.5, np.float32)}, "strength must be in"),
    "nan strength": ({**GOOD, "STRENGTH": np.full((1, 1), np.nan, np.float32)}, "strength must be in"),
    "rgba mask": ({**GOOD, "MASK": np.ones((1, 8, 8, 4), np.float32)}, "(?i)shape|dims"),
    "nan mask": ({**GOOD, "MASK": np.full((1, 8, 8), np.nan, np.float32)}, "NaN"),
    "wide image": ({"SOURCE_UINT8": np.zeros((1, 1, 16385, 1), np.uint8)}, "too large"),
    "reversed range": ({**GOOD, "VALUE_RANGE": np.array([[9.0, 1.0]], np.float32)}, "lo < hi"),
    "unknown input": ({**GOOD, "EXTRA": np.zeros((1, 1), np.float32)}, "(?i)unexpected|unknown"),
}
OUTPUTS = {"output dtype": ["OUTPUT_UINT8"]}
# Bad requests to the fusion model (its own mistakes: the second image missing or of another size).
FUSE_BAD = {
    "fusion without b": ({"SOURCE_UINT8": np.zeros((1, 8, 8, 1), np.uint8)}, "no reference image"),
    "fusion sizes differ": (
        {
            "SOURCE_UINT8": np.zeros((1, 8, 8, 1), np.uint8),
            "REFERENCE_UINT8": np.zeros((1, 9, 8, 1), np.uint8),
        },
        "differ in size",
    ),
    "fusion slices differ": (
        {
            "SOURCE_UINT8": np.zeros((3, 8, 8, 1), np.uint8),
            "REFERENCE_UINT8": np.zeros((2, 8, 8, 1), np.uint8),
        },
        "batch size does not match",
    ),
    "strength for fusion": (
        {
            "SOURCE_UINT8": np.zeros((1, 8, 8, 1), np.uint8),
            "REFERENCE_UINT8": np.zeros((1, 8, 8, 1), np.uint8),
            "STRENGTH": np.ones((1, 1), np.float32),
        },
        "for style models",
    ),
}


def _hashes(tensors: dict) -> dict:
    import hashlib

    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in tensors.items()}


@pytest.mark.parametrize("model,case", [("udnie", c) for c in BAD] + [("fuse-medical", c) for c in FUSE_BAD])
def test_bad_request_gets_clear_error_and_server_keeps_serving(triton_server, model, case):
    from tritonclient.utils import InferenceServerException

    tensors, message = (BAD if model == "udnie" else FUSE_BAD)[case]
    before = _hashes(tensors)
    with pytest.raises(InferenceServerException, match=message) as info:
        _raw(triton_server.grpc_url, model, tensors, OUTPUTS.get(case))
    assert "INVALID_ARG" in str(info.value.status()) or "INVALID_ARGUMENT" in str(info.value.status())
    assert _hashes(tensors) == before  # the client's arrays are untouched
    assert _raw(triton_server.grpc_url, "udnie", GOOD).as_numpy("OUTPUT_UINT8").shape == (1, 8, 8, 3)


@pytest.mark.parametrize("name", ["no-such-model", "..%2Fudnie", "udnie%2F..%2F..%2Fetc"])
def test_unknown_or_path_like_model_names(triton_server, name):
    from tritonclient.utils import InferenceServerException

    with pytest.raises(InferenceServerException, match="(?i)unknown model|not found|invalid"):
        _raw(triton_server.grpc_url, name, GOOD)
    assert _raw(triton_server.grpc_url, "udnie", GOOD).as_numpy("OUTPUT_UINT8").shape == (1, 8, 8, 3)


def test_bad_request_in_a_dynamic_batch_fails_alone(triton_server):
    """Concurrent same-shape requests get merged by the dynamic batcher; only the bad one fails."""
    from tritonclient.utils import InferenceServerException

    results = {}

    def send(i):
        source = np.full((1, 16, 16, 3), np.nan if i == 3 else 0.1 * i, np.float32)
        try:
            results[i] = _raw(
                triton_server.grpc_url, "udnie", {"SOURCE_FP32": source}, ("OUTPUT_FP32",)
            ).as_numpy("OUTPUT_FP32")
        except InferenceServerException as exc:
            results[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert isinstance(results[3], InferenceServerException) and "NaN" in str(results[3])
    assert all(
        isinstance(results[i], np.ndarray) and results[i].shape == (1, 16, 16, 3) for i in results if i != 3
    )


def test_cli_server_option_equals_in_process(triton_server, tmp_path):
    from stylefuse.cli import main
    from stylefuse.io import read_image, write_image

    src = tmp_path / "in.png"
    write_image(src, (_rgb(48, 64, 9) * 255).astype(np.uint8))
    assert main(["-q", "stylize", str(src), "--strength", "0.7", "-o", str(tmp_path / "local.png")]) == 0
    assert (
        main(
            [
                "-q",
                "stylize",
                str(src),
                "--strength",
                "0.7",
                "--server",
                triton_server.grpc_url,
                "-o",
                str(tmp_path / "served.png"),
            ]
        )
        == 0
    )
    assert_close(read_image(tmp_path / "served.png").array, read_image(tmp_path / "local.png").array)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_image(a, (_rgb(40, 40, 10)[..., 0] * 255).astype(np.uint8))
    write_image(b, (_rgb(40, 40, 11)[..., 1] * 255).astype(np.uint8))
    assert main(["-q", "fuse", str(a), str(b), "-o", str(tmp_path / "f_local.png")]) == 0
    assert (
        main(
            [
                "-q",
                "fuse",
                str(a),
                str(b),
                "--server",
                triton_server.http_url,
                "-o",
                str(tmp_path / "f_served.png"),
            ]
        )
        == 0
    )
    assert_close(read_image(tmp_path / "f_served.png").array, read_image(tmp_path / "f_local.png").array)
    assert main(["-q", "stylize", str(src), "--server", "127.0.0.1:1", "-o", str(tmp_path / "x.png")]) == 2
