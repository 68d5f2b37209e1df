"""The plug-in's standard-library KServe v2 client, outside GIMP, against a real stylefuse Triton server."""

from __future__ import annotations

import struct
import sys

import numpy as np
import pytest
from gimprun import PLUGIN_DIR

sys.path.insert(0, str(PLUGIN_DIR))
import sfclient  # noqa: E402

DEAD_URL = "http://127.0.0.1:9"


def image(arr: np.ndarray) -> sfclient.Image:
    dtype = {np.uint8: "UINT8", np.uint16: "UINT16", np.int16: "INT16", np.float32: "FP32"}[arr.dtype.type]
    h, w = arr.shape[:2]
    c = 1 if arr.ndim == 2 else arr.shape[2]
    return sfclient.Image(h, w, c, dtype, np.ascontiguousarray(arr).tobytes())


def result(raw: bytes, like: np.ndarray) -> np.ndarray:
    return np.frombuffer(raw, like.dtype).reshape(like.shape)


def picture(h=40, w=56, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h - 1, w - 1])[:, None, None]
    rgb = np.stack([x, y, 1 - x * y], -1) * 0.8 + rng.normal(0, 0.05, (h, w, 3))
    return np.clip(rgb, 0, 1).astype(np.float32)


# -- no server needed -----------------------------------------------------------------------------
def test_request_encoding_round_trip():
    t = sfclient.Tensor("SOURCE_UINT16", "UINT16", [1, 2, 3, 1], struct.pack("<6H", *range(6)))
    body, head_len = sfclient.encode_request([t], ["OUTPUT_UINT16"])
    head = body[:head_len].decode()
    assert '"binary_data_size":12' in head and '"binary_data":true' in head
    assert body[head_len:] == t.data
    response = (
        b'{"outputs":[{"name":"OUTPUT_UINT16","datatype":"UINT16","shape":[1,2,3,1],'
        b'"parameters":{"binary_data_size":12}}]}'
    )
    out = sfclient.decode_response(response + t.data, len(response))["OUTPUT_UINT16"]
    assert out.data == t.data and out.shape == [1, 2, 3, 1]


def test_tensor_size_checked():
    with pytest.raises(ValueError):
        sfclient.Tensor("MASK", "FP32", [1, 2, 2], b"\0" * 15)


def test_server_error_json_and_short_response():
    with pytest.raises(sfclient.ServerError, match="bad input"):
        sfclient.decode_response(b'{"error":"bad input"}', None)
    head = b'{"outputs":[{"name":"O","datatype":"UINT8","shape":[1,4],"parameters":{"binary_data_size":4}}]}'
    with pytest.raises(sfclient.ServerError, match="cut short"):
        sfclient.decode_response(head + b"ab", len(head))


def test_unreachable_server_says_how_to_start_it():
    client = sfclient.Client(DEAD_URL, connect_timeout=2)
    assert not client.is_ready()
    with pytest.raises(sfclient.ServerUnreachable, match="stylefuse serve"):
        client.check()
    with pytest.raises(sfclient.ServerUnreachable, match="stylefuse serve"):
        client.run("udnie", image(np.zeros((4, 4, 3), np.uint8)))


# -- against the real server ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(server_url):
    c = sfclient.Client(server_url)
    c.check()
    return c


def test_lists_the_models_with_their_task(client):
    models = {m.name: m for m in client.models()}
    assert models["udnie"].task == "style" and models["udnie"].has_default_style
    assert models["fuse-medical"].task == "fuse"
    assert [m.name for m in client.models("fuse")] == ["fuse-medical"] or "fuse-medical" in [
        m.name for m in client.models("fuse")
    ]
    assert all(m.task == "style" for m in client.models("style"))


def test_rgba_uint8_style_matches_in_process_pipeline(client, style_model):
    from stylefuse.pipeline import stylize

    rgb = (picture() * 255).round().astype(np.uint8)
    alpha = np.linspace(0, 255, rgb.shape[1]).astype(np.uint8)[None, :].repeat(rgb.shape[0], 0)
    rgba = np.dstack([rgb, alpha])
    out = result(client.run("udnie", image(rgba)), rgba)
    assert np.array_equal(out[..., 3], alpha), "alpha passes through"
    expected = stylize(rgba, model=style_model)
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


def test_mask_zero_is_bit_identical_and_strength_preserve_color_travel(client):
    src = picture(33, 47, seed=3)
    mask = np.zeros(src.shape[:2], np.float32)
    mask[5:20, 10:30] = 1.0
    mask[20:25, 10:30] = 0.5
    out = result(client.run("udnie", image(src), mask=mask.tobytes(), strength=0.7, preserve_color=True), src)
    assert np.array_equal(out[mask == 0].view(np.uint32), src[mask == 0].view(np.uint32))
    assert not np.array_equal(out[mask == 1], src[mask == 1])
    zero = result(client.run("udnie", image(src), strength=0.0), src)
    assert np.array_equal(zero, src)


@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.float32])
def test_grey_fusion_keeps_dtype(client, dtype):
    a, b = picture(32, 40, 1)[..., 0], picture(32, 40, 2)[..., 1]
    if dtype == np.float32:
        a, b = a.astype(np.float32), b.astype(np.float32)
    elif dtype == np.uint16:
        a, b = (a * 65535).astype(np.uint16), (b * 65535).astype(np.uint16)
    else:
        a, b = (a * 2000 - 1000).astype(np.int16), (b * 2000 - 1000).astype(np.int16)
    out = result(client.run("fuse-medical", image(a), reference=image(b)), a)
    assert out.dtype == dtype and out.shape == a.shape
    if dtype == np.float32:
        assert np.isfinite(out).all()
    assert not np.array_equal(out, a)


def test_style_with_a_reference_image_of_another_size(client):
    src = (picture(30, 44, 4) * 65535).astype(np.uint16)
    ref = (picture(50, 38, 5)[::-1] * 65535).astype(np.uint16)
    out = result(client.run("udnie", image(src), reference=image(ref)), src)
    assert out.shape == src.shape


def test_server_errors_carry_the_servers_message(client):
    src = image(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(sfclient.ServerError) as info:
        client.run("no-such-model", src)
    assert "no-such-model" in str(info.value)
    with pytest.raises(sfclient.ServerError):
        client.run("fuse-medical", src)  # fusion needs the second image


def test_method_travels_as_the_protocols_input_and_only_for_synthesis(monkeypatch):
    from stylefuse import protocol

    sent = []

    def infer(self, model, inputs, outputs):
        sent.append({t.name: t for t in inputs})
        src = inputs[0]
        return {outputs[0]: sfclient.Tensor(outputs[0], src.datatype, src.shape, src.data)}

    monkeypatch.setattr(sfclient.Client, "infer", infer)
    source = sfclient.Image(2, 3, 3, "UINT8", bytes(18))
    client = sfclient.Client("http://127.0.0.1:1")
    client.run("udnie", source, method="synthesis")
    client.run("udnie", source, method="generator")
    client.run("udnie", source)
    method = sent[0]["METHOD"]
    datatype, dims = protocol.SCALAR_INPUTS["METHOD"]
    assert method.datatype == datatype and method.shape == [1, *dims]
    assert method.data == struct.pack("<I", 9) + b"synthesis"  # KServe BYTES: length-prefixed
    assert "METHOD" not in sent[1] and "METHOD" not in sent[2], "a generator request is as before METHOD"
    with pytest.raises(sfclient.ClientError, match="unknown method"):
        client.run("udnie", source, method="paint")
