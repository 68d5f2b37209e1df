"""Collage share: how much of a stylised output is a coherent copy of one region of the painting.

    share = collage_share(out, painting)    # both uint8 H x W x 3, the painting at the working size

Every 8 x 8 patch of the output (on a grid of stride 4) gets its nearest 8 x 8 patch of the painting
(exact nearest neighbour in RGB: a first search over the painting's patches at stride 2 in a
16-dimensional PCA space, by matrix products in bounded chunks, then the exact best of the 3 x 3
neighbours of that match in the full 192 dimensions). The offset painting position - output position
of neighbouring output patches that copy the same region stays the same; so grid neighbours whose
offsets agree within +-1 px are joined (connected components of that graph). A component covering at
least 1 % of the output counts as copied; the share is the copied part of the output (0..1).
Near-flat output patches (standard deviation below 2 grey levels) never join: a flat sky matched to a
flat part of the painting is not a copy of anything.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from bench_images import as_rgb_u8
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

PATCH = 8
STRIDE = 8  # output patches tile the output
COARSE = 2  # painting patches of the first search
PCA_DIMS = 16
TOLERANCE = 1  # px
MIN_AREA = 0.01  # of the output
FLAT_STD = 2.0 / 255.0
CHUNK_ELEMENTS = 1 << 23
BLUR = 1.0  # px, the first search only


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(as_rgb_u8(img).astype(np.float32) / 255.0).permute(2, 0, 1)[None]


def _unfold(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, int, int]:
    """N x (3 * PATCH^2) patches and the grid's (rows, cols)."""
    rows = (x.shape[-2] - PATCH) // stride + 1
    cols = (x.shape[-1] - PATCH) // stride + 1
    return F.unfold(x, PATCH, stride=stride)[0].T.contiguous(), rows, cols


def _blur(x: torch.Tensor, sigma: float = BLUR) -> torch.Tensor:
    radius = int(3 * sigma + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).repeat(3, 1, 1, 1)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k.view(3, 1, 1, -1), groups=3)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.view(3, 1, -1, 1), groups=3)


def _nearest(queries: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """Index of the nearest bank row for every query row (squared L2), in chunks."""
    bank_sq = (bank * bank).sum(1)
    chunk = max(1, CHUNK_ELEMENTS // max(1, bank.shape[0]))
    out = torch.empty(queries.shape[0], dtype=torch.long)
    for start in range(0, queries.shape[0], chunk):
        q = queries[start : start + chunk]
        dist = bank_sq[None, :] - 2.0 * (q @ bank.T)
        out[start : start + chunk] = dist.argmin(1)
    return out


@torch.inference_mode()
def nearest_offsets(out: np.ndarray, painting: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets rows x cols x 2 in px, flat mask rows x cols) of the output's patch grid."""
    x, p = _tensor(out), _tensor(painting)
    if min(p.shape[-2:]) < PATCH + 2 or min(x.shape[-2:]) < PATCH:
        raise ValueError("images too small for the collage share")
    queries, rows, cols = _unfold(x, STRIDE)
    # the first search on slightly blurred images: a 1-px shift then changes a patch little, so the
    # match on the coarse grid lands next to the exact one
    coarse, c_rows, c_cols = _unfold(_blur(p), COARSE)
    blurred_queries = _unfold(_blur(x), STRIDE)[0]
    gen = torch.Generator().manual_seed(0)
    sample = coarse[torch.randperm(coarse.shape[0], generator=gen)[:4000]]
    mean = sample.mean(0)
    centred = (sample - mean).double()
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    proj = vectors[:, -PCA_DIMS:].float()
    first = _nearest((blurred_queries - mean) @ proj, (coarse - mean) @ proj)
    # refine: the exact best of the 3 x 3 full-resolution neighbours of the coarse match
    full, f_rows, f_cols = _unfold(p, 1)
    cy, cx = (first // c_cols) * COARSE, (first % c_cols) * COARSE
    best_d = torch.full((queries.shape[0],), float("inf"))
    best_y, best_x = cy.clone(), cx.clone()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            y, xx = (cy + dy).clamp(0, f_rows - 1), (cx + dx).clamp(0, f_cols - 1)
            d = ((full[y * f_cols + xx] - queries) ** 2).sum(1)
            better = d < best_d
            best_d = torch.where(better, d, best_d)
            best_y, best_x = torch.where(better, y, best_y), torch.where(better, xx, best_x)
    grid_y = torch.arange(rows).repeat_interleave(cols) * STRIDE
    grid_x = torch.arange(cols).repeat(rows) * STRIDE
    offsets = torch.stack([best_y - grid_y, best_x - grid_x], 1).view(rows, cols, 2).numpy()
    flat = (queries.view(-1, 3, PATCH * PATCH).std(2).max(1).values < FLAT_STD).view(rows, cols).numpy()
    return offsets, flat


def copied_mask(offsets: np.ndarray, flat: np.ndarray, image_cells: int) -> np.ndarray:
    """rows x cols bool: grid cells in a coherent-offset component of >= MIN_AREA of the image."""
    rows, cols = flat.shape
    index = np.arange(rows * cols).reshape(rows, cols)
    edges_a, edges_b = [], []
    for a, b, oa, ob, fa, fb in (
        (index[:, :-1], index[:, 1:], offsets[:, :-1], offsets[:, 1:], flat[:, :-1], flat[:, 1:]),
        (index[:-1], index[1:], offsets[:-1], offsets[1:], flat[:-1], flat[1:]),
    ):
        keep = (np.abs(oa - ob).max(-1) <= TOLERANCE) & ~fa & ~fb
        edges_a.append(a[keep])
        edges_b.append(b[keep])
    ea, eb = np.concatenate(edges_a), np.concatenate(edges_b)
    graph = coo_matrix((np.ones(ea.size), (ea, eb)), shape=(rows * cols, rows * cols))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    big = sizes >= max(2, MIN_AREA * image_cells)
    return big[labels].reshape(rows, cols)


def collage_share(out: np.ndarray, painting: np.ndarray) -> float:
    """Share (0..1) of the output covered by coherent copies of one painting region of >= 1 % of it."""
    offsets, flat = nearest_offsets(out, painting)
    mask = copied_mask(offsets, flat, offsets.shape[0] * offsets.shape[1])
    return float(mask.mean())
