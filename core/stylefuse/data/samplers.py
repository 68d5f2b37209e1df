"""Training batches as pure functions of (seed, step, rank): exact resume needs no sampler state."""

import numpy as np
import torch
import torch.nn.functional as F

from ..pipeline.palette import apply_curves, palette_curves, quantiles, source_cdf
from .augment import random_affine_crop


def step_generator(seed: int, step: int, rank: int = 0, stream: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(((seed * 1_000_003 + step) * 997 + rank) * 31 + stream)


def _fit(img: torch.Tensor, min_side: int) -> torch.Tensor:
    """Upscale images smaller than the crop so every crop is real content."""
    h, w = img.shape[-2:]
    if min(h, w) >= min_side:
        return img
    f = min_side / min(h, w)
    return F.interpolate(
        img[None], size=(round(h * f) + 1, round(w * f) + 1), mode="bilinear", align_corners=False
    )[0]


def _hwc(img: torch.Tensor) -> np.ndarray:
    return img.permute(1, 2, 0).numpy()


class StyleBatches:
    """Content crops and style crops, augmented (rotation, translation, scale, flip).

    With `palette`, each content crop is first mapped onto its style's colours by the very curves
    the pipeline uses at inference (`stylefuse.pipeline.palette`): built from the whole content
    image's histogram and the whole painting's quantiles, so the generator learns on what it gets.
    """

    def __init__(
        self,
        contents: list[torch.Tensor],
        styles: list[torch.Tensor],
        crop: int,
        batch: int,
        seed: int,
        palette: bool = False,
    ):
        self.contents = [_fit(c, crop) for c in contents]
        self.styles = [_fit(s, crop) for s in styles]
        self.crop, self.batch, self.seed = crop, batch, seed
        self.palettes = [quantiles(_hwc(s)) for s in styles] if palette else None
        self.cdfs = [source_cdf(_hwc, [c]) for c in contents] if palette else None

    def _map(self, crop: torch.Tensor, content: int, style: int) -> torch.Tensor:
        curves = palette_curves(self.cdfs[content], self.palettes[style])
        return torch.from_numpy(apply_curves(_hwc(crop.clamp(0, 1)), curves)).permute(2, 0, 1).contiguous()

    def __call__(self, step: int, rank: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        gen = step_generator(self.seed, step, rank)
        content, style = [], []
        for _ in range(self.batch):
            ci = int(torch.randint(len(self.contents), (), generator=gen))
            si = int(torch.randint(len(self.styles), (), generator=gen))
            crop = random_affine_crop([self.contents[ci]], self.crop, gen)[0]
            content.append(crop if self.palettes is None else self._map(crop, ci, si))
            style += random_affine_crop(
                [self.styles[si]], self.crop, gen, max_rotation=5.0, scale_range=(0.8, 1.5)
            )
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


class PairedStyleBatches(StyleBatches):
    """Style batches with paired targets (synthesis outputs of the same photos, same size): the SAME
    random affine crop of photo and target, the photo then palette-mapped as in StyleBatches (the
    generator's input at inference), the target left as synthesis painted it.

    Returns (content, style, target, None): the loop's (a, b, truth, rows) shape, no per-row mask.
    Triples (content, target, style index) (per-style targets of an arbitrary-style model) pair each
    target with the painting it was made from; pairs take a random style as before.
    """

    def __init__(
        self,
        pairs: list[tuple[torch.Tensor, torch.Tensor]],
        styles: list[torch.Tensor],
        crop: int,
        batch: int,
        seed: int,
        palette: bool = False,
    ):
        for content, target, *_ in pairs:
            if content.shape[-2:] != target.shape[-2:]:
                raise ValueError(
                    f"photo {tuple(content.shape)} and target {tuple(target.shape)} differ in size"
                )
        super().__init__([p[0] for p in pairs], styles, crop, batch, seed, palette)
        self.targets = [_fit(p[1], crop) for p in pairs]
        self.style_of = [p[2] if len(p) > 2 else None for p in pairs]

    def __call__(self, step: int, rank: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:
        gen = step_generator(self.seed, step, rank)
        content, style, target = [], [], []
        for _ in range(self.batch):
            ci = int(torch.randint(len(self.contents), (), generator=gen))
            si = int(torch.randint(len(self.styles), (), generator=gen))
            si = si if self.style_of[ci] is None else self.style_of[ci]
            crop, paired = random_affine_crop([self.contents[ci], self.targets[ci]], self.crop, gen)
            content.append(crop if self.palettes is None else self._map(crop, ci, si))
            target.append(paired)
            style += random_affine_crop(
                [self.styles[si]], self.crop, gen, max_rotation=5.0, scale_range=(0.8, 1.5)
            )
        return torch.stack(content), torch.stack(style), torch.stack(target), None
