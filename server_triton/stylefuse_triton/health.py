"""Health of a running server's models: a tiny real inference per model, and a reload only for a model
that is really dead, never for one that is only busy.

A python-backend model whose stub died is still reported ready by Triton, so the probe is a real
request. A probe can also fail because it waited behind real work (a long queue, a huge image): before
reloading, `heal` asks Triton whether the model is working — its statistics (requests finished since
the probe started) and the pending-request gauge on the metrics endpoint (requests queued or running
besides the probe). A model that failed its probe while working is left alone (counted in `busy`).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from stylefuse.errors import UserError


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, ValueError):
        return 0, b""


def post(url: str, body: dict | None = None, timeout: float = 30.0) -> tuple[int, bytes]:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, ValueError) as exc:
        return 0, str(exc).encode()


def probe_inputs(task: str, has_default_style: bool) -> list[dict]:
    """A tiny real request (KServe v2 JSON): 8 x 8 RGB, plus a reference where the model needs one."""
    inputs = [
        {
            "name": "SOURCE_UINT8",
            "shape": [1, 8, 8, 3],
            "datatype": "UINT8",
            "data": [(i * 37) % 256 for i in range(192)],
        }
    ]
    side = 8 if task == "fuse" else 32  # fusion: same size as the source; style: big enough to encode
    if task == "fuse" or not has_default_style:
        inputs.append(
            {
                "name": "REFERENCE_UINT8",
                "shape": [1, side, side, 3],
                "datatype": "UINT8",
                "data": [(i * 53) % 256 for i in range(side * side * 3)],
            }
        )
    return inputs


class Health:
    """Mixed into TritonServer: needs `http_url`, `metrics_url`, `health_models()` and `track_shm()`."""

    probe_timeout: float = 30.0
    busy: dict[str, int]  # model -> probes failed while the model was working (not reloaded)

    def model_parameters(self, model: str) -> dict:
        status, body = get(f"{self.http_url}/v2/models/{model}/config")
        if status != 200:
            return {}
        params = json.loads(body).get("parameters", {})
        return {k: v.get("string_value", "") for k, v in params.items()}

    def probe(self, model: str, timeout: float | None = None) -> str | None:
        """None if a tiny real inference on `model` works, else the error text."""
        params = self.model_parameters(model)
        if params.get("stylefuse_role") != "pipeline":
            return None if get(f"{self.http_url}/v2/models/{model}/ready")[0] == 200 else "not ready"
        body = {
            "inputs": probe_inputs(params.get("task", "style"), params.get("has_default_style") == "true"),
            "outputs": [{"name": "OUTPUT_UINT8"}],
        }
        status, text = post(f"{self.http_url}/v2/models/{model}/infer", body, timeout or self.probe_timeout)
        return None if status == 200 else (text.decode(errors="replace") or f"HTTP {status}")

    def finished(self, model: str) -> int | None:
        """Requests `model` has finished so far (Triton's statistics), None if unknown."""
        status, body = get(f"{self.http_url}/v2/models/{model}/stats", timeout=5)
        if status != 200:
            return None
        stats = json.loads(body).get("model_stats") or [{}]
        return sum(int(s.get("inference_count", 0)) for s in stats)

    def pending(self, model: str) -> int | None:
        """Requests queued or running on `model` now (the metrics endpoint's gauge), None if unknown."""
        status, body = get(f"{self.metrics_url}/metrics", timeout=5)
        if status != 200:
            return None
        found = re.findall(
            rf'^nv_inference_pending_request_count\{{[^}}]*model="{re.escape(model)}"[^}}]*\}}\s+(\S+)$',
            body.decode(errors="replace"),
            re.M,
        )
        return int(sum(float(v) for v in found)) if found else None

    def working(self, model: str, finished_before: int | None) -> bool:
        """True when `model` finished requests since `finished_before`, or has others than a probe waiting."""
        after = self.finished(model)
        if finished_before is not None and after is not None and after > finished_before:
            return True
        pending = self.pending(model)
        return pending is not None and pending > 1  # the timed-out probe itself may still be queued

    def reload(self, model: str, timeout: float = 120.0) -> None:
        post(f"{self.http_url}/v2/repository/models/{model}/unload", {}, timeout)
        status, text = post(f"{self.http_url}/v2/repository/models/{model}/load", {}, timeout)
        if status != 200:
            raise UserError(f"reloading model {model!r} failed: {text.decode(errors='replace')}")
        self.track_shm()

    def heal(self) -> list[str]:
        """Probe every loaded model; reload those that fail and are not busy (e.g. a dead python
        backend stub). Returns the reloaded ones."""
        healed = []
        for model in self.health_models():
            before = self.finished(model)
            error = self.probe(model)
            if error is None:
                continue
            if "timed out" in error.lower() and self.working(model, before):
                self.busy[model] = self.busy.get(model, 0) + 1
                continue
            self.reload(model)
            healed.append(model)
        return healed
