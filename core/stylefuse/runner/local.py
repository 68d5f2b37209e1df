"""`LocalRunner`: the pipeline in this process, on the runner's device."""

from __future__ import annotations

import inspect

import numpy as np

from ..errors import UserError
from ..limits import DEFAULT_TILE_SIZE
from ..model_choice import ModelInfo
from .base import DEFAULT_METHOD, Cancel, Progress, RunnerBase, check_method
from .device import resolve_device


def method_options(method: str, synthesis_size: int | None, device) -> dict:
    """The pipeline's keywords for `method`: none for the generator (the pipeline's own default);
    "synthesis" gets its working side and this runner's device."""
    from ..pipeline import stylize

    if check_method(method) == DEFAULT_METHOD:
        return {}
    accepted = inspect.signature(stylize).parameters
    if "method" not in accepted:
        raise UserError(
            f"method {method!r} is not available in this version of stylefuse (no stylefuse.synthesis)"
        )
    options = {"method": method, "synthesis_size": synthesis_size, "device": device}
    return {k: v for k, v in options.items() if v is not None and k in accepted}


class LocalRunner(RunnerBase):
    """Runs `stylefuse.pipeline` here. `model` may be a name, None (the default) or a loaded model
    (the Triton backend hands in its own, already on its device)."""

    label = "in-process"

    def __init__(self, device: str | None = "auto"):
        self.device = resolve_device(device)

    def check(self) -> None:
        """Nothing to reach in-process."""

    def describe(self) -> str:
        return f"in-process pipeline on {self.device}, {len(self.models())} model(s) installed"

    def models(self, task: str | None = None) -> list[ModelInfo]:
        from ..registry import installed_models

        return [m for m in installed_models() if task is None or m.task == task]

    def _check_model(self, name: str, task: str) -> None:
        self.load(name, task)  # an unknown or broken model fails here, once, before any input is read

    def load(self, model, task: str):
        """A name -> the loaded model on this runner's device; a loaded model is used as it is."""
        if isinstance(model, str):
            from ..registry import load_model

            return load_model(model, task, device=self.device)
        return model

    def stylize(
        self,
        image: np.ndarray,
        *,
        model=None,
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
        from ..pipeline import stylize

        options = method_options(method, synthesis_size, self.device)
        # Synthesis paints with the reference's own patches: no model to choose or load.
        loaded = None if method != DEFAULT_METHOD else self.load(self._style_model(model, reference), "style")
        return stylize(
            image,
            model=loaded,
            reference=reference,
            strength=strength,
            mask=mask,
            preserve_color=preserve_color,
            palette=palette,
            is_stack=is_stack,
            tile_size=tile_size,
            batch_size=batch_size,
            value_range=value_range,
            progress=progress,
            cancel=cancel,
            state=state,
            **options,
        )

    def fuse(
        self,
        a: np.ndarray,
        b: np.ndarray,
        *,
        model=None,
        resample: bool = False,
        is_stack: bool | None = None,
        value_range: tuple | None = None,
        tile_size: int | None = DEFAULT_TILE_SIZE,
        batch_size: int = 8,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> np.ndarray:
        from ..pipeline import fuse

        loaded = self.load(self._fuse_model(model, a, b, is_stack), "fuse")
        return fuse(
            a,
            b,
            model=loaded,
            resample=resample,
            is_stack=is_stack,
            tile_size=tile_size,
            batch_size=batch_size,
            value_range=value_range,
            progress=progress,
            cancel=cancel,
        )
