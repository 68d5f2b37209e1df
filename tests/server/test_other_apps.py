"""Other apps reach the server without Python: curl on the KServe v2 HTTP/JSON endpoint, and a Node.js
gRPC client (@grpc/grpc-js with the proto in tests/server/clients). Both get the in-process result.

The Node modules are installed by scripts/test (step_node_grpc) into $STYLEFUSE_NODE_MODULES
(default ~/.cache/stylefuse/node-grpc/node_modules); the gRPC test skips, saying so, only when they are
missing (the install step failed or scripts/test was not run) or node is not installed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from stylefuse import pipeline

CLIENTS = Path(__file__).parent / "clients"
H, W = 12, 20


def pattern(h: int, w: int) -> np.ndarray:
    """The image grpc_stylize.js sends: byte i of the H x W x 3 array is (37 i + i // 3) mod 256."""
    i = np.arange(h * w * 3, dtype=np.int64)
    return ((i * 37 + i // 3) % 256).astype(np.uint8).reshape(h, w, 3)


def node_modules() -> Path:
    default = Path.home() / ".cache" / "stylefuse" / "node-grpc" / "node_modules"
    return Path(os.environ.get("STYLEFUSE_NODE_MODULES", default))


def _curl(*args: str) -> tuple[int, dict]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "120", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    body, _, code = done.stdout.rpartition("\n")
    return int(code), json.loads(body)


def test_curl_kserve_json_inference(spare_server):
    server = spare_server.ensure_running()
    image = pattern(H, W)
    request = {
        "inputs": [
            {
                "name": "SOURCE_UINT8",
                "shape": [1, H, W, 3],
                "datatype": "UINT8",
                "data": image.reshape(-1).tolist(),
            }
        ],
        "outputs": [{"name": "OUTPUT_UINT8"}],
    }
    code, body = _curl(
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        json.dumps(request),
        f"{server.http_url}/v2/models/udnie/infer",
    )
    assert code == 200, body
    (out,) = body["outputs"]
    assert out["name"] == "OUTPUT_UINT8" and out["datatype"] == "UINT8" and out["shape"] == [1, H, W, 3]
    got = np.array(out["data"], np.int16).reshape(H, W, 3)
    want = pipeline.stylize(image, "udnie").astype(np.int16)
    assert np.abs(got - want).max() <= 1

    # a request the model refuses: a clear error (HTTP 400) naming what to fix
    bad = {"inputs": [{"name": "STRENGTH", "shape": [1, 1], "datatype": "FP32", "data": [0.5]}]}
    code, body = _curl(
        "-X", "POST", "--data-binary", json.dumps(bad), f"{server.http_url}/v2/models/udnie/infer"
    )
    assert code == 400 and "stylefuse: no source image" in body["error"], body

    # the model's metadata lists the contract's tensors
    code, meta = _curl(f"{server.http_url}/v2/models/udnie")
    assert code == 200 and {"SOURCE_UINT8", "STRENGTH"} <= {t["name"] for t in meta["inputs"]}


def test_node_grpc_client(spare_server):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt install nodejs); scripts/test's step_node_grpc needs it too")
    modules = node_modules()
    if not (modules / "@grpc" / "grpc-js").is_dir() or not (modules / "@grpc" / "proto-loader").is_dir():
        pytest.skip(
            f"@grpc/grpc-js and @grpc/proto-loader are not in {modules}: scripts/test's step_node_grpc "
            "installs them (npm); it failed or was not run"
        )
    server = spare_server.ensure_running()
    env = {**os.environ, "NODE_PATH": str(modules)}
    done = subprocess.run(
        [node, str(CLIENTS / "grpc_stylize.js"), server.grpc_url, "udnie", str(H), str(W)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["ready"] is True and answer["name"] == "OUTPUT_UINT8" and answer["datatype"] == "UINT8"
    assert answer["shape"] == [1, H, W, 3]
    got = np.frombuffer(base64.b64decode(answer["data"]), np.uint8).reshape(H, W, 3).astype(np.int16)
    want = pipeline.stylize(pattern(H, W), "udnie").astype(np.int16)
    assert np.abs(got - want).max() <= 1

    # an unknown model: a clear gRPC error, not a crash of the client
    done = subprocess.run(
        [node, str(CLIENTS / "grpc_stylize.js"), server.grpc_url, "no-such-model", "4", "4"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert (
        done.returncode == 2 and "no-such-model" in json.loads(done.stdout.strip().splitlines()[-1])["error"]
    )
