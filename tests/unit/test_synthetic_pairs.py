"""Synthetic fusion pairs with a ground truth: the exposure maths, the focus masks, exact resume."""

import pytest
import torch

from stylefuse.data import PairBatches
from stylefuse.data.synthetic import (
    BENCHMARK_PHOTOS,
    MixedFusionBatches,
    SyntheticPairBatches,
    exposure_pair,
    focus_pair,
    from_linear,
    gaussian_blur,
    random_region,
    skimage_photos,
    synthetic_pair,
    to_linear,
)
from stylefuse.errors import UserError


def _photo(seed: int = 0, size: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return gaussian_blur(torch.rand(3, size, size, generator=g), 1.0).clamp(0.0, 1.0)


@pytest.mark.parametrize("ev_under,ev_over,gamma", [(1.0, 1.0, 2.2), (2.0, 3.0, 2.0), (2.7, 1.3, 2.4)])
def test_exposure_is_invertible_where_not_clipped(ev_under, ev_over, gamma):
    photo = _photo()
    under, over = exposure_pair(photo, ev_under, ev_over, gamma)
    assert torch.allclose(from_linear(to_linear(under, gamma) * 2.0**ev_under, gamma), photo, atol=1e-5)
    unclipped = to_linear(photo, gamma) * 2.0**ev_over < 1.0
    back = from_linear(to_linear(over, gamma) * 2.0**-ev_over, gamma)
    assert torch.allclose(back[unclipped], photo[unclipped], atol=1e-5)
    assert bool((over[~unclipped] == 1.0).all()) and bool((~unclipped).any())  # clipped at white
    assert bool((under <= photo + 1e-7).all()) and bool((over >= photo - 1e-7).all())


def test_focus_pair_regions_are_complementary():
    photo = _photo(1)
    for seed in range(12):
        mask = random_region(64, 48, torch.Generator().manual_seed(seed))
        assert mask.shape == (1, 64, 48)
        assert set(mask.unique().tolist()) == {0.0, 1.0}  # binary, never all one region
        a, b = focus_pair(photo[:, :, :48], mask, 2.0)
        blurred = gaussian_blur(photo[:, :, :48], 2.0)
        inside = mask.expand_as(a) > 0
        assert torch.equal(a[inside], photo[:, :, :48][inside]) and torch.equal(b[inside], blurred[inside])
        assert torch.equal(a[~inside], blurred[~inside]) and torch.equal(
            b[~inside], photo[:, :, :48][~inside]
        )


def test_every_focus_pixel_is_sharp_in_one_input():
    photo = _photo(2)
    for seed in range(6):
        a, b, truth = synthetic_pair(photo, torch.Generator().manual_seed(seed), kind="focus")
        # one of the two is the (8-bit rounded) truth at every pixel
        err = torch.minimum((a - truth).abs(), (b - truth).abs())
        assert float(err.max()) <= 0.5 / 255 + 1e-6
        assert float((a - b).abs().max()) > 0.02  # and the other one really is blurred somewhere


def test_exposure_pair_brackets_the_truth():
    photo = _photo(3)
    a, b, truth = synthetic_pair(photo, torch.Generator().manual_seed(5), kind="exposure")
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    assert bool((lo <= truth + 1.0 / 255).all()) and bool((hi >= truth - 1.0 / 255).all())
    assert float((hi - lo).mean()) > 0.05


def test_batches_are_a_pure_function_of_seed_step_rank():
    photos = [_photo(i, 96) for i in range(3)]
    first = SyntheticPairBatches(photos, 48, 4, seed=7)
    again = SyntheticPairBatches(photos, 48, 4, seed=7)
    for x, y in zip(first(11, 0), again(11, 0), strict=True):
        assert torch.equal(x, y)
    assert not torch.equal(first(11, 0)[0], first(12, 0)[0])
    assert not torch.equal(first(11, 0)[0], first(11, 1)[0])
    a, b, truth = first(3)
    assert a.shape == b.shape == truth.shape == (4, 1, 48, 48)
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0


def test_mixed_batches_put_real_pairs_first_and_mark_the_synthetic_rows():
    photos = [_photo(i, 96) for i in range(2)]
    pairs = [(torch.rand(1, 80, 80), torch.rand(1, 80, 80)) for _ in range(3)]
    real = PairBatches(pairs, 48, 2, seed=1)
    mixed = MixedFusionBatches(real, SyntheticPairBatches(photos, 48, 3, seed=1), n_real=2)
    a, b, truth, rows = mixed(5)
    assert rows.tolist() == [False, False, True, True, True]
    ra, rb = real(5)
    assert torch.equal(a[:2], ra) and torch.equal(b[:2], rb)
    assert float(truth[:2].abs().max()) == 0.0 and float(truth[2:].max()) > 0.0
    assert all(torch.equal(p, q) for p, q in zip(mixed(5), (a, b, truth, rows), strict=True))


def test_benchmark_photos_are_refused():
    for name in ("astronaut", "camera", "moon"):
        assert name in BENCHMARK_PHOTOS
        with pytest.raises(UserError, match="benchmark"):
            skimage_photos(["brick", name])


def test_skimage_photos_load_offline():
    pytest.importorskip("skimage")
    (brick,) = skimage_photos(["brick"])
    assert (
        brick.shape[0] == 1
        and brick.dtype == torch.float32
        and 0.0 <= float(brick.min()) < float(brick.max()) <= 1.0
    )
