"""Style-training pieces: the texture term, palette-mapped content crops, painting scale."""

import torch

from stylefuse.data import StyleBatches
from stylefuse.losses import StyleTransferLoss
from stylefuse.pipeline.palette import quantiles
from stylefuse.training.loop import fit_long_side


def _stripes(n=2, size=64, period=6.0):
    x = torch.arange(size).float()
    s = 0.5 + 0.4 * torch.sin(2 * torch.pi * x / period)
    return s.view(1, 1, 1, size).expand(n, 3, size, size).contiguous()


def test_texture_term_prefers_the_styles_texture_and_ignores_colour():
    loss = StyleTransferLoss(texture_weight=1.0)
    style = _stripes()
    smooth = torch.full_like(style, 0.5) + 0.01 * torch.rand_like(style)
    recoloured = 0.3 * style + 0.1  # same texture, other colours: per-channel standardised away
    t_style = loss(style, smooth, style)["texture"]
    t_recol = loss(recoloured, smooth, style)["texture"]
    t_smooth = loss(smooth, smooth, style)["texture"]
    assert t_style < 1e-4 and t_recol < 1e-3
    assert t_smooth > 0.3


def test_texture_term_has_gradients_and_is_off_at_weight_zero():
    out = torch.rand(2, 3, 48, 48, requires_grad=True)
    terms = StyleTransferLoss(texture_weight=2.0)(out, torch.rand(2, 3, 48, 48), _stripes(2, 48))
    terms["total"].backward()
    assert out.grad.abs().sum() > 0
    off = StyleTransferLoss(texture_weight=0.0)(out.detach(), torch.rand(2, 3, 48, 48), _stripes(2, 48))
    assert float(off["texture"]) == 0.0


def test_palette_batches_take_the_paintings_colours():
    gen = torch.Generator().manual_seed(0)
    content = torch.rand(3, 80, 90, generator=gen) * 0.3  # dark photo
    style = torch.stack(
        [torch.full((70, 70), 0.9), torch.full((70, 70), 0.5), torch.rand(70, 70, generator=gen)]
    )
    x, _ = StyleBatches([content], [style], 32, 4, seed=1, palette=True)(0)
    plain, _ = StyleBatches([content], [style], 32, 4, seed=1, palette=False)(0)
    assert abs(float(x[:, 0].mean()) - 0.9) < 0.02 and abs(float(x[:, 1].mean()) - 0.5) < 0.02
    assert float(plain.max()) <= 0.31
    q = quantiles(style.permute(1, 2, 0).numpy())
    assert q.shape == (3, 256)


def test_paintings_are_downscaled_to_the_style_side_only():
    big = torch.rand(3, 1242, 984)
    assert tuple(fit_long_side(big, 512).shape) == (3, 512, 406)
    small = torch.rand(3, 300, 200)
    assert fit_long_side(small, 512) is small
    assert fit_long_side(big, 0) is big
