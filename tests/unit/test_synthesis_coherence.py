"""Against collage: coherent groups of the match field, and breaking up the ones that copy a region."""

import torch
import torch.nn.functional as F

from stylefuse.synthesis import SynthesisOptions, synthesize
from stylefuse.synthesis.coherence import break_copies, coherent_groups
from stylefuse.synthesis.patches import Match, nearest_patches, pad_to_grid, patch_bank, typical_distance

SIZE, STRIDE = 9, 3


def _painting(seed: int = 0, height: int = 90, width: int = 120) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.avg_pool2d(torch.rand(1, 3, height + 2, width + 2, generator=g), 3, stride=1)


def _grid(height: int, width: int) -> tuple[int, int]:
    return ((height - SIZE) // STRIDE + 1, (width - SIZE) // STRIDE + 1)


def _bank(painting: torch.Tensor):
    return patch_bank(painting, SIZE, 1, 16, torch.Generator().manual_seed(0))


def _largest_group(match: Match, bank, grid) -> int:
    flat = torch.zeros(match.index.shape[0], dtype=torch.bool)
    labels = coherent_groups(match.index[:, 0], grid, STRIDE, bank, flat)
    return int(torch.bincount(labels).max())


def test_a_copied_block_is_one_group_and_scattered_choices_are_not():
    painting = _painting()
    bank = _bank(painting)
    content = painting[..., 20:56, 30:78]  # the output copies this region of the painting
    grid = _grid(*content.shape[-2:])
    queries = F.unfold(content, SIZE, stride=STRIDE)[0].T
    copy = nearest_patches(bank, queries)
    assert _largest_group(copy, bank, grid) == grid[0] * grid[1]  # one coherent copy
    scattered = Match(torch.randperm(bank.codes.shape[0])[: queries.shape[0], None], copy.weight)
    assert _largest_group(scattered, bank, grid) <= 3


def test_break_copies_leaves_no_group_over_the_limit_and_avoids_the_copied_region():
    painting = _painting(1)
    bank = _bank(painting)
    content = painting[..., 20:56, 30:78]
    height, width = content.shape[-2:]
    grid = _grid(height, width)
    queries = F.unfold(content, SIZE, stride=STRIDE)[0].T
    copy = nearest_patches(bank, queries)
    limit = 0.05
    broken = break_copies(
        copy, bank, bank.encode(queries), grid, STRIDE, height * width, limit, typical_distance(bank)
    )
    largest = _largest_group(broken, bank, grid)
    assert largest * STRIDE * STRIDE < 2 * limit * height * width  # no large copy is left
    rows, cols = bank.positions[broken.index[:, 0]].T
    inside = (rows >= 20) & (rows < 56 - SIZE) & (cols >= 30) & (cols < 78 - SIZE)
    assert float(inside.float().mean()) < 0.2  # painted from elsewhere in the painting
    # without a limit the copy stays
    assert break_copies(copy, bank, bank.encode(queries), grid, STRIDE, height * width, 0.0, 1.0) is copy


def test_synthesis_of_a_piece_of_the_painting_does_not_paste_it_back():
    """The worst case for collage: the photo is a piece of the painting itself."""
    painting = _painting(2, 96, 128)
    content = painting[..., 16:80, 24:104].contiguous()
    options = SynthesisOptions(iterations=1)
    _, state = synthesize(content, painting, options)
    _, copied_state = synthesize(content, painting, SynthesisOptions(iterations=1, coherence_limit=0.0))
    factor, size = options.scales[-1].factor, options.scales[-1].patch_sizes[-1]
    key = (factor, size, 0)
    bank = state.banks[(factor, size)]
    stride = max(3, size // 3)
    height, width = content.shape[-2:]
    padded = pad_to_grid(content, size, stride).shape[-2:]
    grid = ((padded[0] - size) // stride + 1, (padded[1] - size) // stride + 1)

    def largest_share(fields) -> float:
        flat = torch.zeros(fields[key].shape[0], dtype=torch.bool)
        labels = coherent_groups(fields[key][:, 0], grid, stride, bank, flat)
        return int(torch.bincount(labels).max()) * stride * stride / (height * width)

    assert largest_share(copied_state.fields) > 0.05  # without the limit, the piece is pasted back
    assert largest_share(state.fields) <= 2 * options.coherence_limit + stride * stride / (height * width)
