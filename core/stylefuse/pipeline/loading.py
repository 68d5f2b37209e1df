"""Turning the `model` argument (a loaded model, a name, or None) into a loaded model for a task."""

import torch

from ..errors import UserError
from ..registry import LoadedModel, default_model_name, load_model


def resolve_model(model, task: str) -> LoadedModel:
    if model is None:
        model = default_model_name(task)
    if isinstance(model, str):
        return load_model(model, task)
    # Duck-typed on purpose: the Triton backend and tests may hand in their own LoadedModel-like object.
    if not all(hasattr(model, attr) for attr in ("task", "channels", "module", "spatial_multiple")):
        raise UserError(f"model must be a model name or a loaded model, got {type(model).__name__}")
    if model.task != task:
        raise UserError(f"model {getattr(model, 'name', '?')!r} is a {model.task!r} model, not a {task!r} model")
    return model


def model_device(model) -> torch.device:
    """Where the model's weights are (inputs go there); CPU for parameter-less stand-ins."""
    parameters = getattr(model.module, "parameters", None)
    for parameter in parameters() if callable(parameters) else ():
        return parameter.device
    return torch.device("cpu")
