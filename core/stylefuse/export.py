"""Export a generator to TorchScript plus its model card, with a parity check.

The folder is written aside and renamed into place, so a failed or interrupted export never
leaves a half-written model behind.
"""

import hashlib
import json
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from . import __version__
from .folders import swap_into_place
from .models import count_parameters, gflop_per_megapixel
from .models.generator import generator_receptive_radius
from .registry import CARD_FILE, MODEL_FILE

PARITY_SIZES = ((64, 64), (257, 311), (130, 97))
PARITY_TOLERANCE = 1e-4


class ExportError(RuntimeError):
    pass


def script_generator(generator: nn.Module) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(generator.eval())


def check_parity(generator: nn.Module, scripted: torch.jit.ScriptModule,
                 sizes=PARITY_SIZES, tolerance: float = PARITY_TOLERANCE) -> float:
    """Max abs difference eager vs TorchScript over several sizes (odd ones included)."""
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.inference_mode():
        for h, w in sizes:
            src = torch.rand(1, generator.channels, h, w, generator=gen)
            ref = torch.rand(1, generator.channels, max(h, 64), max(w, 64), generator=gen)
            if generator.task == "fuse":
                ref = torch.rand(1, generator.channels, h, w, generator=gen)
            diff = (generator(src, ref) - scripted(src, ref)).abs().max().item()
            worst = max(worst, diff)
    if not worst <= tolerance:
        raise ExportError(f"TorchScript output differs from eager by {worst:.3g} (> {tolerance})")
    return worst


def build_card(generator: nn.Module, name: str, extra: dict | None = None) -> dict:
    card = {
        "name": name,
        "format_version": 1,
        "stylefuse_version": __version__,
        "task": generator.task,
        "channels": generator.channels,
        "value_range": [0.0, 1.0],
        "architecture": {"class": type(generator).__name__, "config": dict(generator.config)},
        "parameters": count_parameters(generator),
        "gflop_per_megapixel": round(gflop_per_megapixel(generator), 2),
        "spatial_multiple": generator.multiple,
        "receptive_radius": generator_receptive_radius(generator),
        "has_default_style": bool(getattr(generator, "has_default_code", torch.zeros(1))[0] > 0),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    card.update(extra or {})
    return card


def export_generator(generator: nn.Module, out_dir: Path, name: str | None = None,
                     card_extra: dict | None = None) -> Path:
    """Write `out_dir/model.pt` + `out_dir/card.json`; replaces an existing folder only on success."""
    out_dir = Path(out_dir)
    name = name or out_dir.name
    generator = generator.eval()
    scripted = script_generator(generator)
    parity = check_parity(generator, scripted)
    card = build_card(generator, name, card_extra)
    card["export_parity_max_abs"] = parity
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.save(scripted, str(tmp / MODEL_FILE))
        card["sha256"] = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def copy_model_folder(src: Path, out_dir: Path) -> Path:
    """`stylefuse export MODEL -o DIR`: copy a model folder (TorchScript + card) atomically."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for fname in (MODEL_FILE, CARD_FILE):
            shutil.copy2(Path(src) / fname, tmp / fname)
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def reexport_model_folder(folder: Path) -> Path:
    """Re-script a model folder with this version's generator code, keeping its weights and card.

    TorchScript files carry the forward code they were exported with; after a speed-up of the
    generator's forward (same parameters), this refreshes a trained model without retraining.
    The parity check runs against the eager model and the old file must agree within tolerance.
    """
    from .models import build_generator

    folder = Path(folder)
    card = json.loads((folder / CARD_FILE).read_text())
    old = torch.jit.load(str(folder / MODEL_FILE), map_location="cpu").eval()
    generator = build_generator(card["task"], **card["architecture"]["config"])
    generator.load_state_dict(old.state_dict())
    generator.eval()
    check_parity(generator, old)
    keep = {k: v for k, v in card.items() if k not in {"sha256", "export_parity_max_abs", "created",
                                                      "gflop_per_megapixel", "stylefuse_version"}}
    return export_generator(generator, folder, card["name"], keep)
