"""The generator's declared receptive radius and spatial multiple hold, measured by perturbation."""

import pytest
import torch

from stylefuse.models import FusionGenerator, StyleGenerator, generator_receptive_radius
from stylefuse.models.generator import FOLD_BORDER, head_conv, head_output


def _randomise(model: torch.nn.Module) -> torch.nn.Module:
    # Trained heads are far from their near-zero init; give the head some size so influence shows.
    torch.manual_seed(0)
    with torch.no_grad():
        model.head.weight.normal_(0.0, 0.1)
    return model.eval()


def _measured_radius(model: torch.nn.Module, size: int) -> int:
    """Furthest input pixel (Chebyshev distance) whose change moves the centre output pixel."""
    x = torch.rand(1, model.channels, size, size, requires_grad=True)
    if model.task == "style":
        out = model.forward_code(x, torch.randn(1, model.config["code_dim"]))
    else:
        out = model(x, x.detach().flip(-1) * 0.5 + 0.25)
    c = size // 2
    out[0, :, c, c].sum().backward()
    hit = (x.grad[0].abs().sum(0) > 0).nonzero()
    return int((hit - c).abs().max())


@pytest.mark.parametrize(
    "build",
    [lambda: StyleGenerator(), lambda: FusionGenerator(), lambda: StyleGenerator(widths=(8, 16), n_res=2)],
)
def test_declared_radius_bounds_the_measured_one(build):
    model = _randomise(build())
    declared = generator_receptive_radius(model)
    measured = _measured_radius(model, 2 * declared + 64)
    assert measured <= declared
    # A loose bound wastes tile margins: keep it within 1.5x of the truth.
    assert declared <= 1.5 * measured


def test_output_shape_for_odd_and_tiny_sizes():
    model = _randomise(StyleGenerator()).eval()
    code = torch.randn(1, 64)
    with torch.inference_mode():
        for h, w in [(1, 1), (7, 300), (257, 311)]:
            assert model.forward_code(torch.rand(2, 3, h, w), code).shape == (2, 3, h, w)
            fused = _randomise(FusionGenerator())(torch.rand(1, 1, h, w), torch.rand(1, 1, h, w))
            assert fused.shape == (1, 1, h, w)


def test_borders_are_not_darkened_by_padding():
    """On a flat grey image the mirrored edge padding keeps the border row's level much closer to the
    interior's than zero padding alone does (the dark frame an earlier generator learned)."""
    torch.manual_seed(0)
    padded = StyleGenerator().eval()
    unpadded = StyleGenerator(edge_pad=0).eval()
    unpadded.load_state_dict(padded.state_dict())
    x = torch.full((1, 3, 96, 96), 0.5)

    def border_offset(model: StyleGenerator) -> float:
        with torch.inference_mode():
            out = model.forward_code(x, torch.zeros(1, 64))
        return abs(float(out[..., 0, :].mean() - out[..., 40:56, 40:56].mean()))

    assert border_offset(padded) < 0.5 * border_offset(unpadded)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"channels": 1, "edge_pad": 0},
        {"widths": (8, 16), "n_res": 2, "full": 4, "edge_pad": 5},
        {"edge_pad": FOLD_BORDER},
        {"widths": (8, 16, 24, 32), "n_res": 1, "edge_pad": 6},
    ],
)
def test_inference_head_is_the_training_head(config):
    """At inference the head runs on a half-resolution grid (models/generator.py head_output) and the
    last upsampling is folded into its conv when the edge padding covers FOLD_BORDER; it must be the
    same function as the training formulation, borders and odd sizes included, eager and TorchScript
    alike (the shipped models were re-exported on this promise)."""
    torch.manual_seed(0)
    model = StyleGenerator(**config)
    with torch.no_grad():  # sizes that keep the output off the sigmoid's flat ends, so differences show
        for param in model.parameters():
            param.normal_(0.0, 0.05)
        model.head.weight.normal_(0.0, 0.1)
    code = torch.randn(1, model.config["code_dim"])
    scripted = torch.jit.script(model.eval())
    for h, w in [(1, 1), (7, 13), (64, 64), (130, 97)]:
        x = torch.rand(2, model.channels, h, w)
        with torch.no_grad():
            reference = model.train().forward_code(x, code)
            model.eval()
            fast = model.forward_code(x, code)
        with torch.inference_mode():
            script = scripted.forward_code(x, code)
        assert fast.shape == script.shape == reference.shape == (2, model.channels, h, w)
        assert (fast - reference).abs().max() <= 1e-5
        assert (script - reference).abs().max() <= 1e-5


def test_dual_grid_head_is_the_full_resolution_conv():
    """The half-resolution convs of `head_output` against the plain full-resolution head conv, on
    random features (not a trained trunk's) and inputs, every pixel including the borders."""
    torch.manual_seed(0)
    weight, bias = torch.randn(3, 11, 3, 3), torch.randn(3)
    feats_half = torch.rand(2, 32, 10, 13).contiguous(memory_format=torch.channels_last)
    x = torch.rand(2, 3, 20, 26).contiguous(memory_format=torch.channels_last)
    eps = 1.0 / 512.0
    full = torch.sigmoid(
        torch.logit(x.clamp(eps, 1 - eps))
        + head_conv(weight, bias, torch.nn.functional.pixel_shuffle(feats_half, 2), x)
    )
    assert (head_output(weight, bias, feats_half, x, eps, 0, 0, 20, 26) - full).abs().max() <= 1e-5
    assert (
        head_output(weight, bias, feats_half, x, eps, 3, 2, 15, 21) - full[..., 3:18, 2:23]
    ).abs().max() <= 1e-5


def test_flop_count_is_the_same_in_eval_mode():
    """The card's GFLOP/MP counts the training formulation: the inference rearrangements (functional
    convs, unseen by module hooks) do the same multiply-adds; the model's mode is left as it was."""
    from stylefuse.models import gflop_per_megapixel

    model = StyleGenerator()
    trained = gflop_per_megapixel(model.train())
    assert gflop_per_megapixel(model.eval()) == trained and not model.training
