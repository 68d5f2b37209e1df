"""FocusFusionGenerator: focus measure, receptive radius, zeros kept, export parity, tile safety."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylefuse.export import export_generator
from stylefuse.models import build_generator, generator_receptive_radius
from stylefuse.models.fusion_hybrid import (
    FocusFusionGenerator,
    box_mean,
    exposure_evidence,
    focus_features,
    laplacian_abs,
)
from stylefuse.pipeline import fuse
from stylefuse.registry import load_model


def _model(**kw) -> FocusFusionGenerator:
    torch.manual_seed(0)
    model = FocusFusionGenerator(**kw)
    with torch.no_grad():
        model.head.weight.normal_(0.0, 0.1)  # trained heads are far from their near-zero init
    return model.eval()


def test_focus_ops_match_their_plain_definitions():
    x = torch.rand(2, 2, 40, 37)
    k = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]).expand(2, 1, 3, 3)
    assert torch.allclose(laplacian_abs(x), F.conv2d(x, k, padding=1, groups=2).abs(), atol=1e-5)
    ref = F.avg_pool2d(x, 7, 1, 3, count_include_pad=True)
    assert torch.allclose(box_mean(x, 3), ref, atol=1e-5)


def test_the_sharper_input_has_positive_focus_contrast():
    g = torch.Generator().manual_seed(0)
    sharp = torch.rand(1, 1, 64, 64, generator=g)
    blurred = F.avg_pool2d(sharp, 5, 1, 2, count_include_pad=False)
    contrast, activity = focus_features(sharp, blurred, 3).unbind(1)
    assert float(contrast[..., 8:-8, 8:-8].min()) > 0.3
    assert float(focus_features(blurred, sharp, 3)[:, 0, 8:-8, 8:-8].max()) < -0.3
    flat = torch.full((1, 1, 32, 32), 0.5)
    # no texture: no preference (away from the array's edge, where the zero padding is: inside the
    # model that edge lies in the mirrored margin, edge_pad >= radius + 1 pixels outside the picture)
    assert float(focus_features(flat, flat, 3)[..., 4:-4, 4:-4].abs().max()) == 0.0
    assert float(activity.min()) >= 0.0


VARIANTS = [
    {},
    dict(widths=(8, 16), n_res=2, focus_radius=2),
    dict(focus_radius=5, focus_gain=20.0, focus_gate=True, two_scale=True),
    dict(focus_radius=5, focus_gain=20.0, focus_gate=True, gate_bias=3.0),
    dict(focus_radius=5, focus_gain=20.0, focus_gate=True, gate_bias=3.0, exposure_radius=9),
    dict(focus_radius=5, focus_gain=20.0, exposure_radius=7, exposure_smooth=24, exposure_ramp=(0.2, 0.4)),
    dict(focus_radius=5, focus_gain=20.0, two_scale=True, base_radius=15, residual_scale=0.0),
    dict(
        focus_radius=5, focus_gate=True, two_scale=True, base_radius=4, exposure_radius=3, exposure_head=True
    ),
    dict(focus_radius=3, focus_gain=20.0, guided_radius=4, guided_eps=1e-3, residual_scale=0.0),
]


@pytest.mark.parametrize("kw", VARIANTS)
def test_declared_radius_bounds_the_measured_one(kw):
    model = _model(**kw)
    declared = generator_receptive_radius(model)
    size = 2 * declared + 64
    x = torch.rand(1, 1, size, size, requires_grad=True)
    out = model(x, x.detach().flip(-1) * 0.5 + 0.25)
    c = size // 2
    out[0, :, c, c].sum().backward()
    hit = (x.grad[0].abs().sum(0) > 0).nonzero()
    measured = int((hit - c).abs().max())
    assert measured <= declared <= 1.5 * measured
    # the trunk's radius plus the focus measure's (Laplacian 1 + box r) or the exposure evidence's (box R)
    plain = build_generator(
        "fuse", channels=1, widths=tuple(model.config["widths"]), n_res=model.config["n_res"]
    )
    context = (
        max(model.focus_radius + 1, model.exposure_radius + model.exposure_smooth, model.base_radius)
        + 2 * model.guided_radius
    )
    assert declared == generator_receptive_radius(plain) + context


@pytest.mark.parametrize("kw", VARIANTS)
def test_exact_zeros_where_both_inputs_are_zero(kw):
    model = _model(**kw)
    a, b = torch.rand(1, 1, 70, 90), torch.rand(1, 1, 70, 90)
    a[..., 20:40, 30:60] = 0.0
    b[..., 20:40, 30:60] = 0.0
    with torch.inference_mode():
        out = model(a, b)
    assert out.shape == a.shape and bool((out[..., 20:40, 30:60] == 0).all())
    assert float(out[..., :20, :].min()) >= 0.0 and float(out.max()) <= 1.0


@pytest.mark.parametrize("kw", VARIANTS[::2] + VARIANTS[3:4] + VARIANTS[5:])
def test_export_parity_and_rebuild_from_card(tmp_path, kw):
    model = _model(**kw)
    folder = export_generator(model, tmp_path / "focus-test", "focus-test")
    card = json.loads((folder / "card.json").read_text())
    assert card["architecture"]["class"] == "FocusFusionGenerator"
    assert card["export_parity_max_abs"] <= 1e-5
    assert card["receptive_radius"] == generator_receptive_radius(model)
    rebuilt = build_generator("fuse", **card["architecture"]["config"])
    assert isinstance(rebuilt, FocusFusionGenerator)
    rebuilt.load_state_dict(model.state_dict())  # the card's config rebuilds the same network
    scripted = torch.jit.load(str(folder / "model.pt"))
    a, b = torch.rand(1, 1, 45, 61), torch.rand(1, 1, 45, 61)
    with torch.inference_mode():
        assert torch.allclose(scripted(a, b), model(a, b), atol=1e-6)


@pytest.mark.parametrize("kw", VARIANTS[::2] + VARIANTS[3:4] + VARIANTS[5:])
def test_tiled_fusion_matches_untiled(tmp_path, monkeypatch, kw):
    export_generator(_model(**kw), tmp_path / "focus-tiles", "focus-tiles")
    monkeypatch.setenv("STYLEFUSE_MODELS", str(tmp_path))
    rng = np.random.default_rng(0)
    a = rng.random((400, 380), dtype=np.float32)
    b = np.ascontiguousarray(a[::-1]) * 0.5
    model = load_model("focus-tiles", task="fuse")
    untiled = fuse(a, b, model=model, tile_size=None)
    tiled = fuse(a, b, model=model, tile_size=128)
    assert np.abs(tiled - untiled).max() <= 1e-4


def test_focus_gain_starts_from_the_classical_rule():
    """With the head silent, a focus_gain model picks the sharp input of a multi-focus pair."""
    from stylefuse.data.synthetic import focus_pair
    from stylefuse.losses.image_ops import psnr

    torch.manual_seed(0)
    model = FocusFusionGenerator(focus_radius=5, focus_gain=20.0).eval()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    g = torch.Generator().manual_seed(1)
    photo = F.avg_pool2d(torch.rand(1, 1, 130, 160, generator=g), 3, 1, 1, count_include_pad=False)[0]
    mask = torch.zeros(1, 130, 160)
    mask[..., :80] = 1.0
    a, b = (t[None] for t in focus_pair(photo, mask, 3.0))
    with torch.inference_mode():
        fused = model(a, b)
    assert float(psnr(fused, photo[None])) > float(psnr((a + b) / 2, photo[None])) + 10.0
    assert "focus_gain" in dict(model.named_parameters())  # learned, starting at the rule
    assert "focus_gain" not in FocusFusionGenerator().state_dict()  # without it: old checkpoints still load


def test_two_scale_with_equal_weights_is_the_plain_blend():
    """Base and detail weights equal: the two-scale blend is the one-scale blend (base cancels)."""
    torch.manual_seed(0)
    model = FocusFusionGenerator(two_scale=True, focus_gate=True).eval()
    plain = FocusFusionGenerator(focus_gate=True).eval()
    with torch.no_grad():
        for m in (model, plain):
            m.head.weight.zero_()
            m.head.bias.zero_()  # every weight 0.5, residual 0
    a, b = torch.rand(1, 1, 64, 72), torch.rand(1, 1, 64, 72)
    with torch.inference_mode():
        assert torch.allclose(model(a, b), plain(a, b), atol=1e-6)
        assert torch.allclose(plain(a, b), (a + b) / 2, atol=1e-6)


def _photo(seed: int, h: int = 120, w: int = 150) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.avg_pool2d(torch.rand(1, 1, h, w, generator=g), 5, 1, 2, count_include_pad=False)[0]


def test_exposure_evidence_tells_an_exposure_pair_from_focus_and_modality_pairs():
    from stylefuse.data.synthetic import exposure_pair, focus_pair

    photo = _photo(3)
    under, over = exposure_pair(photo, 2.0, 2.0, 2.2)
    mask = torch.zeros(1, 120, 150)
    mask[..., :70] = 1.0
    sharp_left, sharp_right = focus_pair(photo, mask, 3.0)
    other = _photo(4) * 0.5 + 0.4  # another "modality": unrelated structure, other brightness
    inner = (..., slice(10, -10), slice(10, -10))
    e_exposure = float(exposure_evidence(under[None], over[None], 7)[inner].mean())
    e_focus = float(exposure_evidence(sharp_left[None], sharp_right[None], 7)[inner].mean())
    e_modality = float(exposure_evidence(photo[None], other[None], 7)[inner].mean())
    assert e_exposure > 0.5 and e_focus < 0.1 and e_modality < 0.25, (e_exposure, e_focus, e_modality)
    e = exposure_evidence(under[None], over[None], 7)
    assert float(e.min()) >= 0.0 and float(e.max()) <= 1.0


def test_exposure_evidence_turns_the_focus_rule_off_on_exposure_pairs():
    """Head silent: with the evidence, an exposure pair fuses near its truth (the rule alone picks
    the over-exposed copy), and a multi-focus pair still gets the sharp input."""
    from stylefuse.data.synthetic import exposure_pair, focus_pair
    from stylefuse.losses.image_ops import psnr

    def silent(**kw):
        torch.manual_seed(0)
        model = FocusFusionGenerator(focus_radius=5, focus_gain=20.0, **kw).eval()
        with torch.no_grad():
            model.head.weight.zero_()
            model.head.bias.zero_()
        return model

    photo = _photo(5)
    under, over = (t[None] for t in exposure_pair(photo, 2.0, 2.0, 2.2))
    with torch.inference_mode():
        with_evidence = float(psnr(silent(exposure_radius=7)(under, over), photo[None]))
        rule_only = float(psnr(silent()(under, over), photo[None]))
    assert with_evidence > rule_only + 3.0, (with_evidence, rule_only)
    mask = torch.zeros(1, 120, 150)
    mask[..., :70] = 1.0
    a, b = (t[None] for t in focus_pair(photo, mask, 3.0))
    with torch.inference_mode():
        assert (
            float(psnr(silent(exposure_radius=7)(a, b), photo[None]))
            > float(psnr((a + b) / 2, photo[None])) + 6.0
        )
