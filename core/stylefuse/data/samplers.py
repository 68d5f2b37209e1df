"""Training batches as pure functions of (seed, step, rank): exact resume needs no sampler state."""

import torch
import torch.nn.functional as F

from .augment import random_affine_crop


def step_generator(seed: int, step: int, rank: int = 0, stream: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(((seed * 1_000_003 + step) * 997 + rank) * 31 + stream)


def _fit(img: torch.Tensor, min_side: int) -> torch.Tensor:
    """Upscale images smaller than the crop so every crop is real content."""
    h, w = img.shape[-2:]
    if min(h, w) >= min_side:
        return img
    f = min_side / min(h, w)
    return F.interpolate(img[None], size=(round(h * f) + 1, round(w * f) + 1), mode="bilinear",
                         align_corners=False)[0]


class StyleBatches:
    """Content crops and style crops, augmented (rotation, translation, scale, flip)."""

    def __init__(self, contents: list[torch.Tensor], styles: list[torch.Tensor], crop: int, batch: int,
                 seed: int):
        self.contents = [_fit(c, crop) for c in contents]
        self.styles = [_fit(s, crop) for s in styles]
        self.crop, self.batch, self.seed = crop, batch, seed

    def __call__(self, step: int, rank: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        gen = step_generator(self.seed, step, rank)
        content, style = [], []
        for _ in range(self.batch):
            c = self.contents[int(torch.randint(len(self.contents), (), generator=gen))]
            s = self.styles[int(torch.randint(len(self.styles), (), generator=gen))]
            content += random_affine_crop([c], self.crop, gen)
            style += random_affine_crop([s], self.crop, gen, max_rotation=5.0, scale_range=(0.8, 1.5))
        return torch.stack(content), torch.stack(style)


class PairBatches:
    """Aligned pairs: the same augmentation applied to both images of a pair."""

    def __init__(self, pairs: list[tuple[torch.Tensor, torch.Tensor]], crop: int, batch: int, seed: int):
        self.pairs = [(_fit(a, crop), _fit(b, crop)) for a, b in pairs]
        self.crop, self.batch, self.seed = crop, batch, seed

    def __call__(self, step: int, rank: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        gen = step_generator(self.seed, step, rank)
        aa, bb = [], []
        for _ in range(self.batch):
            a, b = self.pairs[int(torch.randint(len(self.pairs), (), generator=gen))]
            if torch.rand((), generator=gen).item() < 0.5:
                a, b = b, a  # the model must not care which input comes first
            ta, tb = random_affine_crop([a, b], self.crop, gen)
            aa.append(ta)
            bb.append(tb)
        return torch.stack(aa), torch.stack(bb)
