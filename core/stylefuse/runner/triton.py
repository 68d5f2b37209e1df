"""`TritonRunner`: the same calls, run by a stylefuse Triton server through `TritonTransport`."""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..limits import DEFAULT_TILE_SIZE
from ..model_choice import ModelInfo
from .base import DEFAULT_METHOD, Cancel, Progress, RunnerBase, check_method

DEFAULT_URL = "127.0.0.1:8001"


class TritonRunner(RunnerBase):
    """`url`: HOST:PORT, grpc://HOST:PORT or http://HOST:PORT. The server tiles and batches on its own
    side, so `tile_size` is not sent; `batch_size` is the slices per request."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        protocol: str | None = None,
        shared_memory: bool = False,
        timeout: float = 60.0,
        transport=None,
    ):
        if transport is None:
            try:
                from ..client import TritonTransport
            except ImportError as exc:  # pragma: no cover - a partial install
                raise UserError(
                    f"the Triton client is not available ({exc}); pip install 'stylefuse[serve]'"
                ) from None
            transport = TritonTransport(url, protocol=protocol, shared_memory=shared_memory, timeout=timeout)
        self.transport = transport
        self._models: list[ModelInfo] | None = None

    @property
    def where(self) -> str:
        return f"served by {self.transport.url}"

    @property
    def label(self) -> str:
        return f"Triton {self.transport.protocol}://{self.transport.address}"

    def check(self) -> None:
        self.transport.ping()

    def describe(self) -> str:
        self.check()
        return f"{self.label} is up, {len(self.models(refresh=True))} model(s)"

    def models(self, task: str | None = None, refresh: bool = False) -> list[ModelInfo]:
        if self._models is None or refresh:
            self._models = [
                ModelInfo(
                    m["name"],
                    m["task"],
                    int(m.get("channels") or 0),
                    bool(m.get("has_default_style")),
                    bool(m.get("default")),
                    tuple(m.get("kinds") or ()),
                )
                for m in self.transport.list_models()
            ]
        return [m for m in self._models if task is None or m.task == task]

    def _check_model(self, name: str, task: str) -> None:
        if not isinstance(name, str):
            raise UserError(f"a Triton server runs its models by name, got {type(name).__name__}")
        found = [m for m in self.models() if m.name == name]
        if not found:
            served = ", ".join(m.name for m in self.models(task)) or "none"
            raise UserError(
                f"model {name!r} is not served by {self.transport.url}; {task} models there: {served}"
            )
        if found[0].task != task:
            raise UserError(f"model {name!r} is a {found[0].task!r} model, not a {task!r} model")

    def stylize(
        self,
        image: np.ndarray,
        *,
        model: str | None = None,
        reference: np.ndarray | None = None,
        strength: float = 1.0,
        mask: np.ndarray | None = None,
        preserve_color: bool = False,
        palette: bool = True,
        method: str = DEFAULT_METHOD,
        is_stack: bool | None = None,
        value_range: tuple[float, float] | None = None,
        tile_size: int | None = DEFAULT_TILE_SIZE,
        batch_size: int = 8,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
        synthesis_size: int | None = None,
        state=None,
    ) -> np.ndarray:
        check_method(method)
        if state is not None and method != DEFAULT_METHOD:
            # A generator's slices are independent (nothing to carry); synthesis continues from the
            # previous slice's patch choices, which stay on the server between requests of no stack.
            raise UserError(
                "synthesis of a stack in parts (a video) runs in-process: a server paints each request "
                "afresh, so its frames would not continue each other's patch choices"
            )
        if not palette:
            raise UserError(
                "palette off (--no-palette) is for in-process runs: a server always applies the "
                "palette (preserve colours keeps the input's colours there)"
            )
        # Synthesis needs no model, but a request goes to one: the default's pipeline paints it.
        name = self.resolve(model, "style", need_default_style=reference is None)
        return self.transport.stylize(
            image,
            model=name,
            reference=reference,
            strength=strength,
            mask=mask,
            preserve_color=preserve_color,
            method=method,
            is_stack=is_stack,
            value_range=value_range,
            batch_size=batch_size,
            progress=progress,
            cancel=cancel,
            synthesis_size=synthesis_size,
        )

    def fuse(
        self,
        a: np.ndarray,
        b: np.ndarray,
        *,
        model: str | None = None,
        resample: bool = False,
        is_stack: bool | None = None,
        value_range: tuple | None = None,
        tile_size: int | None = DEFAULT_TILE_SIZE,
        batch_size: int = 8,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> np.ndarray:
        # The rule runs here, on the client: a KServe v2 request always names its model.
        name = self.resolve(self._fuse_model(model, a, b, is_stack), "fuse")
        return self.transport.fuse(
            a,
            b,
            model=name,
            resample=resample,
            is_stack=is_stack,
            value_range=value_range,
            batch_size=batch_size,
            progress=progress,
            cancel=cancel,
        )

    def close(self) -> None:
        self.transport.close()
