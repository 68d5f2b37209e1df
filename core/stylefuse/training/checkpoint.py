"""Checkpoints: everything needed for an exact resume (weights, optimisers, step, RNG).

Batches are functions of (seed, step, rank), so no data-loader state is needed. Files are written
aside and renamed, and loaded with weights_only=True (no pickled code runs on load).
"""

import os
from pathlib import Path

import torch

from ..errors import UserError


def save_checkpoint(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"no checkpoint at {path}") from None
    except Exception as exc:
        raise UserError(f"checkpoint {path} is corrupt or not a stylefuse checkpoint: {exc}") from None


def latest_checkpoint(run_dir: Path) -> Path | None:
    last = run_dir / "checkpoints" / "last.pt"
    return last if last.is_file() else None
