"""Painting patches: the bank, the nearest-patch search, and putting chosen patches back together.

The search is exact nearest neighbour after a PCA to `dims` dimensions, by matrix products in
bounded chunks (unfold + matmul): it runs on whatever device the tensors are on, and memory stays
at chunk x bank distances. A usage penalty makes an often-chosen painting patch costlier, so the
output is painted from many patches instead of pasting one region of the painting (collage).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

CHUNK_ELEMENTS = 1 << 24  # distances held at once (64 MiB of float32)
# Queries per chunk at most: the usage penalty counts the choices of earlier chunks, so small chunks
# let it act within an image even at the coarse scales (a few hundred patches in all).
CHUNK_QUERIES = 128
PCA_SAMPLES = 1500


@dataclass(frozen=True)
class PatchBank:
    patches: torch.Tensor  # N x D, full patches (C * p * p), what the output is made of
    codes: torch.Tensor  # N x d, PCA codes the search compares
    norms: torch.Tensor  # N, squared norms of the codes
    mean: torch.Tensor  # D
    basis: torch.Tensor  # D x d
    size: int
    positions: torch.Tensor  # N x 2, each patch's top-left (row, col) in the painting
    stride: int

    def encode(self, patches: torch.Tensor) -> torch.Tensor:
        return (patches - self.mean) @ self.basis


def patch_bank(
    painting: torch.Tensor, size: int, stride: int, dims: int, generator: torch.Generator
) -> PatchBank:
    """Every `size` x `size` patch of a 1 x C x H x W painting at `stride`, and its PCA codes."""
    patches = F.unfold(painting, size, stride=stride)[0].T.contiguous()  # N x D
    rows = (painting.shape[-2] - size) // stride + 1
    cols = (painting.shape[-1] - size) // stride + 1
    positions = torch.stack(
        torch.meshgrid(torch.arange(rows) * stride, torch.arange(cols) * stride, indexing="ij"), -1
    ).reshape(-1, 2)
    mean = patches.mean(0)
    sample = patches
    if patches.shape[0] > PCA_SAMPLES:
        pick = torch.randperm(patches.shape[0], generator=generator)[:PCA_SAMPLES].to(patches.device)
        sample = patches[pick]
    dims = min(dims, patches.shape[1], sample.shape[0])
    # The principal axes of patch space from a randomised SVD of the centred sample: the full SVD
    # of a few thousand x (3 * 33 * 33) matrix costs seconds, this costs milliseconds.
    # svd_lowrank draws from the global generator: seed it from ours, inside a fork so the caller's
    # global random state is left as it was.
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _, _, v = torch.svd_lowrank(sample - mean, q=min(dims + 8, *sample.shape), niter=1)
    basis = v[:, :dims].contiguous()
    codes = (patches - mean) @ basis
    positions = positions.to(patches.device)
    return PatchBank(patches, codes, (codes * codes).sum(1), mean, basis, size, positions, stride)


@dataclass
class Match:
    index: torch.Tensor  # Q x k, chosen bank rows (best first)
    weight: torch.Tensor  # Q x k, blending weights (sum to 1)


def nearest_patches(
    bank: PatchBank,
    queries: torch.Tensor,
    *,
    k: int = 1,
    usage_penalty: float = 0.0,
    previous: torch.Tensor | None = None,
    keep_previous: float = 0.0,
    codes: torch.Tensor | None = None,
) -> Match:
    """The k nearest bank patches of each query (Q x D), searched chunk by chunk.

    usage_penalty: a bank patch's cost grows by penalty * (typical distance) * uses / fair share,
    counting the uses of earlier chunks, so no single patch is repeated over whole regions.
    previous / keep_previous: a match field from before (the previous slice of a stack); a query
    keeps its previous patch when that costs at most (1 + keep_previous) x its best one, so
    neighbouring slices are painted from the same patches where they look alike (no flicker).
    """
    codes = bank.encode(queries) if codes is None else codes  # codes: the queries' PCA codes, if known
    n_bank = bank.codes.shape[0]
    usage = torch.zeros(n_bank, device=codes.device)
    fair = max(codes.shape[0] * k / n_bank, 1.0)
    chunk = max(1, min(CHUNK_QUERIES, CHUNK_ELEMENTS // n_bank))
    k = min(k, n_bank)
    indices, weights = [], []
    scale = typical_distance(bank)
    for start in range(0, codes.shape[0], chunk):
        part = codes[start : start + chunk]
        # |q - b|^2 less the query's own |q|^2 (constant per row, so it cannot change a choice):
        # one fused matrix product, bias = |b|^2 + the usage penalty.
        bias = bank.norms if usage_penalty <= 0 else bank.norms + (usage_penalty * scale / fair) * usage
        dist = torch.addmm(bias[None, :], part, bank.codes.T, alpha=-2.0)
        own = (part * part).sum(1, keepdim=True)
        if k == 1:
            best, idx = dist.min(1, keepdim=True)
        else:
            best, idx = dist.topk(k, dim=1, largest=False)
        if previous is not None and keep_previous > 0:
            prev = previous[start : start + chunk]
            # extra cost allowed: a share of the best distance, at least of the typical one
            allowed = keep_previous * ((best[:, 0] + own[:, 0]).clamp(min=0) + 0.1 * scale)
            keep = dist.gather(1, prev[:, :1])[:, 0] <= best[:, 0] + allowed
            idx = torch.where(keep[:, None], prev, idx)
            best = torch.where(keep[:, None], dist.gather(1, prev), best)
        usage.index_add_(0, idx.reshape(-1), torch.ones(idx.numel(), device=usage.device))
        indices.append(idx)
        weights.append(blend_weights(best, own, scale))
    return Match(torch.cat(indices), torch.cat(weights))


def typical_distance(bank: PatchBank) -> float:
    """A typical distance between a query and its best patch, from the bank's own spread (a tenth of
    the mean squared code norm): makes the penalty and the keep-previous margin unit-free."""
    return 0.1 * float(bank.norms.mean()) + 1e-12


def blend_weights(best: torch.Tensor, own: torch.Tensor, scale: float) -> torch.Tensor:
    """Blending weights of the k best matches (Q x k distances less |q|^2, best first; own = |q|^2):
    a soft blend whose weights fall off with the extra distance; all on the best when k = 1."""
    if best.shape[1] == 1:
        return torch.ones_like(best)
    best = (best + own).clamp(min=0)
    return torch.softmax(-(best - best[:, :1]) / (best[:, :1] + 0.1 * scale), dim=1)


def padded_size(length: int, size: int, stride: int) -> int:
    """The smallest length >= `length` whose patches at `stride` reach the last pixel."""
    if length <= size:
        return size
    steps = -(-(length - size) // stride)
    return size + steps * stride


def pad_to_grid(image: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    height, width = image.shape[-2:]
    pad_h = padded_size(height, size, stride) - height
    pad_w = padded_size(width, size, stride) - width
    if pad_h == 0 and pad_w == 0:
        return image
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)


def patch_window(size: int, device, dtype=torch.float32) -> torch.Tensor:
    """A Gaussian weight over a patch (sigma = size / 4): patch centres count more when averaging."""
    x = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-0.5 * (x / (size / 4)) ** 2)
    return (g[:, None] * g[None, :]).reshape(-1)


def aggregate(
    current: torch.Tensor,
    chosen: torch.Tensor,
    size: int,
    stride: int,
    robust_power: float = 0.8,
) -> torch.Tensor:
    """Put chosen patches (Q x D, in unfold order over `current` padded to the grid) back together.

    Overlapping patches are averaged with a Gaussian window and robust (IRLS) weights
    ||patch - current patch||^(r - 2), r = robust_power < 2: a patch that disagrees strongly with its
    surroundings gets less say, so edges between patches stay crisp instead of being blurred.
    """
    height, width = current.shape[-2:]
    padded = pad_to_grid(current, size, stride)
    own = F.unfold(padded, size, stride=stride)[0].T  # Q x D
    channels = current.shape[1]
    residual = ((chosen - own) ** 2).sum(1) / chosen.shape[1]
    robust = (residual + 1e-4) ** ((robust_power - 2) / 2)
    window = patch_window(size, current.device, current.dtype).repeat(
        channels
    )  # D, channel-major like unfold
    weights = robust[:, None] * window[None, :]
    out_size = padded.shape[-2:]
    numerator = F.fold((chosen * weights).T[None], out_size, size, stride=stride)
    denominator = F.fold(weights.T[None], out_size, size, stride=stride)
    return (numerator / denominator.clamp(min=1e-12))[..., :height, :width]
