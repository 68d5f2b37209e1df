"""Content-guided texture optimisation over a painting's own patches (Kwatra et al. 2005; Elad &
Milanfar 2017), coarse to fine:

    at each scale, for each patch size, a few times:
        every output patch -> its nearest painting patch (usage-penalised; soft top-k when coarse)
        patches put back together with robust (IRLS) weights
        the photo fused back in, strongly on its edges, weakly on flat areas
        every difference-of-Gaussians band matched to the painting's (Heeger & Bergen)

All of it in the painting's decorrelated colour axes (see `colour`). Deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .coherence import break_copies
from .colour import (
    BandTargets,
    ColourAxes,
    band_targets,
    colour_axes,
    gaussian_blur,
    match_bands,
    match_image,
    sorted_values,
)
from .patches import aggregate, nearest_patches, pad_to_grid, padded_size, patch_bank, typical_distance

Progress = Callable[[int, int], object]
Cancel = Callable[[], bool]


class SynthesisCancelled(Exception):
    """The caller's cancel() returned True."""


@dataclass(frozen=True)
class Scale:
    factor: int  # the working image shrunk by this factor
    patch_sizes: tuple[int, ...]
    content_base: float  # photo weight everywhere ...
    content_edge: float  # ... plus this much times the photo's edge strength (0..1)
    blend_k: int  # best painting patches blended per output patch


@dataclass(frozen=True)
class SynthesisOptions:
    scales: tuple[Scale, ...] = (
        Scale(4, (33, 21), 0.15, 1.0, 4),
        Scale(2, (21, 13), 0.04, 0.8, 3),
        Scale(1, (13, 9), 0.02, 0.6, 1),
    )
    iterations: int = 2  # per patch size
    pca_dims: int = 32
    max_bank: int = 16000  # painting patches per bank (the stride grows to stay below)
    usage_penalty: float = 2.0
    # no coherent copy of one painting region over this share of the image (0 = allow any)
    coherence_limit: float = 0.005
    tone: float = 0.6  # how far the photo's brightness is mapped to the painting's (1 = fully)
    band_tone: float = 1.0  # the same for the coarse brightness of every band-matching step
    noise: float = 0.5  # initial noise, in painting standard deviations, strongest on flat areas
    keep_previous: float = 0.5  # a stack's slice keeps the previous slice's patch at this extra cost
    seed: int = 0

    @property
    def steps(self) -> int:
        return sum(len(s.patch_sizes) for s in self.scales) * self.iterations


@dataclass
class SynthesisState:
    """What a stack's next slice starts from: the match field of every step, and the painting's
    patch banks and band statistics (the same painting for every slice: built once per stack)."""

    fields: dict = field(default_factory=dict)
    painting_key: tuple | None = None
    banks: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)


