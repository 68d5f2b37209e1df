"""Fusion pairs with a ground truth, made on the fly from real photos: multi-focus and multi-exposure.

Unsupervised fusion losses (keep the brighter pixel, the stronger edge) cannot teach a model to pick
the sharp focus plane or to undo an exposure; pairs degraded from a known photo can. Every draw
comes from an explicit torch.Generator, so a batch is a pure function of (seed, step, rank).

- multi-focus: a random binary region (a half-plane at any angle, an ellipse, or a smooth random
  blob) keeps the photo in one input and a Gaussian-blurred copy (sd FOCUS_SIGMA px) in the other,
  the complementary region the other way round;
- multi-exposure: the photo in linear light (gamma GAMMA) scaled by 2^-EV (under) and 2^+EV (over,
  clipped at white), the two EVs drawn independently from EXPOSURE_EV, back to gamma; or, with
  `families`, a tone-curve family drawn per pair (`tone_curves`: linear, gamma-gain, s-curve) and,
  with `degrade`, read noise and JPEG quantisation on both copies.
Degradations run on RGB (grey photos replicated) and the model sees the luma, as the pipeline
fuses colour images (Y of YCbCr); both inputs are rounded to 8 bits as most inputs are.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from .augment import random_affine_crop
from .samplers import PairBatches, _fit, step_generator
from .tone_curves import degrade as degrade_copy
from .tone_curves import exposure_family_pair

FOCUS_SIGMA = (1.0, 5.0)  # px, blur of the out-of-focus region
EXPOSURE_EV = (1.0, 3.0)  # stops under and over (drawn independently)
GAMMA = (2.0, 2.4)  # display gamma to linear light and back
SYNTHETIC_STREAM = 2  # generator stream of the synthetic pairs (the real pairs use stream 0)

# Photos the benchmarks score (benchmarks/quality.py): never a training image.
BENCHMARK_PHOTOS = frozenset(
    {
        "astronaut",
        "chelsea",
        "cat",
        "coffee",
        "rocket",
        "stereo_motorcycle",
        "camera",
        "coins",
        "moon",
        "hubble_deep_field",
        "immunohistochemistry",
        "retina",
    }
)


def _uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand((), generator=gen).item()


def quantize8(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x.clamp(0.0, 1.0) * 255.0) / 255.0


def luma(x: torch.Tensor) -> torch.Tensor:
    """C x H x W (C = 1 or 3) -> 1 x H x W, BT.601 weights (the pipeline's Y)."""
    if x.shape[0] == 1:
        return x
    return 0.299 * x[0:1] + 0.587 * x[1:2] + 0.114 * x[2:3]


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """C x H x W Gaussian blur (separable, reflect padding, radius ceil(3 sd))."""
    radius = max(1, math.ceil(3.0 * sigma))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(coords**2) / (2.0 * sigma * sigma))
    k = k / k.sum()
    c = x.shape[0]
    h = F.pad(x[None], [radius, radius, 0, 0], mode="reflect")
    h = F.conv2d(h, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    h = F.pad(h, [0, 0, radius, radius], mode="reflect")
    return F.conv2d(h, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)[0]


def random_region(h: int, w: int, gen: torch.Generator) -> torch.Tensor:
    """A random binary 1 x H x W mask: a half-plane, an ellipse or a smooth blob (never all 0 or all 1)."""
    yy = (torch.arange(h, dtype=torch.float32)[:, None] + 0.5) / h * 2 - 1
    xx = (torch.arange(w, dtype=torch.float32)[None, :] + 0.5) / w * 2 - 1
    kind = int(torch.randint(3, (), generator=gen))
    if kind == 0:
        angle = _uniform(gen, 0.0, 2 * math.pi)
        offset = _uniform(gen, -0.6, 0.6)
        field = math.cos(angle) * xx + math.sin(angle) * yy - offset
    elif kind == 1:
        cx, cy = _uniform(gen, -0.5, 0.5), _uniform(gen, -0.5, 0.5)
        rx, ry = _uniform(gen, 0.2, 0.9), _uniform(gen, 0.2, 0.9)
        angle = _uniform(gen, 0.0, math.pi)
        u = math.cos(angle) * (xx - cx) + math.sin(angle) * (yy - cy)
        v = -math.sin(angle) * (xx - cx) + math.cos(angle) * (yy - cy)
        field = (u / rx) ** 2 + (v / ry) ** 2 - 1.0
    else:
        cells = int(torch.randint(2, 6, (), generator=gen))
        noise = torch.randn(1, 1, cells, cells, generator=gen)
        field = F.interpolate(noise, size=(h, w), mode="bicubic", align_corners=False)[0, 0]
        field = field - field.median()
    mask = field < 0
    if bool(mask.all()) or not bool(mask.any()):  # degenerate draw: fall back to the left half
        mask = xx.expand(h, w) < 0
    return mask[None].to(torch.float32)


def focus_pair(photo: torch.Tensor, mask: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """In focus where mask is 1 in the first image, where it is 0 in the second; blurred elsewhere."""
    blurred = gaussian_blur(photo, sigma)
    return torch.where(mask > 0, photo, blurred), torch.where(mask > 0, blurred, photo)


def to_linear(x: torch.Tensor, gamma: float) -> torch.Tensor:
    return x.clamp(0.0, 1.0) ** gamma


def from_linear(x: torch.Tensor, gamma: float) -> torch.Tensor:
    return x.clamp(0.0, 1.0) ** (1.0 / gamma)


def exposure_pair(
    photo: torch.Tensor, ev_under: float, ev_over: float, gamma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Copies `ev_under` stops under- and `ev_over` stops over-exposed (linear light, clipped at white)."""
    linear = to_linear(photo, gamma)
    under = from_linear(linear * 2.0**-ev_under, gamma)
    over = from_linear(linear * 2.0**ev_over, gamma)
    return under, over


def synthetic_pair(
    photo: torch.Tensor,
    gen: torch.Generator,
    kind: str = "",
    families: tuple[str, ...] = (),
    degrade: bool = False,
) -> tuple[torch.Tensor, ...]:
    """One (a, b, truth) triple from a C x H x W photo crop, all 1 x H x W lumas; kind '' draws one.

    Without `families` the exposure pair is the original linear-EV one (same draws as before, so older
    runs reproduce); with them, a family is drawn per pair."""
    if not kind:
        kind = "focus" if torch.rand((), generator=gen).item() < 0.5 else "exposure"
    if kind == "focus":
        mask = random_region(photo.shape[-2], photo.shape[-1], gen)
        a, b = focus_pair(photo, mask, _uniform(gen, *FOCUS_SIGMA))
    elif kind == "exposure" and families:
        family = families[int(torch.randint(len(families), (), generator=gen))]
        a, b = exposure_family_pair(photo, family, gen)
        if degrade:
            a, b = degrade_copy(a, gen), degrade_copy(b, gen)
    elif kind == "exposure":
        a, b = exposure_pair(
            photo, _uniform(gen, *EXPOSURE_EV), _uniform(gen, *EXPOSURE_EV), _uniform(gen, *GAMMA)
        )
    else:
        raise ValueError(f"unknown synthetic pair kind {kind!r}")
    a, b = luma(quantize8(a)), luma(quantize8(b))
    if torch.rand((), generator=gen).item() < 0.5:
        a, b = b, a  # the model must not care which input comes first
    return a, b, luma(photo)


class SyntheticPairBatches:
    """Multi-focus / multi-exposure pairs with their truth, from augmented crops of real photos."""

    def __init__(
        self,
        photos: list[torch.Tensor],
        crop: int,
        batch: int,
        seed: int,
        families: tuple[str, ...] = (),
        degrade: bool = False,
    ):
        if not photos:
            raise ValueError("synthetic pairs need at least one photo")
        self.photos = [_fit(p.expand(3, -1, -1) if p.shape[0] == 1 else p, crop) for p in photos]
        self.crop, self.batch, self.seed = crop, batch, seed
        # ("linear",) alone is the original generator (its exact draws); anything else goes by family
        self.families = () if tuple(families) in ((), ("linear",)) and not degrade else tuple(families)
        self.degrade = degrade

    def __call__(self, step: int, rank: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        gen = step_generator(self.seed, step, rank, stream=SYNTHETIC_STREAM)
        out: list[list[torch.Tensor]] = [[], [], []]
        for _ in range(self.batch):
            photo = self.photos[int(torch.randint(len(self.photos), (), generator=gen))]
            (crop,) = random_affine_crop([photo], self.crop, gen)
            triple = synthetic_pair(crop.clamp(0.0, 1.0), gen, families=self.families, degrade=self.degrade)
            for acc, t in zip(out, triple, strict=True):
                acc.append(t)
        a, b, truth = (torch.stack(t) for t in out)
        return a, b, truth


class MixedFusionBatches:
    """Real pairs (no truth; unsupervised loss) and synthetic pairs (with truth) in every batch.

    Returns (a, b, truth, supervised): the first rows are real pairs (their truth rows are zeros),
    `supervised` is the N-vector of bools marking the synthetic rows.
    """

    def __init__(self, pairs: PairBatches | None, synthetic: SyntheticPairBatches, n_real: int):
        self.pairs, self.synthetic, self.n_real = pairs, synthetic, n_real

    def __call__(self, step: int, rank: int = 0):
        sa, sb, truth = self.synthetic(step, rank)
        if self.pairs is None or self.n_real == 0:
            return sa, sb, truth, torch.ones(sa.shape[0], dtype=torch.bool)
        ra, rb = self.pairs(step, rank)
        sup = torch.cat(
            [torch.zeros(ra.shape[0], dtype=torch.bool), torch.ones(sa.shape[0], dtype=torch.bool)]
        )
        return torch.cat([ra, sa]), torch.cat([rb, sb]), torch.cat([torch.zeros_like(ra), truth]), sup


def skimage_photos(names: list[str]) -> list[torch.Tensor]:
    """scikit-image's bundled photos by name (offline), as C x H x W float in [0, 1]; benchmark photos refused."""
    from ..errors import UserError

    bad = sorted(set(names) & BENCHMARK_PHOTOS)
    if bad:
        raise UserError(f"scikit-image photo(s) {', '.join(bad)} are benchmark images: never train on them")
    try:
        import skimage.data
    except ImportError:
        raise UserError("--synthetic-skimage needs scikit-image (pip install 'stylefuse[train]')") from None
    photos = []
    for name in names:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise UserError(f"scikit-image has no photo {name!r}")
        img = torch.from_numpy(np.asarray(loader(), dtype=np.float32))
        if img.max() > 1.0:
            img = img / 255.0
        photos.append(img[None] if img.dim() == 2 else img[..., :3].permute(2, 0, 1).contiguous())
    return photos
