"""The synthesis engine's parts: histogram matching, band pyramid, patch search and aggregation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylefuse.synthesis import SynthesisOptions, synthesize
from stylefuse.synthesis.colour import band_pyramid, colour_axes, match_histograms, sorted_values
from stylefuse.synthesis.patches import aggregate, nearest_patches, pad_to_grid, patch_bank

SMALL = SynthesisOptions(iterations=1)


def test_match_histograms_gives_the_target_distribution_and_keeps_order():
    g = torch.Generator().manual_seed(1)
    values = torch.rand(2, 50000, generator=g) ** 3
    target = torch.randn(2, 20000, generator=g) * 0.2 + 0.5
    matched = match_histograms(values, sorted_values(target))
    got, want = sorted_values(matched, 101), sorted_values(target, 101)
    assert (got[:, 1:-1] - want[:, 1:-1]).abs().max() < 0.01
    order = values[0].argsort()
    assert bool((matched[0][order].diff() >= -1e-6).all())  # monotone: brighter stays brighter


def test_band_pyramid_sums_to_the_image():
    image = torch.rand(1, 3, 40, 52)
    bands = band_pyramid(image)
    assert len(bands) == 5
    assert torch.allclose(sum(bands), image, atol=1e-5)


def test_colour_axes_round_trip_and_decorrelate():
    g = torch.Generator().manual_seed(2)
    base = torch.rand(1, 1, 30, 30, generator=g)
    painting = torch.cat([base, 0.5 * base + 0.1, torch.rand(1, 1, 30, 30, generator=g) * 0.1], 1)
    axes = colour_axes(painting)
    inside = axes.to_axes(painting)
    assert torch.allclose(axes.from_axes(inside), painting, atol=1e-5)
    flat = inside.flatten(2)[0]
    cov = torch.cov(flat)
    assert abs(float(cov[0, 1])) < 1e-4 and float(cov[0, 0]) > float(cov[1, 1]) > 0


def test_nearest_patches_is_the_exact_nearest_without_penalty():
    g = torch.Generator().manual_seed(3)
    painting = torch.rand(1, 3, 24, 24, generator=g)
    bank = patch_bank(painting, 5, 1, dims=75, generator=g)  # all dimensions kept: exact distances
    queries = bank.patches[torch.tensor([7, 100, 250])] + 0.001 * torch.randn(3, 75, generator=g)
    match = nearest_patches(bank, queries)
    assert match.index[:, 0].tolist() == [7, 100, 250]


def test_usage_penalty_spreads_the_choice_over_more_patches():
    g = torch.Generator().manual_seed(4)
    painting = torch.rand(1, 1, 32, 32, generator=g)
    bank = patch_bank(painting, 4, 1, dims=16, generator=g)
    queries = bank.patches[:1].repeat(1280, 1) + 0.001 * torch.randn(1280, 16, generator=g)
    free = nearest_patches(bank, queries).index.unique().numel()
    penalised = nearest_patches(bank, queries, usage_penalty=2.0).index.unique().numel()
    assert free <= 2 and penalised >= 8  # each chunk of queries is pushed off the patches used before


def test_keep_previous_keeps_the_earlier_choice_when_it_is_nearly_as_good():
    g = torch.Generator().manual_seed(5)
    painting = torch.rand(1, 1, 20, 20, generator=g)
    bank = patch_bank(painting, 4, 1, dims=16, generator=g)
    queries = bank.patches[:10]
    prev = torch.arange(20, 30)[:, None]
    fresh = nearest_patches(bank, queries, previous=prev, keep_previous=0.0)
    assert fresh.index[:, 0].tolist() == list(range(10))
    kept = nearest_patches(bank, queries, previous=prev, keep_previous=1e9)
    assert kept.index[:, 0].tolist() == list(range(20, 30))


def test_aggregate_of_the_image_own_patches_is_the_image():
    image = torch.rand(1, 3, 37, 29)
    size, stride = 7, 3
    own = F.unfold(pad_to_grid(image, size, stride), size, stride=stride)[0].T
    assert torch.allclose(aggregate(image, own, size, stride), image, atol=1e-5)


def test_synthesis_paints_with_the_painting_colours_and_is_deterministic():
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 80), indexing="ij")
    photo = torch.stack([0.2 + 0.3 * xx, 0.3 + 0.2 * yy, 0.4 + 0.1 * xx * yy])[None]  # smooth: no edges
    stripes = torch.zeros(1, 3, 72, 72)
    stripes[:, 0, :, ::6] = 1.0  # red stripes on black: only red and black exist in the painting
    stripes[:, 0, :, 1::6] = 1.0
    first, _ = synthesize(photo, stripes, SMALL)
    again, _ = synthesize(photo, stripes, SMALL)
    assert first.shape == photo.shape and torch.equal(first, again)
    assert float(first[:, 1:].abs().max()) < 0.05  # no green or blue: the painting has none
    # texture: the result has the painting's strong vertical structure, not the photo's noise
    dx = (first[:, 0, :, 1:] - first[:, 0, :, :-1]).abs().mean()
    dy = (first[:, 0, 1:, :] - first[:, 0, :-1, :]).abs().mean()
    assert float(dx) > 2 * float(dy)


def test_synthesis_cancel_and_progress():
    from stylefuse.synthesis import SynthesisCancelled

    photo, painting = torch.rand(1, 1, 48, 48), torch.rand(1, 1, 48, 48)
    seen = []
    synthesize(photo, painting, SMALL, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (SMALL.steps, SMALL.steps) and len(seen) == SMALL.steps
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(SynthesisCancelled):
        synthesize(photo, painting, SMALL, cancel=cancel)


def test_synthesis_grey():
    photo = torch.from_numpy(np.linspace(0, 1, 50 * 60, dtype=np.float32).reshape(1, 1, 50, 60))
    out, _ = synthesize(photo, torch.rand(1, 1, 40, 40), SMALL)
    assert out.shape == photo.shape and float(out.min()) >= 0 and float(out.max()) <= 1


def test_synthesis_leaves_the_global_random_state_alone_and_reuses_banks_for_a_stack():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    photo, painting = torch.rand(1, 3, 40, 40), torch.rand(1, 3, 40, 40)
    torch.manual_seed(123)
    _, state = synthesize(photo, painting, SMALL)
    assert torch.equal(torch.rand(3), expected)
    assert state.banks and state.targets
    _, again = synthesize(photo * 0.9, painting, SMALL, state=state)
    assert all(again.banks[k] is state.banks[k] for k in state.banks)  # built once per stack
