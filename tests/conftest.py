"""Fixtures shared by the test tiers: the shipped default models and small synthetic images."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def torch_threads():
    """Keep torch to two threads: the test machines share their few cores."""
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    return torch


@pytest.fixture(scope="session")
def style_model(torch_threads):
    from stylefuse.registry import default_model_name, load_model

    return load_model(default_model_name("style"), task="style")


@pytest.fixture(scope="session")
def fuse_model(torch_threads):
    from stylefuse.registry import default_model_name, load_model

    return load_model(default_model_name("fuse"), task="fuse")


def make_scene(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A float32 RGB picture in [0, 1] with smooth gradients, edges and some noise (not just noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y /= max(height - 1, 1)
    x /= max(width - 1, 1)
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], axis=-1)
    rgb += rng.normal(0.0, 0.04, rgb.shape).astype(np.float32)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


@pytest.fixture
def scene():
    """`scene(h, w, seed=0)` -> float32 RGB H x W x 3 in [0, 1]."""
    return make_scene
