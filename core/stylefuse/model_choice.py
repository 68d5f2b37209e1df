"""Which model runs when the caller names none: the one default-model rule of every entry point.

The CLI, napari, the Triton runner and (re-implemented with the standard library only, checked by
tests/gimp/test_sfclient_protocol.py) the GIMP plug-in all pick a model with `default_model`:

1. the models of the task, in the order given (installed: shipped then user, by name; a server: by name);
2. without a reference image, a style model that has a built-in style, if there is one;
3. the one marked default (shipped_models/defaults.json; a server says so in its model config), else
   the first.

Fusion with images in hand (`fusion_model_for_kind`) goes by the pair's kind
(`stylefuse.fusion_kind.classify_fusion_pair`: medical, infrared-visible, multi-focus, multi-exposure):
the fusion models whose card lists that kind (`"kinds"`), the marked default among them if it is one,
else the first; when no card lists it, the rule above. A model named by the user always wins.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import UserError


@dataclass(frozen=True)
class ModelInfo:
    """What a runner knows of a model before loading it."""

    name: str
    task: str  # "style" | "fuse"
    channels: int = 0
    has_default_style: bool = False
    default: bool = False  # the default of its task where it is installed or served
    kinds: tuple[str, ...] = ()  # fusion: the pair kinds its card says it is for (the automatic rule)

    @property
    def needs_reference(self) -> bool:
        return self.task == "fuse" or not self.has_default_style


def default_model(
    task: str, models: Iterable[ModelInfo], need_default_style: bool = False, where: str = "installed"
) -> str:
    """The name of the model to run for `task` when none is named (see this module's docstring)."""
    of_task = [m for m in models if m.task == task]
    if not of_task:
        hint = f"; train one with `stylefuse train --task {task}`" if where == "installed" else ""
        raise UserError(f"no {task!r} model is {where}{hint}")
    if need_default_style:
        of_task = [m for m in of_task if m.has_default_style] or of_task
    return next((m.name for m in of_task if m.default), of_task[0].name)


def default_first(task: str, models: Iterable[ModelInfo], where: str = "installed") -> list[str]:
    """The names of `task`'s models with the default first (what a model picker offers)."""
    models = list(models)
    names = [m.name for m in models if m.task == task]
    if not names:
        return []
    chosen = default_model(task, models, where=where)
    return [chosen] + [n for n in names if n != chosen]


def fusion_model_for_kind(kind: str, models: Iterable[ModelInfo], where: str = "installed") -> str:
    """The fusion model for a pair of `kind` (see this module's docstring)."""
    models = list(models)
    listing = [m for m in models if m.task == "fuse" and kind in m.kinds]
    if listing:
        return next((m.name for m in listing if m.default), listing[0].name)
    return default_model("fuse", models, where=where)
