"""Against collage: no region of the painting is copied whole into the output.

Neighbouring output patches whose chosen painting patches keep the same offset (painting position -
output position) copy one region of the painting together. A few such neighbours make a stroke
continue; hundreds paste a recognisable object of the painting (a face, a swirl) into the photo.
After each search, coherent groups of the match field that cover more than `limit` of the image are
searched again with the painting region they copied excluded, so they are painted from elsewhere.
"""

from __future__ import annotations

import torch

from .patches import CHUNK_ELEMENTS, Match, PatchBank, blend_weights

FLAT_STD = 2.0 / 255.0  # a flat patch (sky matched to flat canvas) copies nothing recognisable
ROUNDS = 2


def coherent_groups(
    index: torch.Tensor, grid: tuple[int, int], stride: int, bank: PatchBank, flat: torch.Tensor
) -> torch.Tensor:
    """A group label for every query (rows x cols of the query grid, row-major): neighbours whose
    painting offsets agree within the bank's stride share one; flat queries stay alone."""
    rows, cols = grid
    source = bank.positions[index]  # Q x 2, painting row, col
    query = torch.stack(
        torch.meshgrid(
            torch.arange(rows, device=index.device) * stride,
            torch.arange(cols, device=index.device) * stride,
            indexing="ij",
        ),
        -1,
    ).reshape(-1, 2)
    offset = (source - query).view(rows, cols, 2)
    solid = ~flat.view(rows, cols)
    tolerance = max(1, bank.stride)
    right = ((offset[:, 1:] - offset[:, :-1]).abs().amax(-1) <= tolerance) & solid[:, 1:] & solid[:, :-1]
    down = ((offset[1:] - offset[:-1]).abs().amax(-1) <= tolerance) & solid[1:] & solid[:-1]
    labels = torch.arange(rows * cols, device=index.device).view(rows, cols)
    # Smallest label in each group by propagation along the joined edges, with pointer jumping so
    # long groups converge in a few dozen sweeps.
    while True:
        before = labels
        labels = labels.clone()
        labels[:, 1:] = torch.where(right, torch.minimum(labels[:, 1:], labels[:, :-1]), labels[:, 1:])
        labels[:, :-1] = torch.where(right, torch.minimum(labels[:, :-1], labels[:, 1:]), labels[:, :-1])
        labels[1:] = torch.where(down, torch.minimum(labels[1:], labels[:-1]), labels[1:])
        labels[:-1] = torch.where(down, torch.minimum(labels[:-1], labels[1:]), labels[:-1])
        flat_labels = labels.reshape(-1)
        labels = flat_labels[flat_labels].view(rows, cols)
        if torch.equal(labels, before):
            return labels.reshape(-1)


def break_copies(
    match: Match,
    bank: PatchBank,
    codes: torch.Tensor,
    grid: tuple[int, int],
    stride: int,
    image_area: int,
    limit: float,
    scale: float,
) -> Match:
    """`match` with every coherent group over `limit` of the image searched again without the
    painting region it copied (and those found in earlier rounds). codes: the queries' PCA codes."""
    if limit <= 0 or grid[0] * grid[1] < 2:
        return match
    index, weight = match.index.clone(), match.weight.clone()
    flat = bank.patches[index[:, 0]].view(index.shape[0], -1, bank.size * bank.size).std(2).amax(1) < FLAT_STD
    banned = torch.zeros(bank.codes.shape[0], dtype=torch.bool, device=index.device)
    min_cells = max(2, int(limit * image_area / (stride * stride)) + 1)
    for _ in range(ROUNDS):
        labels = coherent_groups(index[:, 0], grid, stride, bank, flat)
        sizes = torch.bincount(labels, minlength=labels.numel())
        big = (sizes >= min_cells).nonzero()[:, 0]
        if big.numel() == 0:
            break
        redo = torch.isin(labels, big)
        for label in big.tolist():
            # the painting region this group copied, widened by half a patch: its neighbours would
            # continue the same copy
            source = bank.positions[index[labels == label, 0]]
            low, high = source.amin(0) - bank.size // 2, source.amax(0) + bank.size // 2
            inside = ((bank.positions >= low) & (bank.positions <= high)).all(1)
            banned |= inside
        if bool(banned.all()):
            break
        bias = bank.norms.masked_fill(banned, float("inf"))
        rows = redo.nonzero()[:, 0]
        k = index.shape[1]
        chunk = max(1, CHUNK_ELEMENTS // bank.codes.shape[0])
        for start in range(0, rows.numel(), chunk):
            at = rows[start : start + chunk]
            part = codes[at]
            dist = torch.addmm(bias[None, :], part, bank.codes.T, alpha=-2.0)
            best, chosen = dist.topk(k, dim=1, largest=False)
            index[at] = chosen
            weight[at] = blend_weights(best, (part * part).sum(1, keepdim=True), scale)
    return Match(index, weight)
