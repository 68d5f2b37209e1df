"""Turning the `model` argument (a loaded model, a name, or None) into a loaded model for a task."""

import contextlib

import torch

from ..errors import UserError
from ..registry import LoadedModel, default_model_name, load_model
from .memory import keep_freed_memory


def resolve_model(model, task: str) -> LoadedModel:
    keep_freed_memory()  # once per process: a model is about to run, repeatedly (see pipeline/memory.py)
    if model is None:
        model = default_model_name(task)
    if isinstance(model, str):
        return load_model(model, task)
    # Duck-typed on purpose: the Triton backend and tests may hand in their own LoadedModel-like object.
    if not all(hasattr(model, attr) for attr in ("task", "channels", "module", "spatial_multiple")):
        raise UserError(f"model must be a model name or a loaded model, got {type(model).__name__}")
    if model.task != task:
        raise UserError(
            f"model {getattr(model, 'name', '?')!r} is a {model.task!r} model, not a {task!r} model"
        )
    return model


def model_device(model) -> torch.device:
    """Where the model's weights are (inputs go there); CPU for parameter-less stand-ins."""
    parameters = getattr(model.module, "parameters", None)
    for parameter in parameters() if callable(parameters) else ():
        return parameter.device
    return torch.device("cpu")


def model_call(model, fn):
    """`fn` (a model method) with errors raised inside the TorchScript turned into a UserError naming
    the model: a model file that does not fit its card (wrong task or channels) fails on its first
    call, and that is a problem with the model, not a crash of the program."""

    # On the CPU the TorchScript executor's profiling and re-optimising runs (the first calls, and again
    # for each new tile shape) cost time and gain nothing for a convolution network (no CPU fuser):
    # measured, a 9 MP stylization's first call took 0.1-0.4 s less CPU and later calls were no slower.
    # On a GPU the optimised graph (fused element-wise kernels) is kept.
    cpu = model_device(model).type == "cpu"

    def call(*args):
        try:
            with torch.jit.optimized_execution(False) if cpu else contextlib.nullcontext():
                return fn(*args)
        except torch.OutOfMemoryError:
            raise MemoryError("not enough memory for the model on this input") from None
        except (torch.jit.Error, RuntimeError) as exc:  # raised inside the TorchScript; wrong arity or shapes
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            reason = lines[-1] if lines else type(exc).__name__
            card = getattr(model, "card", {}) or {}
            raise UserError(
                f"model {getattr(model, 'name', '?')!r} failed on this input ({reason}); its model "
                f"card says task {card.get('task')!r}, {card.get('channels')} channel(s): is the model "
                "folder complete and its card the one it was exported with?"
            ) from None

    return call
