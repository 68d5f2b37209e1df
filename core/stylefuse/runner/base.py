"""The Runner interface: what every entry point (CLI, napari, the Triton backend) calls.

Two implementations take the same arguments and give the same result: `LocalRunner` (the pipeline
in this process) and `TritonRunner` (a stylefuse Triton server). A runner owns the choices an entry
point must not make for itself: which model runs when none is named (`stylefuse.model_choice`),
where it computes (`device`) and how it stylizes (`method`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import numpy as np

from ..errors import UserError
from ..limits import DEFAULT_TILE_SIZE
from ..model_choice import ModelInfo, default_first, default_model

Progress = Callable[[int, int], object]
Cancel = Callable[[], bool]

# "generator": the trained network (fast); "synthesis": example-based stylisation (stylefuse.synthesis,
# slow, needs only the painting), through the same pipeline.
METHODS = ("generator", "synthesis")
DEFAULT_METHOD = "generator"


def check_method(method: str) -> str:
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    return method


class Runner(Protocol):
    label: str

    def check(self) -> None:
        """Cheap check before a run starts (a server: is it reachable?)."""

    def describe(self) -> str:
        """One line saying where runs go and how many models are there."""

    def models(self, task: str | None = None) -> list[ModelInfo]:
        """The models this runner can run (of `task`, or all)."""

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
        state: Any = None,
    ) -> np.ndarray:
        """`stylefuse.pipeline.stylize`'s arguments and result (`synthesis_size`: method "synthesis"'s
        working side, None for its default; `state`: a `stylefuse.pipeline.StackState` carried between
        the parts of one stack)."""

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
        """`stylefuse.pipeline.fuse`'s arguments and result."""

    def stylize_parts(
        self,
        parts: Iterable[np.ndarray],
        *,
        total: int | None = None,
        progress: Progress | None = None,
        steady: bool = False,
        **options,
    ) -> Iterator[np.ndarray]:
        """`stylize` of a stack that arrives in parts (a video's chunks of frames), results in order;
        `steady`: hold still areas of uint8 frames at their previous stylization (a video)."""

    def fuse_parts(
        self,
        pairs: Iterable[tuple[np.ndarray, np.ndarray]],
        *,
        total: int | None = None,
        progress: Progress | None = None,
        **options,
    ) -> Iterator[np.ndarray]:
        """`fuse` of two stacks that arrive in parts, pair by pair, results in order."""


class RunnerBase:
    """What both runners share: the default-model rule over their `models()`."""

    where = "installed"

    def models(self, task: str | None = None) -> list[ModelInfo]:  # pragma: no cover - overridden
        raise NotImplementedError

    def default_model(self, task: str, need_default_style: bool = False) -> str:
        return default_model(task, self.models(), need_default_style, where=self.where)

    def resolve(self, model: str | None, task: str, need_default_style: bool = False) -> str:
        """The name of the model a call with `model` runs (the default for None), checked to exist
        for `task` (a local runner also loads it): entry points call this once, before their inputs."""
        name = self.default_model(task, need_default_style) if model is None else model
        self._check_model(name, task)
        return name

    def _check_model(self, name: str, task: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def model_names(self, task: str) -> list[str]:
        """`task`'s model names, the default first (what a model picker offers)."""
        return default_first(task, self.models(), where=self.where)

    def _style_model(self, model, reference) -> str | object:
        """The model to run: the caller's (a name or a loaded model), else the default one."""
        return self.default_model("style", need_default_style=reference is None) if model is None else model

    def fuse_choice(
        self, a: np.ndarray, b: np.ndarray, model: str | None = None, is_stack: bool | None = None
    ) -> tuple[str, str]:
        """(the fusion model a `fuse(a, b, model=model)` runs, why): the user's model when named, else
        the automatic rule -- the pair's kind (stylefuse.fusion_kind) and the model whose card lists it."""
        if model is not None:
            return model, f"{model} (chosen)"
        from ..fusion_kind import explain_fusion_pair
        from ..model_choice import fusion_model_for_kind

        pair = explain_fusion_pair(a, b, is_stack)
        name = fusion_model_for_kind(pair.kind, self.models(), where=self.where)
        return name, f"auto: {pair.why} -> {name}"

    def _fuse_model(self, model, a: np.ndarray, b: np.ndarray, is_stack: bool | None) -> str | object:
        return self.fuse_choice(a, b, None, is_stack)[0] if model is None else model

    # A stack in parts: each part through stylize/fuse as a stack, state carried (runner.stream).
    def stylize_parts(
        self,
        parts: Iterable[np.ndarray],
        *,
        total: int | None = None,
        progress: Progress | None = None,
        steady: bool = False,
        **options,
    ) -> Iterator[np.ndarray]:
        from .stream import stream_parts

        return stream_parts(self.stylize, ((p,) for p in parts), total, progress, options, steady)

    def fuse_parts(
        self,
        pairs: Iterable[tuple[np.ndarray, np.ndarray]],
        *,
        total: int | None = None,
        progress: Progress | None = None,
        **options,
    ) -> Iterator[np.ndarray]:
        from .stream import stream_parts

        return stream_parts(self._fuse_part, pairs, total, progress, options)

    def _fuse_part(self, a: np.ndarray, b: np.ndarray, *, state: Any = None, **options) -> np.ndarray:
        return self.fuse(a, b, **options)  # fusion's slices are independent: nothing to carry
