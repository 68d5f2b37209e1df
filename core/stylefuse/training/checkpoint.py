"""Checkpoints: everything needed for an exact resume (weights, optimisers, step, RNG).

Batches are functions of (seed, step, rank), so no data-loader state is needed. Files are written
aside and renamed, and loaded with weights_only=True (no pickled code runs on load). Tensors are
saved on the CPU (device-neutral) and loaded with map_location onto the device that resumes, so a
run checkpointed on a GPU resumes on the CPU and the other way round.
"""

import os
from pathlib import Path

import torch

from ..errors import UserError


def to_cpu(obj):
    """`obj` (nested dicts, lists, tuples of tensors) with every tensor on the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def save_checkpoint(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    torch.save(to_cpu(state), tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, device: "torch.device | str" = "cpu") -> dict:
    """The checkpoint's state with its tensors on `device` (where this run trains)."""
    try:
        return torch.load(path, map_location=torch.device(device), weights_only=True)
    except FileNotFoundError:
        raise UserError(f"no checkpoint at {path}") from None
    except Exception as exc:
        raise UserError(f"checkpoint {path} is corrupt or not a stylefuse checkpoint: {exc}") from None


def latest_checkpoint(run_dir: Path) -> Path | None:
    last = run_dir / "checkpoints" / "last.pt"
    return last if last.is_file() else None
