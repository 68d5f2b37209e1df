"""`stylefuse.client`: the in-process pipeline's calls, run by a stylefuse Triton server.

    t = TritonTransport("127.0.0.1:8001")              # gRPC (default); protocol="http" for port 8000
    t.ping(); t.list_models()
    out = t.stylize(image, model="udnie", strength=0.8)  # same arguments and result as stylefuse.pipeline
    fused = t.fuse(t1, t2, model="fuse-medical")

Arrays travel as the app holds them (uint8, uint16, int16, float32; float16/float64 go as float32 and
come back in their own dtype) in the wire protocol of `stylefuse_triton.protocol`. A stack is sent
in requests of up to `batch_size` slices, each with the whole stack's value range (computed once
here with `stylefuse.pipeline.value_range_of`), so every slice maps intensities as the in-process
pipeline does. `shared_memory=True` passes the images through system shared memory (server on the
same host). Errors the user can fix (server down, model missing, bad input) raise UserError;
only transient failures (server unavailable, connection reset) are retried.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
import weakref

import numpy as np

from .errors import UserError
from .limits import check_pixel_count
from .pipeline.layout import as_slices, parse_layout
from .pipeline.ranges import check_dtype, to_unit, value_range_of
from .pipeline.runner import Cancelled, check_batch_size

try:  # the wire protocol lives with the server package, in the same distribution
    from stylefuse_triton.protocol import MAX_BATCH_SIZE, wire_dtype
except ImportError:  # pragma: no cover - a partial install
    MAX_BATCH_SIZE = 8

    def wire_dtype(dtype):
        return {np.dtype(np.uint8): "UINT8", np.dtype(np.uint16): "UINT16", np.dtype(np.int16): "INT16",
                np.dtype(np.float32): "FP32"}.get(np.dtype(dtype))

# Pixels (N x H x W) per request a client aims for: big enough to batch small slices, small enough
# to keep messages and server memory moderate (the server refuses more than 64 Mpx).
REQUEST_PIXELS = 1 << 24
RETRIES = 2
# tritonclient's own channel options, plus: a subchannel of our own (gRPC otherwise shares one per
# address across channels, so a fresh channel would inherit the reconnect backoff of one that saw the
# server die) and a short backoff ceiling, so a restarted server is reached within a few seconds.
_GRPC_CHANNEL_ARGS = [
    ("grpc.max_send_message_length", 2**31 - 1),
    ("grpc.max_receive_message_length", 2**31 - 1),
    ("grpc.keepalive_time_ms", 2**31 - 1),
    ("grpc.keepalive_timeout_ms", 20000),
    ("grpc.keepalive_permit_without_calls", False),
    ("grpc.http2.max_pings_without_data", 2),
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
]

__all__ = ["Cancelled", "TritonTransport"]


def _parse_url(url: str, protocol: str | None) -> tuple[str, str]:
    for scheme in ("grpc", "http"):
        if url.startswith(f"{scheme}://"):
            return url[len(scheme) + 3:].rstrip("/"), protocol or scheme
    return url.rstrip("/"), protocol or "grpc"


class _ShmPool:
    """System shared-memory regions of one thread, reused (and grown) across requests."""

    def __init__(self, transport: TritonTransport):
        self.transport, self.regions = transport, {}  # role -> (name, handle, size)

    def region(self, role: str, size: int):
        from tritonclient.utils import shared_memory as shm

        current = self.regions.get(role)
        if current is not None and current[2] >= size:
            return current
        if current is not None:
            self.release(role)
        name = f"stylefuse_{os.getpid()}_{uuid.uuid4().hex[:12]}_{role}"
        handle = shm.create_shared_memory_region(name, "/" + name, size)
        try:
            self.transport._client.register_system_shared_memory(name, "/" + name, size)
        except Exception:
            shm.destroy_shared_memory_region(handle)
            raise
        self.regions[role] = (name, handle, size)
        return self.regions[role]

    def release(self, role: str) -> None:
        from tritonclient.utils import shared_memory as shm

        name, handle, _ = self.regions.pop(role)
        try:
            self.transport._client.unregister_system_shared_memory(name)
        except Exception:
            pass
        shm.destroy_shared_memory_region(handle)

    def close(self) -> None:
        for role in list(self.regions):
            self.release(role)


class TritonTransport:
    """stylize/fuse/list_models over a stylefuse Triton server (gRPC, HTTP, system shared memory)."""

    def __init__(self, url: str = "127.0.0.1:8001", protocol: str | None = None, shared_memory: bool = False,
                 timeout: float = 60.0):
        self.address, self.protocol = _parse_url(url, protocol)
        if self.protocol not in ("grpc", "http"):
            raise UserError(f"protocol must be 'grpc' or 'http', got {protocol!r}")
        self.url, self.shared_memory, self.timeout = url, bool(shared_memory), float(timeout)
        try:
            if self.protocol == "grpc":
                import tritonclient.grpc as tc
            else:
                import tritonclient.http as tc
            from tritonclient.utils import InferenceServerException
        except ImportError as exc:
            raise UserError(f"the Triton client is not installed ({exc}); install it with: "
                            "pip install 'stylefuse[serve]'") from None
        self._tc, self._exc = tc, InferenceServerException
        self._local = threading.local()
        self._clients: list = []
        self._models: list[dict] | None = None
        self._pools: list[_ShmPool] = []
        self._lock = threading.Lock()
        weakref.finalize(self, TritonTransport._close_pools, self._pools)

    @property
    def _client(self):
        """One Triton client per thread: the HTTP client runs on gevent, whose connections belong to the
        thread that made them (napari calls from worker threads: "Cannot switch to a different thread")."""
        client = getattr(self._local, "client", None)
        if client is None:
            if self.protocol == "grpc":
                client = self._tc.InferenceServerClient(self.address, channel_args=_GRPC_CHANNEL_ARGS)
            else:
                client = self._tc.InferenceServerClient(self.address, connection_timeout=self.timeout,
                                                        network_timeout=self.timeout, concurrency=4)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    # ------------------------------------------------------------------ lifecycle
    @staticmethod
    def _close_pools(pools) -> None:
        for pool in pools:
            try:
                pool.close()
            except Exception:
                pass
        pools.clear()

    def close(self) -> None:
        """Free this transport's shared-memory regions and connections."""
        self._close_pools(self._pools)
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            try:
                client.close()
            except Exception:  # a gevent client closed from another thread may refuse; it is dropped anyway
                pass
        self._local = threading.local()

    def __enter__(self) -> TritonTransport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ errors and retries
    def _unreachable(self, detail: object) -> UserError:
        return UserError(f"cannot reach the stylefuse server at {self.url} ({self.protocol}): {detail}; "
                         "start one with `stylefuse serve`")

    def _timed_out(self) -> UserError:
        return UserError(f"the stylefuse server at {self.url} did not answer within {self.timeout:g} s "
                         "(busy or hung?); try again, send a smaller image, or allow a longer timeout")

    def _timeout_kwargs(self) -> dict:
        """gRPC calls take a per-call deadline (without one, a hung server blocks for ever); the HTTP
        client has its connection and network timeouts from construction."""
        return {"client_timeout": self.timeout} if self.protocol == "grpc" else {}

    def _reconnect(self) -> None:
        """Drop this thread's connection (and its shared-memory regions, registered with a server that
        may be gone): the next call makes a fresh one. A gRPC channel that saw its server die waits out
        a growing reconnect backoff; a new channel reaches a restarted server at once."""
        client = getattr(self._local, "client", None)
        pool = getattr(self._local, "pool", None)
        self._local.client = self._local.pool = None
        if pool is not None:
            with self._lock:
                if pool in self._pools:
                    self._pools.remove(pool)
            try:
                pool.close()
            except Exception:
                pass
        if client is not None:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
            try:
                client.close()
            except Exception:
                pass

    def _call(self, fn, model: str | None = None):
        for attempt in range(RETRIES + 1):
            try:
                return fn()
            except TimeoutError:  # HTTP client: no answer within the network timeout; never resent
                raise self._timed_out() from None
            except self._exc as exc:
                status, message = str(exc.status() or ""), str(exc.message() or exc)
                transient = "UNAVAILABLE" in status or any(
                    s in message for s in ("Connection refused", "connection reset", "Broken pipe", "Socket closed"))
                if transient and attempt < RETRIES:
                    self._reconnect()
                    time.sleep(0.3 * 2 ** attempt)
                    continue
                raise self._user_error(status, message, model, transient) from None
            except (ConnectionError, OSError) as exc:  # HTTP client: socket-level failures
                if attempt < RETRIES:
                    self._reconnect()
                    time.sleep(0.3 * 2 ** attempt)
                    continue
                raise self._unreachable(exc) from None

    def _user_error(self, status: str, message: str, model: str | None, transient: bool) -> UserError:
        if transient:
            return self._unreachable(message)
        if "unknown model" in message or "NOT_FOUND" in status or "not found" in message:
            names = ", ".join(m["name"] for m in (self._models or [])) or "see `stylefuse models --server`"
            return UserError(f"model {model!r} is not served by {self.url}; available: {names}")
        if "DEADLINE_EXCEEDED" in status or "Deadline" in message or "timed out" in message:
            return self._timed_out()
        text = message.split("stylefuse: ", 1)[-1] if "stylefuse: " in message else message
        return UserError(f"server {self.url}: {text}")

    # ------------------------------------------------------------------ queries
    def ping(self) -> None:
        for attempt in range(2):  # a second try on a fresh connection: the server may have restarted
            try:
                live = self._client.is_server_live(**self._timeout_kwargs())
                ready = live and self._client.is_server_ready(**self._timeout_kwargs())
                break
            except TimeoutError:
                raise self._unreachable(f"no answer within {self.timeout:g} s") from None
            except Exception as exc:
                self._reconnect()
                if "DEADLINE_EXCEEDED" in str(exc):
                    raise self._unreachable(f"no answer within {self.timeout:g} s") from None
                if attempt:
                    raise self._unreachable(exc) from None
        if not ready:
            raise self._unreachable("the server is not ready yet")

    def list_models(self) -> list[dict]:
        """The stylefuse models the server has ready: name, task, channels, has_default_style, default."""
        grpc = self.protocol == "grpc"

        def query():
            index = self._client.get_model_repository_index(**({"as_json": True} if grpc else {}),
                                                            **self._timeout_kwargs())
            entries = index.get("models", []) if isinstance(index, dict) else index
            models = []
            for entry in entries:
                if entry.get("state") != "READY":  # listed in the repository but not loaded
                    continue
                try:
                    config = self._client.get_model_config(entry["name"], **({"as_json": True} if grpc else {}),
                                                           **self._timeout_kwargs())
                except self._exc:  # unloaded meanwhile
                    continue
                config = config.get("config", config)
                params = {k: v.get("string_value", v.get("stringValue", ""))
                          for k, v in (config.get("parameters") or {}).items()}
                if params.get("stylefuse_role") != "pipeline":
                    continue
                models.append({"name": entry["name"], "task": params.get("task"),
                               "channels": int(params.get("channels") or 0),
                               "has_default_style": params.get("has_default_style") == "true",
                               "default": params.get("default") == "true"})
            return sorted(models, key=lambda m: m["name"])

        try:
            self._models = self._call(query)
        except UserError:
            raise
        except Exception as exc:
            raise self._unreachable(exc) from None
        return self._models

    def _model(self, model: str | None, task: str, need_default_style: bool = False) -> str:
        """`model` checked against the server's list; None: the default (stylefuse.model_choice's rule)."""
        models = self._models if self._models is not None else self.list_models()
        if model is None:
            from .model_choice import ModelInfo, default_model

            infos = [ModelInfo(m["name"], m["task"], m["channels"], m["has_default_style"], m["default"])
                     for m in models]
            return default_model(task, infos, need_default_style, where=f"served by {self.url}")
        found = [m for m in models if m["name"] == model]
        if found and found[0]["task"] != task:
            raise UserError(f"model {model!r} is a {found[0]['task']!r} model, not a {task!r} model")
        return model

    # ------------------------------------------------------------------ one request
    def _pool(self) -> _ShmPool:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = _ShmPool(self)
            with self._lock:
                self._pools.append(pool)
        return pool

    def _infer(self, model: str, inputs: dict[str, np.ndarray], output: str, out_shape, out_dtype) -> np.ndarray:
        tc, big = self._tc, ("SOURCE_", "REFERENCE_", "MASK")
        use_shm = self.shared_memory
        if use_shm:
            from tritonclient.utils import shared_memory as shm
        nbytes = int(np.prod(out_shape)) * np.dtype(out_dtype).itemsize
        kwargs = self._timeout_kwargs()

        def send():
            # Built anew on every attempt: after a reconnect the shared-memory regions are new ones,
            # registered with the (possibly restarted) server.
            pool = self._pool() if use_shm else None
            infer_inputs = []
            for name, array in inputs.items():
                array = np.ascontiguousarray(array)
                datatype = ("BOOL" if array.dtype == np.bool_ else "BYTES" if array.dtype == object
                            else wire_dtype(array.dtype))
                item = tc.InferInput(name, list(array.shape), datatype)
                if use_shm and name.startswith(big):
                    region, handle, _ = pool.region(name, array.nbytes)
                    shm.set_shared_memory_region(handle, [array])
                    item.set_shared_memory(region, array.nbytes)
                elif self.protocol == "http":
                    item.set_data_from_numpy(array, binary_data=True)
                else:
                    item.set_data_from_numpy(array)
                infer_inputs.append(item)
            requested = tc.InferRequestedOutput(output, **({"binary_data": True} if self.protocol == "http" else {}))
            out_handle = None
            if use_shm:
                out_region, out_handle, _ = pool.region("OUTPUT", nbytes)
                requested.set_shared_memory(out_region, nbytes)
            return self._client.infer(model, infer_inputs, outputs=[requested], **kwargs), out_handle

        result, out_handle = self._call(send, model)
        if use_shm:
            reply = result.get_output(output)
            shape = list(reply.shape if self.protocol == "grpc" else reply["shape"])
            if shape != list(out_shape):
                raise UserError(f"server {self.url} returned {output} of shape {shape}, expected {list(out_shape)}")
            return np.array(shm.get_contents_as_numpy(out_handle, np.dtype(out_dtype), out_shape), copy=True)
        out = result.as_numpy(output)
        if out is None or list(out.shape) != list(out_shape):
            raise UserError(f"server {self.url} returned no {output} of shape {list(out_shape)}")
        return out

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _wire(array: np.ndarray, what: str) -> np.ndarray:
        """The array as a wire dtype: float16/float64 as float32; other dtypes are refused."""
        if wire_dtype(array.dtype) is not None:
            return array
        if array.dtype.kind == "f":
            return array.astype(np.float32)
        raise UserError(f"{what} has dtype {array.dtype}; the server takes uint8, uint16, int16 or float "
                        "(convert it first, or run in-process)")

    @staticmethod
    def _per_request(batch_size: int, height: int, width: int) -> int:
        return max(1, min(batch_size, MAX_BATCH_SIZE, REQUEST_PIXELS // max(1, height * width)))

    @staticmethod
    def _back(out: np.ndarray, dtype) -> np.ndarray:
        return out if out.dtype == dtype else out.astype(dtype)

    def _run(self, model, slices, per, build, out, progress, cancel):
        """Send slices [z0, z0 + per) as requests; `build(z)` -> (inputs, output name)."""
        total = slices
        if progress is not None:
            progress(0, total)
        for z0 in range(0, slices, per):
            if cancel is not None and cancel():
                raise Cancelled("cancelled by the caller")
            z = slice(z0, min(z0 + per, slices))
            inputs, output = build(z)
            shape = (z.stop - z.start, *out.shape[1:])
            out[z] = self._infer(model, inputs, output, shape, out.dtype)
            if progress is not None:
                progress(z.stop, total)

    # ------------------------------------------------------------------ the pipeline's calls
    def stylize(self, image, model: str | None = None, reference=None, strength: float = 1.0, mask=None,
                preserve_color: bool = False, is_stack: bool | None = None, batch_size: int = 8,
                progress=None, cancel=None, value_range=None, method: str = "generator") -> np.ndarray:
        """`stylefuse.pipeline.stylize`, run by the server (same arguments, same result)."""
        from .pipeline.weights import check_strength

        image = np.asarray(image)
        check_dtype(image, "image")
        layout = parse_layout(image.shape, is_stack, "image")
        check_pixel_count((layout.slices, layout.height, layout.width), "image")
        strength = check_strength(strength)
        batch_size = check_batch_size(batch_size)
        masks = self._masks(mask, layout)
        if image.size == 0:
            return image.copy()
        model = self._model(model, "style", need_default_style=reference is None)
        view = as_slices(image, layout)
        colour = layout.colour_channels
        rng = value_range_of(view[..., :colour], value_range, "image")  # also refuses NaN/Inf before sending
        wire = self._wire(view, "image")
        extra = {"STRENGTH": np.full((1, 1), strength, np.float32),
                 "PRESERVE_COLOR": np.full((1, 1), bool(preserve_color), np.bool_)}
        if reference is not None:
            ref = np.asarray(reference)
            check_dtype(ref, "reference")
            rl = parse_layout(ref.shape, None, "reference")
            if ref.size == 0:
                raise UserError(f"reference image is empty {ref.shape}")
            ref_view = as_slices(ref, rl)
            extra["REFERENCE_" + wire_dtype(self._wire(ref_view[:1], "reference").dtype)] = \
                self._wire(ref_view[rl.slices // 2: rl.slices // 2 + 1], "reference")
        out = np.empty(view.shape, wire.dtype)
        source_name, output = f"SOURCE_{wire_dtype(wire.dtype)}", f"OUTPUT_{wire_dtype(wire.dtype)}"

        def build(z: slice):
            k = z.stop - z.start
            inputs = {source_name: wire[z], **extra}
            # One range for the whole stack, whatever the batch (and the caller's own range, if given).
            if value_range is not None or (layout.is_stack and rng.hi > rng.lo):
                inputs["VALUE_RANGE"] = np.tile(np.array([[rng.lo, rng.hi]], np.float32), (k, 1))
            # Every input of a request has the source's batch size N (Triton refuses a mix):
            # one reference or one mask for all slices goes N times.
            for name in ("STRENGTH", "PRESERVE_COLOR", *(n for n in extra if n.startswith("REFERENCE_"))):
                inputs[name] = np.repeat(extra[name], k, axis=0)
            if method != "generator":
                inputs["METHOD"] = np.array([[method.encode()]] * k, dtype=object)
            if masks is not None:
                inputs["MASK"] = masks[z] if masks.shape[0] > 1 else np.repeat(masks, k, axis=0)
            return inputs, output

        per = self._per_request(batch_size, layout.height, layout.width)
        self._run(model, layout.slices, per, build, out, progress, cancel)
        return self._back(out, image.dtype).reshape(image.shape)

    @staticmethod
    def _masks(mask, layout) -> np.ndarray | None:
        """The mask as float32 [1 or Z] x H x W in [0, 1], checked exactly as stylefuse.pipeline does."""
        from .pipeline.weights import mask_as_float

        return mask_as_float(mask, layout)

    def fuse(self, a, b, model: str | None = None, resample: bool = False, is_stack: bool | None = None,
             batch_size: int = 8, progress=None, cancel=None, value_range=None) -> np.ndarray:
        """`stylefuse.pipeline.fuse`, run by the server (same arguments, same result)."""
        from .pipeline.fusion import _split_value_range
        from .pipeline.resample import resample_region

        range_a, range_b = _split_value_range(value_range)
        a, b = np.asarray(a), np.asarray(b)
        check_dtype(a, "a")
        check_dtype(b, "b")
        la, lb = parse_layout(a.shape, is_stack, "a"), parse_layout(b.shape, is_stack, "b")
        check_pixel_count((la.slices, la.height, la.width), "a")
        check_pixel_count((lb.slices, lb.height, lb.width), "b")
        batch_size = check_batch_size(batch_size)
        same_plane = (la.height, la.width) == (lb.height, lb.width)
        if la.lead != lb.lead or (not same_plane and not resample):
            hint = "" if la.lead != lb.lead else "; pass resample=True to resize b onto a"
            raise UserError(f"fusion inputs differ in size: a is {'x'.join(map(str, a.shape))} ({la.describe()}), "
                            f"b is {'x'.join(map(str, b.shape))} ({lb.describe()}){hint}")
        channels = (3 if la.colour or lb.colour else 1) + int(la.alpha)
        out_shape = la.shape_with(channels)
        if a.size == 0 or b.size == 0:
            return np.zeros(out_shape, a.dtype)
        model = self._model(model, "fuse")
        va, vb = as_slices(a, la), as_slices(b, lb)
        ra = value_range_of(va[..., : la.colour_channels], range_a, "a")
        rb = value_range_of(vb[..., : lb.colour_channels], range_b, "b")
        wa = self._wire(va, "a")
        out = np.empty((la.slices, la.height, la.width, channels), wa.dtype)
        source_name, output = f"SOURCE_{wire_dtype(wa.dtype)}", f"OUTPUT_{wire_dtype(wa.dtype)}"
        if same_plane:
            wb = self._wire(vb, "b")
            ref_name, ref_range = f"REFERENCE_{wire_dtype(wb.dtype)}", (rb.lo, rb.hi)

            def read_b(z: slice) -> np.ndarray:
                return wb[z]
        else:  # resampled here exactly as the pipeline would (in [0, 1]); sent as float with range (0, 1)
            ref_name, ref_range = "REFERENCE_FP32", (0.0, 1.0)

            def read_b(z: slice) -> np.ndarray:
                return resample_region(lambda rows, cols: to_unit(vb[z, rows, cols, : lb.colour_channels], rb),
                                       (lb.height, lb.width), (la.height, la.width),
                                       slice(0, la.height), slice(0, la.width))

        def build(z: slice):
            k = z.stop - z.start
            inputs = {source_name: wa[z], ref_name: read_b(z)}
            if range_a is not None or (la.is_stack and ra.hi > ra.lo):
                inputs["VALUE_RANGE"] = np.tile(np.array([[ra.lo, ra.hi]], np.float32), (k, 1))
            if range_b is not None or (la.is_stack and ref_range[1] > ref_range[0]) or not same_plane:
                inputs["REFERENCE_VALUE_RANGE"] = np.tile(np.array([ref_range], np.float32), (k, 1))
            return inputs, output

        per = self._per_request(batch_size, la.height, la.width)
        self._run(model, la.slices, per, build, out, progress, cancel)
        return self._back(out, a.dtype).reshape(out_shape)
