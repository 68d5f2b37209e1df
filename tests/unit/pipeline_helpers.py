"""Fake models and helpers shared by the tests/unit/test_pipeline_*.py modules (the in-process pipeline).

Two kinds of model are used. The shipped defaults (fixtures `style_model`, `fuse_model`) check that
everything runs end to end with real generators; their weights will change, so those tests assert
properties (dtype, shape, range, exactness where the pipeline guarantees it), never output values.
Small fake models whose effect is known exactly (invert, max, channel swap) pin down the arithmetic:
the range mapping, blending by strength and mask, colour handling.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from stylefuse.pipeline.color import chroma


class FakeStyleModule:
    def __init__(self, op):
        self.op = op
        self.encoded: list[tuple[int, ...]] = []
        self.seen: list[torch.Tensor] = []

    def encode_style(self, ref):
        self.encoded.append(tuple(ref.shape))
        return ref.mean(dim=(2, 3))

    def default_style(self, batch):
        return torch.zeros(batch, 1)

    def forward_code(self, src, code, z=None):
        self.seen.append(src.clone())
        return self.op(src)


class FakeFuseModule:
    def __call__(self, a, b):
        return torch.maximum(a, b)


@dataclass
class FakeModel:
    module: object
    task: str = "style"
    channels: int = 3
    spatial_multiple: int = 4
    receptive_radius: int = 8
    needs_reference: bool = False
    name: str = "fake"
    card: dict = field(default_factory=dict)


def invert_model(channels=3, **kw):
    return FakeModel(FakeStyleModule(lambda x: 1.0 - x), channels=channels, **kw)


def uint8_image(scene, h=48, w=40, seed=0):
    return np.round(scene(h, w, seed) * 255).astype(np.uint8)


def chroma_u8(rgb_u8):
    return chroma(rgb_u8.astype(np.float32) / 255)
