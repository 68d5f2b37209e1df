"""Issue 17's designs against fusion drift: tone-curve exposure families, saliency targets, convex bands."""

import pytest
import torch

from stylefuse.data.synthetic import SyntheticPairBatches, synthetic_pair
from stylefuse.data.tone_curves import (
    EXPOSURE_FAMILIES,
    degrade,
    exposure_family_pair,
    parse_families,
    s_response,
)
from stylefuse.losses.fusion import FusionLoss, saliency_share
from stylefuse.models.fusion_hybrid import FocusFusionGenerator
from stylefuse.training.config import TrainConfig


def _photo(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.interpolate(
        torch.rand(1, 3, 12, 12, generator=g), size=(48, 48), mode="bilinear"
    )[0]


@pytest.mark.parametrize("family", EXPOSURE_FAMILIES)
def test_every_family_gives_a_darker_and_a_brighter_copy(family):
    photo = _photo()
    for seed in range(5):
        under, over = exposure_family_pair(photo, family, torch.Generator().manual_seed(seed))
        assert under.shape == over.shape == photo.shape
        assert float(under.mean()) < float(photo.mean()) < float(over.mean())
        assert float(under.min()) >= 0.0 and float(over.max()) <= 1.0


def test_s_response_keeps_the_ends_and_the_middle():
    v = torch.tensor([0.0, 0.5, 1.0, 0.25])
    out = s_response(v, 4.0)
    assert torch.allclose(out[:3], v[:3], atol=1e-6) and float(out[3]) < 0.25  # steeper in the middle


def test_degrade_is_seeded_and_quantised():
    x = _photo()
    a = degrade(x, torch.Generator().manual_seed(3))
    b = degrade(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and torch.allclose(a * 255, (a * 255).round(), atol=1e-4)
    assert 0 < float((a - x).abs().mean()) < 0.05


def test_families_are_parsed_and_checked():
    assert parse_families("linear, gamma-gain") == ("linear", "gamma-gain")
    with pytest.raises(ValueError):
        parse_families("linear,banana")


def test_linear_alone_keeps_the_original_draws_and_families_change_them():
    photos = [_photo(0), _photo(1)]
    old = SyntheticPairBatches(photos, 32, 6, seed=0)(5)
    same = SyntheticPairBatches(photos, 32, 6, seed=0, families=("linear",))(5)
    assert all(torch.equal(x, y) for x, y in zip(old, same, strict=True))
    new = SyntheticPairBatches(photos, 32, 6, seed=0, families=("gamma-gain",), degrade=True)(5)
    assert not torch.equal(old[0], new[0])


def test_exposure_pairs_of_a_family_bracket_their_truth():
    a, b, truth = synthetic_pair(_photo(), torch.Generator().manual_seed(1), "exposure", ("gamma-gain",))
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    inside = ((truth >= lo - 0.02) & (truth <= hi + 0.02)).float().mean()
    assert float(inside) > 0.9


def test_saliency_share_follows_the_textured_source():
    assert float(saliency_share(torch.ones(1, 1, 16, 16), torch.zeros(1, 1, 16, 16)).min()) > 0.99
    a = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))  # texture everywhere
    b = torch.full_like(a, 0.5)  # flat
    loss = FusionLoss(targets="saliency")
    # the target is (nearly) the textured source: copying it costs little, the max pick a lot
    copy_a = loss(a.clone(), a, b)["intensity"]
    maximum = loss(torch.maximum(a, b), a, b)["intensity"]
    assert float(copy_a) < 0.05 < float(maximum)


