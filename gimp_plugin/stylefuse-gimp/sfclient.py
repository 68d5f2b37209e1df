"""A standard-library-only KServe v2 HTTP client for the stylefuse Triton models.

GIMP's Python has neither numpy nor tritonclient, so this module speaks the protocol itself:
JSON for metadata, the binary tensor extension for pixels (raw little-endian bytes after the JSON
header, whose length travels in `Inference-Header-Content-Length`).

    client = Client("http://127.0.0.1:8000")
    client.models()                      # [ModelInfo(name="udnie", task="style", ...), ...]
    out = client.run("udnie", Image(h, w, c, "UINT8", pixels), strength=0.8)

Pixels are passed as bytes in HWC order with the image's own sample type (UINT8, UINT16, INT16,
FP32); the server keeps the dtype and value range, so the result is the same kind of bytes.

Pixels go to the configured URL and nowhere else: no proxy from the environment (http_proxy would
otherwise receive every image) and no redirects are followed (a 3xx answer is an error).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

DEFAULT_URL = "http://127.0.0.1:8000"
START_HINT = "start it with `stylefuse serve` (pip install stylefuse[serve]) and try again"
HEADER_LENGTH = "Inference-Header-Content-Length"

# Model names as stylefuse writes them (stylefuse.registry): never paths.
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# sample type -> (KServe datatype, bytes per sample)
DATATYPES = {"UINT8": 1, "UINT16": 2, "INT16": 2, "FP32": 4, "BOOL": 1, "BYTES": 0}  # BYTES: length-prefixed
METHODS = ("generator", "synthesis")  # the METHOD input: how a style model's request is painted
SUFFIX = {"UINT8": "UINT8", "UINT16": "UINT16", "INT16": "INT16", "FP32": "FP32"}


class ClientError(Exception):
    """Anything that kept a request from giving a result; the message is for the user."""


class ServerUnreachable(ClientError):
    """No server answered at the URL."""


class ServerError(ClientError):
    """The server answered with an error (its own message is in the text)."""


@dataclass
class Tensor:
    """One named tensor: KServe datatype, shape and raw little-endian bytes."""

    name: str
    datatype: str
    shape: list[int]
    data: bytes

    def __post_init__(self):
        if self.datatype not in DATATYPES:
            raise ValueError(f"unsupported datatype {self.datatype}")
        n = 1
        for s in self.shape:
            n *= int(s)
        if self.datatype != "BYTES" and len(self.data) != n * DATATYPES[self.datatype]:
            raise ValueError(
                f"{self.name}: {len(self.data)} bytes do not fit shape {self.shape} of {self.datatype}"
            )


@dataclass
class Image:
    """An HWC image as raw bytes: height, width, channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)."""

    height: int
    width: int
    channels: int
    datatype: str  # UINT8 | UINT16 | INT16 | FP32
    data: bytes

    def tensor(self, prefix: str) -> Tensor:
        if self.datatype not in SUFFIX:
            raise ValueError(f"unsupported sample type {self.datatype}")
        return Tensor(
            f"{prefix}_{SUFFIX[self.datatype]}",
            self.datatype,
            [1, self.height, self.width, self.channels],
            self.data,
        )


@dataclass
class ModelInfo:
    name: str
    task: str = ""  # "style" | "fuse"
    channels: int = 0
    has_default_style: bool = False
    default: bool = False  # the server's default model of its task
    state: str = ""
    parameters: dict = field(default_factory=dict)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: the request (and its pixels) is for the configured server only."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx code


# No ProxyHandler from the environment, no redirects: requests go to the configured URL only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def check_model_name(name: str) -> str:
    """`name` if it is a plain model name (letters, digits, '.', '_', '-'), else a ClientError."""
    if not isinstance(name, str) or not _MODEL_NAME.match(name) or ".." in name:
        raise ClientError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-' (no paths)"
        )
    return name


def _native_to_le(data: bytes, datatype: str) -> bytes:
    """GEGL hands out native-endian samples; the wire wants little-endian."""
    if sys.byteorder == "little" or DATATYPES[datatype] == 1:
        return bytes(data)
    fmt = {"UINT16": "H", "INT16": "h", "FP32": "f"}[datatype]
    n = len(data) // DATATYPES[datatype]
    return struct.pack(f"<{n}{fmt}", *struct.unpack(f"={n}{fmt}", data))


def _le_to_native(data: bytes, datatype: str) -> bytes:
    if sys.byteorder == "little" or DATATYPES[datatype] == 1:
        return bytes(data)
    fmt = {"UINT16": "H", "INT16": "h", "FP32": "f"}[datatype]
    n = len(data) // DATATYPES[datatype]
    return struct.pack(f"={n}{fmt}", *struct.unpack(f"<{n}{fmt}", data))


def encode_request(inputs: list[Tensor], outputs: list[str]) -> tuple[bytes, int]:
    """The body of a binary-extension infer request and the length of its JSON part."""
    header = {
        "inputs": [
            {
                "name": t.name,
                "shape": list(t.shape),
                "datatype": t.datatype,
                "parameters": {"binary_data_size": len(t.data)},
            }
            for t in inputs
        ],
        "outputs": [{"name": n, "parameters": {"binary_data": True}} for n in outputs],
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    return head + b"".join(t.data for t in inputs), len(head)


def decode_response(body: bytes, header_length: int | None) -> dict[str, Tensor]:
    """Output tensors of an infer response (binary or JSON data)."""
    if header_length is None:
        header_length = len(body)
    try:
        head = json.loads(body[:header_length].decode())
    except ValueError as exc:
        raise ServerError(f"the server sent a response that is not KServe v2 JSON: {exc}") from None
    if "error" in head:
        raise ServerError(str(head["error"]))
    result, offset = {}, header_length
    for out in head.get("outputs", []):
        size = out.get("parameters", {}).get("binary_data_size")
        dtype = out["datatype"]
        if size is not None:
            data = body[offset : offset + size]
            offset += size
            if len(data) != size:
                raise ServerError(f"the server's response is cut short in output {out['name']}")
        else:  # JSON data (a server ignoring binary_data): flatten and pack
            values = out.get("data", [])
            fmt = {"UINT8": "B", "UINT16": "H", "INT16": "h", "FP32": "f", "BOOL": "?"}[dtype]
            data = struct.pack(f"<{len(values)}{fmt}", *values)
        result[out["name"]] = Tensor(out["name"], dtype, list(out["shape"]), data)
    return result


class Client:
    """KServe v2 over HTTP to a Triton server with the stylefuse models."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = 600.0, connect_timeout: float = 5.0):
        url = (url or DEFAULT_URL).strip().rstrip("/")
        if "://" not in url:
            url = "http://" + url
        self.url = url
        parts = urllib.parse.urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
            port_ok = True
        except ValueError:
            port_ok = False
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or not port_ok
            or parts.path
            or parts.query
        ):
            raise ClientError(f"invalid server URL {url!r}: give http://HOST:PORT, e.g. {DEFAULT_URL}")
        self.timeout = timeout
        self.connect_timeout = connect_timeout

    # -- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        timeout: float | None = None,
    ):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with _OPENER.open(req, timeout=timeout or self.timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location", "elsewhere") if exc.headers else "elsewhere"
                raise ServerError(
                    f"the server at {self.url} redirects to {where}; images are sent only to the "
                    "configured URL, so set the server URL to the real server"
                ) from None
            data = exc.read()
            message = data.decode(errors="replace").strip()
            try:
                hl = exc.headers.get(HEADER_LENGTH)
                message = json.loads(data[: int(hl)] if hl else data).get("error", message)
            except (ValueError, AttributeError):
                pass
            raise ServerError(f"{message or exc.reason} (HTTP {exc.code} from {self.url}{path})") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (socket.timeout, TimeoutError)) and path.endswith("/infer"):
                raise ServerError(
                    f"the stylefuse server at {self.url} took longer than {timeout or self.timeout:.0f} s"
                ) from None
            raise ServerUnreachable(
                f"cannot reach the stylefuse server at {self.url} ({reason}); {START_HINT}"
            ) from None

    def _json(self, method: str, path: str, payload=None):
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        _, _, data = self._request(method, path, body, headers, timeout=self.connect_timeout + 25)
        return json.loads(data.decode()) if data else None

    # -- metadata ------------------------------------------------------------------------------
    def is_ready(self) -> bool:
        try:
            status, _, _ = self._request("GET", "/v2/health/ready", timeout=self.connect_timeout)
            return status == 200
        except ClientError:
            return False

    def check(self) -> None:
        """Raise ServerUnreachable (with how to start the server) unless a server answers."""
        self._request("GET", "/v2/health/live", timeout=self.connect_timeout)

    def model_names(self) -> list[str]:
        index = self._json("POST", "/v2/repository/index", {"ready": True})
        return sorted(str(m["name"]) for m in index or [] if m.get("state", "READY") == "READY")

    def model_info(self, name: str) -> ModelInfo:
        check_model_name(name)
        config = self._json("GET", f"/v2/models/{_quote(name)}/config") or {}
        params = {
            k: (v.get("string_value", "") if isinstance(v, dict) else str(v))
            for k, v in (config.get("parameters") or {}).items()
        }
        try:
            channels = int(params.get("channels", "0") or 0)
        except ValueError:
            channels = 0
        return ModelInfo(
            name=name,
            task=params.get("task", ""),
            channels=channels,
            has_default_style=params.get("has_default_style", "").lower() in ("1", "true", "yes"),
            default=params.get("default", "").lower() == "true",
            state="READY",
            parameters=params,
        )

    def models(self, task: str | None = None) -> list[ModelInfo]:
        """The ready stylefuse models (those with a `task` parameter), optionally of one task."""
        infos = [self.model_info(n) for n in self.model_names() if _MODEL_NAME.match(n) and ".." not in n]
        return [m for m in infos if m.task and (task is None or m.task == task)]

    # -- inference -----------------------------------------------------------------------------
    def infer(self, model: str, inputs: list[Tensor], outputs: list[str]) -> dict[str, Tensor]:
        check_model_name(model)
        body, head_len = encode_request(inputs, outputs)
        headers = {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(head_len)}
        _, resp_headers, data = self._request("POST", f"/v2/models/{_quote(model)}/infer", body, headers)
        hl = {k.lower(): v for k, v in resp_headers.items()}.get(HEADER_LENGTH.lower())
        return decode_response(data, int(hl) if hl is not None else None)

    def run(
        self,
        model: str,
        source: Image,
        reference: Image | None = None,
        mask: bytes | None = None,
        strength: float | None = None,
        preserve_color: bool | None = None,
        value_range: tuple[float, float] | None = None,
        method: str | None = None,
    ) -> bytes:
        """Stylize or fuse `source`; returns the result's bytes (same size, channels and type).

        `mask` is H*W little-endian float32 values in 0..1 (or None for everywhere). `method`
        "synthesis" paints with the reference's own patches (style models; METHOD travels only then,
        so a generator request is the same as for a server that predates METHOD).
        """
        src = source.tensor("SOURCE")
        src = Tensor(src.name, src.datatype, src.shape, _native_to_le(source.data, source.datatype))
        inputs = [src]
        if reference is not None:
            ref = reference.tensor("REFERENCE")
            inputs.append(
                Tensor(ref.name, ref.datatype, ref.shape, _native_to_le(reference.data, reference.datatype))
            )
        if mask is not None:
            inputs.append(
                Tensor("MASK", "FP32", [1, source.height, source.width], _native_to_le(mask, "FP32"))
            )
        if strength is not None:
            inputs.append(Tensor("STRENGTH", "FP32", [1, 1], struct.pack("<f", float(strength))))
        if preserve_color is not None:
            inputs.append(Tensor("PRESERVE_COLOR", "BOOL", [1, 1], b"\x01" if preserve_color else b"\x00"))
        if value_range is not None:
            inputs.append(Tensor("VALUE_RANGE", "FP32", [1, 2], struct.pack("<2f", *map(float, value_range))))
        if method is not None and method != METHODS[0]:
            if method not in METHODS:
                raise ClientError(f"unknown method {method!r}; one of: {', '.join(METHODS)}")
            raw = method.encode()
            inputs.append(Tensor("METHOD", "BYTES", [1, 1], struct.pack("<I", len(raw)) + raw))
        out_name = "OUTPUT_" + SUFFIX[source.datatype]
        outs = self.infer(model, inputs, [out_name])
        if out_name not in outs:
            raise ServerError(f"the server's answer has no {out_name}")
        out = outs[out_name]
        expected = [1, source.height, source.width, source.channels]
        if list(out.shape) != expected or out.datatype != source.datatype:
            raise ServerError(
                f"the server returned {out.datatype} {out.shape}, expected {source.datatype} {expected}"
            )
        return _le_to_native(out.data, out.datatype)


def pick_default(models: list[ModelInfo], task: str, need_default_style: bool = False) -> str | None:
    """The model to run when none is named: stylefuse.model_choice.default_model's rule (the plug-in
    cannot import stylefuse; tests/gimp/test_sfclient_protocol.py checks that the two agree).

    Of `task`'s models in the server's order: without a reference, those with a built-in style if
    any; then the one the server marks default, else the first. None when there is none.
    """
    of_task = [m for m in models if m.task == task]
    if not of_task:
        return None
    if need_default_style:
        of_task = [m for m in of_task if m.has_default_style] or of_task
    return next((m.name for m in of_task if m.default), of_task[0].name)


def _quote(name: str) -> str:
    return urllib.request.quote(name, safe="")