def _query_stride(size: int) -> int:
    return max(3, size // 3)


def _bank_stride(height: int, width: int, size: int, max_bank: int) -> int:
    stride = 1
    while ((height - size) // stride + 1) * ((width - size) // stride + 1) > max_bank:
        stride += 1
    return stride


def edge_strength(luma: torch.Tensor) -> torch.Tensor:
    """Gradient magnitude of a 1 x 1 x H x W image, smoothed, scaled to [0, 1] by its 90th percentile."""
    padded = F.pad(luma, (1, 1, 1, 1), mode="replicate")
    gx = padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]
    gy = padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]
    magnitude = gaussian_blur(torch.sqrt(gx * gx + gy * gy), 1.0)
    top = torch.quantile(magnitude.flatten()[:: max(1, magnitude.numel() // 100000)], 0.9)
    return (magnitude / (top + 1e-6)).clamp(0, 1)


def content_guide(content_axes: torch.Tensor, painting_axes: torch.Tensor, tone: float) -> torch.Tensor:
    """The photo in the painting's colours: every axis histogram-matched, the brightness axis only
    partly (a blend with a mean/deviation match), so a dark painting does not turn a photo's mid-tones
    into silhouettes."""
    target = sorted_values(painting_axes.flatten(2)[0])
    matched = match_image(content_axes, target)
    c_mean, c_std = content_axes[:, :1].mean(), content_axes[:, :1].std() + 1e-6
    p_mean, p_std = painting_axes[:, :1].mean(), painting_axes[:, :1].std()
    linear = (content_axes[:, :1] - c_mean) / c_std * p_std + p_mean
    matched[:, :1] = tone * matched[:, :1] + (1 - tone) * linear
    return matched


def _resize(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if tuple(image.shape[-2:]) == (height, width):
        return image
    shrink = height < image.shape[-2]
    return F.interpolate(image, size=(height, width), mode="bilinear", align_corners=False, antialias=shrink)


def synthesize(
    content: torch.Tensor,
    painting: torch.Tensor,
    options: SynthesisOptions | None = None,
    *,
    state: SynthesisState | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> tuple[torch.Tensor, SynthesisState]:
    """Paint `content` (1 x C x H x W in [0, 1]) with the patches of `painting` (1 x C x h x w).

    Returns the result at the content's size, in [0, 1], and the state a next slice of a stack
    starts from (pass it back as `state`). The painting is used at its given size: the caller
    chooses the scale of the strokes relative to the photo.
    """
    options = options or SynthesisOptions()
    generator = torch.Generator().manual_seed(options.seed)
    axes: ColourAxes = colour_axes(painting)
    painting_axes = axes.to_axes(painting)
    guide = content_guide(axes.to_axes(content), painting_axes, options.tone)
    previous = state.fields if state is not None else {}
    key = (tuple(painting.shape), float(painting.double().sum()), options)
    new_state = SynthesisState(painting_key=key)
    if state is not None and state.painting_key == key:  # same painting: reuse its banks and statistics
        new_state.banks, new_state.targets = state.banks, state.targets
    height, width = content.shape[-2:]
    noise = torch.randn(guide.shape, generator=generator).to(guide.device)
    step, total = 0, options.steps
    result = None
    for scale in options.scales:
        h, w = max(8, round(height / scale.factor)), max(8, round(width / scale.factor))
        ph, pw = (
            max(8, round(painting.shape[-2] / scale.factor)),
            max(8, round(painting.shape[-1] / scale.factor)),
        )
        guide_s = _resize(guide, h, w)
        painting_s = _resize(painting_axes, ph, pw)
        edges = edge_strength(guide_s[:, :1])
        content_weight = scale.content_base + scale.content_edge * edges
        targets: BandTargets = new_state.targets.get(scale.factor) or band_targets(painting_s)
        new_state.targets[scale.factor] = targets
        if result is None:  # start: the guide with noise, most on flat areas (texture everywhere)
            spread = painting_s.flatten(2).std(2).view(1, -1, 1, 1)
            result = guide_s + options.noise * spread * (1 - 0.5 * edges) * _resize(noise, h, w)
            result = match_bands(result, targets, tone=options.band_tone)
        else:
            result = _resize(result, h, w)
        for size in scale.patch_sizes:
            size = min(size, h, w, ph, pw)
            bank = new_state.banks.get((scale.factor, size))
            if bank is None:
                bank = patch_bank(
                    painting_s,
                    size,
                    _bank_stride(ph, pw, size, options.max_bank),
                    options.pca_dims,
                    generator,
                )
                new_state.banks[(scale.factor, size)] = bank
            stride = _query_stride(size)
            for iteration in range(options.iterations):
                if cancel is not None and cancel():
                    raise SynthesisCancelled("cancelled by the caller")
                key = (scale.factor, size, iteration)
                queries = F.unfold(pad_to_grid(result, size, stride), size, stride=stride)[0].T
                before = previous.get(key)
                if before is not None and before.shape[0] != queries.shape[0]:
                    before = None
                codes = bank.encode(queries)  # once: the search and the collage check both use them
                match = nearest_patches(
                    bank,
                    queries,
                    codes=codes,
                    k=scale.blend_k,
                    usage_penalty=options.usage_penalty,
                    previous=before,
                    keep_previous=options.keep_previous,
                )
                grid = (
                    (padded_size(h, size, stride) - size) // stride + 1,
                    (padded_size(w, size, stride) - size) // stride + 1,
                )
                match = break_copies(
                    match,
                    bank,
                    codes,
                    grid,
                    stride,
                    h * w,
                    options.coherence_limit,
                    typical_distance(bank),
                )
                new_state.fields[key] = match.index
                chosen = (bank.patches[match.index] * match.weight[..., None]).sum(1)
                result = aggregate(result, chosen, size, stride)
                result = (result + content_weight * guide_s) / (1 + content_weight)
                result = match_bands(result, targets, tone=options.band_tone)
                step += 1
                if progress is not None:
                    progress(step, total)
    out = axes.from_axes(result).clamp(0, 1)
    return out, new_state
