"""Adversarial training of the generator family: `stylefuse train`.

The public API (what plug-ins may import): `TrainConfig`, `train`, `TrainingInterrupted`. The loop
is imported on first use only: `TrainConfig` alone must stay cheap (the CLI builds it for --help).
"""

from .config import TrainConfig

__all__ = ["TrainConfig", "TrainingInterrupted", "train"]


def __getattr__(name: str):
    if name in ("train", "TrainingInterrupted"):
        from . import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
