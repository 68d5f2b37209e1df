"""Adversarial training of the generator family: `stylefuse train`."""

from .config import TrainConfig

__all__ = ["TrainConfig"]