def test_saliency_targets_never_ask_for_more_than_the_brighter_source():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 1, 40, 40, generator=g), torch.rand(2, 1, 40, 40, generator=g) * 0.5
    fused = torch.maximum(a, b).requires_grad_(True)
    intensity_only = dict(intensity_weight=1.0, gradient_weight=0.0, ssim_weight=0.0)
    FusionLoss(targets="saliency", **intensity_only)(fused, a, b)["total"].backward()
    # at max(a, b) the target pulls down where the sources differ, never up (the max target: zero loss)
    assert bool((fused.grad >= 0).all()) and float(fused.grad.sum()) > 0
    assert float(FusionLoss(targets="max", **intensity_only)(fused, a, b)["total"]) == 0.0
    with pytest.raises(ValueError):
        FusionLoss(targets="brightest")


def test_two_bands_without_residual_stay_between_the_sources():
    torch.manual_seed(0)
    model = FocusFusionGenerator(focus_radius=3, two_scale=True, base_radius=15, residual_scale=0.0).eval()
    with torch.no_grad():
        model.head.weight.normal_(0.0, 0.3)
    a, b = torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64)
    with torch.inference_mode():
        out = model(a, b)
    # per band convex: the output stays within the sources' range of the neighbourhood, never off to one side
    assert float((out - 0.5 * (a + b)).mean().abs()) < 0.05
    equal = FocusFusionGenerator(focus_radius=3, two_scale=True, base_radius=15, residual_scale=0.0).eval()
    with torch.inference_mode():
        assert torch.allclose(equal(a, a), a, atol=1e-5)  # same input twice: exactly that input


def test_exposure_head_replaces_the_forced_average_on_exposure_pairs():
    torch.manual_seed(0)
    kw = dict(
        focus_radius=3, exposure_radius=3, exposure_smooth=8, exposure_ramp=(0.0, 0.01), residual_scale=0.0
    )
    model = FocusFusionGenerator(exposure_head=True, **kw).eval()
    k = 1  # head channels: logit, then the exposure weight
    with torch.no_grad():
        model.head.bias[k] = 4.0  # the exposure weight map says "take the first input"
    x = torch.rand(1, 1, 48, 48) * 0.5
    under, over = x * 0.5, (x * 1.8).clamp(0, 1)
    with torch.inference_mode():
        out = model(under, over)
        plain = FocusFusionGenerator(**kw).eval()(under, over)
    assert float((plain - 0.5 * (under + over)).abs().mean()) < 0.01  # the old rule: the average
    assert float((out - under).abs().mean()) < float((out - over).abs().mean())  # the head decides
    with pytest.raises(ValueError):
        FocusFusionGenerator(exposure_head=True)  # needs the exposure evidence


def test_config_passes_the_designs_to_the_generator():
    cfg = TrainConfig(
        task="fuse",
        pairs=["a:b"],
        fusion_arch="focus",
        two_scale=True,
        base_radius=15,
        exposure_radius=7,
        exposure_head=True,
        residual_scale=0.0,
        loss_targets="saliency",
        exposure_families="linear,s-curve",
    ).validate()
    gen = cfg.generator_config()
    assert gen["base_radius"] == 15 and gen["exposure_head"] and gen["residual_scale"] == 0.0
    assert (
        "residual_scale"
        not in TrainConfig(task="fuse", pairs=["a:b"], fusion_arch="focus").generator_config()
    )


def test_guided_weights_are_convex_and_follow_each_source():
    torch.manual_seed(0)
    model = FocusFusionGenerator(focus_radius=3, guided_radius=4, guided_eps=1e-3, residual_scale=0.0).eval()
    a, b = torch.rand(1, 1, 40, 40), torch.rand(1, 1, 40, 40)
    w = torch.rand(1, 1, 40, 40)
    refined = model._guided_weights(w, a, b)
    assert float(refined.min()) >= 0.0 and float(refined.max()) <= 1.0
    # a constant map stays constant whatever the guides (the filter's means over existing pixels only)
    flat = model._guided_weights(torch.full_like(w, 0.3), a, b)
    assert torch.allclose(flat, torch.full_like(w, 0.3), atol=1e-3)
    with pytest.raises(ValueError):
        FocusFusionGenerator(guided_radius=2, guided_eps=0.0)
