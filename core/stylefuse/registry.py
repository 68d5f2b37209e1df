"""Where models live and how they load.

A model is a folder holding `model.pt` (TorchScript generator) and `card.json` (its model card).
Search path: the package's shipped models first, then the user model directory
(`$STYLEFUSE_MODELS`, default `$XDG_DATA_HOME/stylefuse/models` or `~/.local/share/stylefuse/models`),
where trained models land. TorchScript is only ever loaded from those two places (or a Triton model
repository, through `load_model_folder` with that root; `check_model_location` refuses anything else):
a model name is never a path.

torch is imported only to load a model: listing models and choosing defaults (`stylefuse models`, the
napari widgets' choices, command-line checks) stay fast.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserError
from .model_choice import ModelInfo, default_model

if TYPE_CHECKING:
    import torch

MODEL_FILE = "model.pt"
CARD_FILE = "card.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def validate_model_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name:
        raise UserError(f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-' (no paths)")
    return name


def shipped_models_dir() -> Path:
    return Path(__file__).resolve().parent / "shipped_models"


def user_models_dir() -> Path:
    env = os.environ.get("STYLEFUSE_MODELS")
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "stylefuse" / "models"


def model_search_path() -> list[Path]:
    return [shipped_models_dir(), user_models_dir()]


@dataclass
class ModelEntry:
    name: str
    folder: Path
    card: dict
    origin: str  # "shipped" or "user"

    @property
    def task(self) -> str:
        return self.card.get("task", "?")


def read_card(folder: Path) -> dict:
    try:
        card = json.loads((folder / CARD_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"model folder {folder} has no readable {CARD_FILE}: {exc}") from None
    if card.get("task") not in ("style", "fuse") or card.get("channels") not in (1, 3):
        raise UserError(f"model card {folder / CARD_FILE} is not a stylefuse model card (task/channels)")
    return card


def model_formats(card: dict) -> list[str]:
    """The formats a model folder holds, by its card (`stylefuse export --format`); TorchScript always."""
    listed = card.get("formats")
    names = list(listed) if isinstance(listed, (dict, list)) else []
    return ["torchscript"] + [n for n in names if n != "torchscript"]


def list_models() -> list[ModelEntry]:
    """All models on the search path; a shipped name hides a user model of the same name."""
    seen: dict[str, ModelEntry] = {}
    for root, origin in zip(model_search_path(), ("shipped", "user"), strict=False):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.name in seen or not _NAME_RE.match(folder.name):
                continue
            if not (folder / MODEL_FILE).is_file() or not (folder / CARD_FILE).is_file():
                continue
            try:
                card = read_card(folder)
            except UserError:
                continue
            seen[folder.name] = ModelEntry(folder.name, folder, card, origin)
    return list(seen.values())


def find_model(name: str, task: str | None = None) -> ModelEntry:
    validate_model_name(name)
    for entry in list_models():
        if entry.name == name:
            if task is not None and entry.task != task:
                raise UserError(f"model {name!r} is a {entry.task!r} model, not a {task!r} model")
            return entry
    available = ", ".join(e.name for e in list_models() if task is None or e.task == task) or "none"
    raise UserError(f"unknown model {name!r}; available: {available} (see `stylefuse models`)")


DEFAULTS_FILE = "defaults.json"
AUTO = "auto"  # defaults.json: the task's default is chosen per input by its kind (fusion model cards)


def card_kinds(card: dict) -> tuple[str, ...]:
    """The pair kinds a fusion model's card lists (`"kinds"`; stylefuse.fusion_kind.KINDS), else ()."""
    kinds = card.get("kinds") if card.get("task") == "fuse" else None
    return tuple(k for k in kinds if isinstance(k, str)) if isinstance(kinds, list) else ()


def read_defaults() -> tuple[dict[str, str], set[str]]:
    """defaults.json as ({task: the model marked default}, {tasks whose default is "auto"}).

    `{"style": "udnie", "fuse": "auto", "fallback": {"fuse": "fuse-medical"}}`: the fusion default is the
    automatic rule (stylefuse.model_choice), and fuse-medical is marked default: what runs where no card
    lists the pair's kind, or where no images are at hand (benchmarks, a server's `default` parameter).
    """
    try:
        data = json.loads((shipped_models_dir() / DEFAULTS_FILE).read_text())
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    fallback = data.get("fallback") if isinstance(data.get("fallback"), dict) else {}
    marked, auto = {}, set()
    for task in ("style", "fuse"):
        name = data.get(task)
        if name == AUTO:
            auto.add(task)
            name = fallback.get(task)
        if isinstance(name, str):
            marked[task] = name
    return marked, auto


