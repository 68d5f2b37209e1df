"""Replacing a folder as one step, so readers never see a half-written model or repository."""

import os
import shutil
from pathlib import Path


def swap_into_place(tmp: Path, target: Path) -> None:
    """Move the finished folder `tmp` to `target`, replacing what was there (same file system)."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)
