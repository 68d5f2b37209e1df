"""The connection half of a transport: one Triton client per thread, reconnects, ping, the model list."""

from __future__ import annotations

import threading
import weakref

from ..errors import UserError
from ..protocol import MODEL_PARAMETERS
from .shm import ShmPool

# tritonclient's own channel options, plus: a subchannel of our own (gRPC otherwise shares one per
# address across channels, so a fresh channel would inherit the reconnect backoff of one that saw the
# server die) and a short backoff ceiling, so a restarted server is reached within a few seconds.
GRPC_CHANNEL_ARGS = [
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


def parse_url(url: str, protocol: str | None) -> tuple[str, str]:
    """(address, protocol) of grpc://HOST:PORT, http://HOST:PORT or HOST:PORT (gRPC unless told)."""
    for scheme in ("grpc", "http"):
        if url.startswith(f"{scheme}://"):
            return url[len(scheme) + 3 :].rstrip("/"), protocol or scheme
    return url.rstrip("/"), protocol or "grpc"


def _close_quietly(thing) -> None:
    try:
        thing.close()
    except Exception:  # a gevent client closed from another thread may refuse; it is dropped anyway
        pass


class Connection:
    """Per-thread Triton clients and shared-memory pools of one server; mixed into TritonTransport."""

    def __init__(
        self,
        url: str = "127.0.0.1:8001",
        protocol: str | None = None,
        shared_memory: bool = False,
        timeout: float = 60.0,
    ):
        self.address, self.protocol = parse_url(url, protocol)
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
            raise UserError(
                f"the Triton client is not installed ({exc}); install it with: pip install 'stylefuse[serve]'"
            ) from None
        self._tc, self._exc = tc, InferenceServerException
        self._local = threading.local()
        self._clients: list = []
        self._models: list[dict] | None = None
        self._pools: list[ShmPool] = []
        self._lock = threading.Lock()
        weakref.finalize(self, Connection._close_pools, self._pools)

    @property
    def _client(self):
        """One Triton client per thread: the HTTP client runs on gevent, whose connections belong to the
        thread that made them (napari calls from worker threads: "Cannot switch to a different thread")."""
        client = getattr(self._local, "client", None)
        if client is None:
            if self.protocol == "grpc":
                client = self._tc.InferenceServerClient(self.address, channel_args=GRPC_CHANNEL_ARGS)
            else:
                client = self._tc.InferenceServerClient(
                    self.address, connection_timeout=self.timeout, network_timeout=self.timeout, concurrency=4
                )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _pool(self) -> ShmPool:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = ShmPool(lambda: self._client)
            with self._lock:
                self._pools.append(pool)
        return pool

    # ------------------------------------------------------------------ lifecycle
    @staticmethod
    def _close_pools(pools) -> None:
        for pool in pools:
            _close_quietly(pool)
        pools.clear()

    def close(self) -> None:
        """Free this transport's shared-memory regions and connections."""
        self._close_pools(self._pools)
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            _close_quietly(client)
        self._local = threading.local()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
        for thing, owned in ((pool, self._pools), (client, self._clients)):
            if thing is None:
                continue
            with self._lock:
                if thing in owned:
                    owned.remove(thing)
            _close_quietly(thing)

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
        """The stylefuse models the server has ready: name, task, channels, has_default_style, default,
        kinds (fusion)."""
        grpc = self.protocol == "grpc"
        as_json = {"as_json": True} if grpc else {}

        def query():
            index = self._client.get_model_repository_index(**as_json, **self._timeout_kwargs())
            entries = index.get("models", []) if isinstance(index, dict) else index
            models = []
            for entry in entries:
                if entry.get("state") != "READY":  # listed in the repository but not loaded
                    continue
                try:
                    config = self._client.get_model_config(entry["name"], **as_json, **self._timeout_kwargs())
                except self._exc:  # unloaded meanwhile
                    continue
                config = config.get("config", config)
                params = {
                    k: v.get("string_value", v.get("stringValue", ""))
                    for k, v in (config.get("parameters") or {}).items()
                }
                if params.get(MODEL_PARAMETERS["role"]) != "pipeline":
                    continue
                models.append(
                    {
                        "name": entry["name"],
                        "task": params.get(MODEL_PARAMETERS["task"]),
                        "channels": int(params.get(MODEL_PARAMETERS["channels"]) or 0),
                        "has_default_style": params.get(MODEL_PARAMETERS["has_default_style"]) == "true",
                        "default": params.get(MODEL_PARAMETERS["default"]) == "true",
                        "kinds": [k for k in params.get(MODEL_PARAMETERS["kinds"], "").split(",") if k],
                    }
                )
            return sorted(models, key=lambda m: m["name"])

        try:
            self._models = self._call(query)
        except UserError:
            raise
        except Exception as exc:
            raise self._unreachable(exc) from None
        return self._models