def installed_models() -> list[ModelInfo]:
    """The installed models (search-path order) with the shipped default of each task marked, and the
    fusion models' kinds where the fusion default is "auto" (else the marked model always runs)."""
    marked, auto = read_defaults()
    return [
        ModelInfo(
            e.name,
            e.task,
            int(e.card.get("channels") or 0),
            e.task == "style" and bool(e.card.get("has_default_style")),
            marked.get(e.task) == e.name,
            card_kinds(e.card) if e.task in auto else (),
        )
        for e in list_models()
    ]


def default_model_name(task: str) -> str:
    """The installed default for a task when no input is at hand: stylefuse.model_choice's rule over the
    installed models (for fusion with images in hand, see stylefuse.fusion_kind.default_fusion_model)."""
    return default_model(task, installed_models())


@dataclass
class LoadedModel:
    """A TorchScript generator with its card: what the pipeline runs."""

    name: str
    card: dict
    module: torch.jit.ScriptModule
    folder: Path
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def task(self) -> str:
        return self.card["task"]

    @property
    def channels(self) -> int:
        return int(self.card["channels"])

    @property
    def spatial_multiple(self) -> int:
        return int(self.card.get("spatial_multiple", 4))

    @property
    def receptive_radius(self) -> int:
        return int(self.card.get("receptive_radius", 64))

    @property
    def needs_reference(self) -> bool:
        return self.task == "fuse" or not self.card.get("has_default_style", False)


def _inside(path: Path, root: Path) -> bool:
    # Lexical, after normalising `..` away: a symlink the user put in their own model folder is theirs.
    path, root = Path(os.path.normpath(os.path.abspath(path))), Path(os.path.normpath(os.path.abspath(root)))
    return path == root or root in path.parents


def check_model_location(folder: Path, repository: Path | None = None) -> None:
    """Refuse TorchScript outside the shipped models, the user model folder and `repository` (a Triton
    model repository): loading TorchScript runs its code, so it only comes from places meant for models."""
    roots = [*model_search_path(), *([Path(repository)] if repository is not None else [])]
    if not any(_inside(folder, root) for root in roots):
        places = ", ".join(str(r) for r in roots)
        raise UserError(
            f"refusing to load a model from {folder}: models are loaded only from {places} "
            "(copy it into your model folder, $STYLEFUSE_MODELS, to use it)"
        )


# What the pipeline calls on a model's TorchScript module, per task.
_REQUIRED_METHODS = {"style": ("forward_code", "encode_style"), "fuse": ("forward",)}


def load_model_folder(
    folder: Path, name: str | None = None, repository: Path | None = None, device: torch.device | str = "cpu"
) -> LoadedModel:
    """Load the model folder `folder` (inside the search path, or inside `repository`) onto `device`."""
    import torch

    folder = Path(folder)
    check_model_location(folder, repository)
    card = read_card(folder)
    path = folder / MODEL_FILE
    try:
        # Loaded outside inference mode: a model first loaded inside a pipeline call (inference mode)
        # would otherwise hold inference tensors that fail in any later call outside it.
        with warnings.catch_warnings(), torch.inference_mode(False):
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location=torch.device(device))
    except Exception as exc:  # torch raises RuntimeError/ValueError/zip errors for corrupt files
        raise UserError(
            f"model file {path} could not be loaded (corrupt or not TorchScript): {exc}"
        ) from None
    missing = [m for m in _REQUIRED_METHODS[card["task"]] if not hasattr(module, m)]
    if missing:
        raise UserError(
            f"model file {path} is not a stylefuse {card['task']} generator "
            f"(no {', '.join(missing)}); re-export it with `stylefuse train`/stylefuse.export"
        )
    module.eval()
    for param in module.parameters():  # inference only: no autograd graph, whatever the caller's grad mode
        param.requires_grad_(False)
    return LoadedModel(name or folder.name, card, module, folder)


_LOADED: dict[tuple[str, str, str], LoadedModel] = {}


def load_model(name: str, task: str | None = None, device: torch.device | str = "cpu") -> LoadedModel:
    """Load a model by name from the search path onto `device` (cached per process and device)."""
    import torch

    entry = find_model(name, task)
    key = (str(entry.folder), str((entry.folder / MODEL_FILE).stat().st_mtime_ns), str(torch.device(device)))
    if key not in _LOADED:
        _LOADED[key] = load_model_folder(entry.folder, entry.name, device=device)
    return _LOADED[key]
