"""The patch-matching (MRF) texture term (losses/mrf.py), its wiring, and per-style synthesis targets."""

import numpy as np
import pytest
import torch
from PIL import Image

from stylefuse.data import PairedStyleBatches
from stylefuse.data.sources import load_target_pairs
from stylefuse.losses.mrf import PatchMRFLoss, StyleWithMRFLoss, nearest_rows
from stylefuse.training.config import TrainConfig
from stylefuse.training.steps import build_task_loss


def _stripes(n=1, size=48, period=6.0, vertical=False):
    x = torch.arange(size).float()
    s = 0.5 + 0.4 * torch.sin(2 * torch.pi * x / period)
    s = s.view(1, 1, size, 1) if vertical else s.view(1, 1, 1, size)
    return s.expand(n, 3, size, size).contiguous()


@pytest.mark.parametrize("cosine", [False, True])
def test_nearest_rows_is_the_exact_nearest_neighbour_in_every_chunk(cosine):
    gen = torch.Generator().manual_seed(1)
    queries, bank = torch.randn(301, 12, generator=gen), torch.randn(97, 12, generator=gen)
    if cosine:
        q, b = torch.nn.functional.normalize(queries, dim=1), torch.nn.functional.normalize(bank, dim=1)
        expected = (q @ b.T).argmax(1)
    else:
        expected = torch.cdist(queries, bank).argmin(1)
    assert torch.equal(nearest_rows(queries, bank, cosine, chunk=64), expected)


@pytest.mark.parametrize("match", ["l2", "cosine"])
def test_zero_on_the_painting_itself_and_large_on_a_flat_image(match):
    style = _stripes(2) + 0.05 * torch.rand(2, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    loss = PatchMRFLoss(5, scales=(1.0,), highpass=2.0, match=match, stride=1, bank_stride=1)
    assert float(loss(style, style)) < 1e-10  # every output patch is in the bank
    flat = torch.full_like(style, 0.5) + 1e-3 * torch.rand_like(style)
    assert float(loss(flat, style)) > 1e-3


def test_not_fixed_in_position_and_only_texture_counts():
    style = _stripes(1, 48)
    shifted = torch.roll(style, 3, dims=3)  # the same strokes elsewhere: an MRF term does not mind
    brighter = style + 0.2  # the tone belongs to the palette and content terms (high-pass)
    crossed = _stripes(1, 48, vertical=True)  # strokes the painting does not have
    raw = PatchMRFLoss(5, scales=(1.0,), highpass=0.0, match="l2", stride=1, bank_stride=1)
    loss = PatchMRFLoss(5, scales=(1.0,), highpass=2.0, match="l2", stride=1, bank_stride=1)
    assert float(raw(shifted, style)) < 1e-10
    assert float(loss(brighter, style)) < 1e-10
    assert float(loss(crossed, style)) > 1e-3 and float(raw(crossed, style)) > 1e-3


def test_descent_paints_the_strokes_into_a_flat_output():
    style = _stripes(1, 40)
    noise = torch.rand(style.shape, generator=torch.Generator().manual_seed(0))
    out = (torch.full_like(style, 0.5) + 0.01 * noise).requires_grad_(True)
    loss = PatchMRFLoss(5, scales=(0.5, 1.0), highpass=2.0, match="cosine", stride=1, bank_stride=2)
    opt = torch.optim.Adam([out], lr=0.02)
    first = float(loss(out, style))
    for _ in range(60):
        opt.zero_grad()
        value = loss(out, style)
        value.backward()
        opt.step()
    assert float(loss(out, style)) < 0.4 * first
    # horizontal detail (the stripes' direction) appears, vertical detail does not
    dx = (out[..., :, 1:] - out[..., :, :-1]).abs().mean()
    dy = (out[..., 1:, :] - out[..., :-1, :]).abs().mean()
    assert dx > 3 * dy and dx > 0.02


def test_rows_search_their_own_reference_unless_pooled():
    a, b = _stripes(1, 40), _stripes(1, 40, vertical=True)
    style = torch.cat([a, b])
    out = torch.cat([b, a])  # each row carries the OTHER row's strokes
    own = PatchMRFLoss(5, scales=(1.0,), highpass=2.0, match="l2", stride=1, bank_stride=1)
    pooled = PatchMRFLoss(5, scales=(1.0,), highpass=2.0, match="l2", stride=1, bank_stride=1, pooled=True)
    assert float(pooled(out, style)) < 1e-6 < float(own(out, style))


def test_gradient_reaches_the_output_only():
    out = torch.rand(2, 3, 32, 32, requires_grad=True)
    style = _stripes(2, 32).requires_grad_(True)
    PatchMRFLoss(5)(out, style).backward()
    assert out.grad.abs().sum() > 0 and style.grad is None


def test_build_task_loss_adds_the_mrf_term_only_when_weighted():
    photo, style = torch.rand(2, 3, 32, 32), _stripes(2, 32)
    plain = build_task_loss(TrainConfig(style_weight=0.0))
    assert not isinstance(plain, StyleWithMRFLoss)
    cfg = TrainConfig(style_weight=0.0, mrf_weight=3.0, mrf_patch=5, mrf_match="l2", mrf_pooled=True)
    loss = build_task_loss(cfg)
    assert isinstance(loss, StyleWithMRFLoss) and loss.mrf.pooled and loss.mrf.patch == 5
    torch.manual_seed(0)  # the colour term projects on random directions
    terms = loss(photo, photo, style)
    torch.manual_seed(0)
    base = plain(photo, photo, style)
    assert torch.allclose(terms["total"], base["total"] + 3.0 * terms["mrf"])


def test_bad_mrf_options_are_user_errors():
    from stylefuse.errors import UserError

    for bad in (dict(mrf_weight=-1.0), dict(mrf_match="vgg"), dict(mrf_patch=0)):
        with pytest.raises(UserError):
            TrainConfig(style=["s.png"], content=["c.png"], **bad).validate()


def _png(path, rgb, size=(40, 36)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), rgb, np.uint8)).save(path)
    return path


def test_per_style_targets_train_each_target_with_its_own_painting(tmp_path):
    styles = [_png(tmp_path / "s" / "red.png", (250, 0, 0)), _png(tmp_path / "s" / "blue.png", (0, 0, 250))]
    photos = [_png(tmp_path / "c" / f"p{i}.png", (100, 100, 100)) for i in range(3)]
    _png(tmp_path / "t" / "red" / "p0.png", (200, 10, 10))
    _png(tmp_path / "t" / "blue" / "p0.png", (10, 10, 200))
    _png(tmp_path / "t" / "blue" / "p1.png", (10, 10, 200))
    triples, missing = load_target_pairs(photos, tmp_path / "t", styles)
    assert missing == 1 and sorted(t[2] for t in triples) == [0, 1, 1]
    paintings = [torch.tensor([1.0, 0, 0]).view(3, 1, 1).expand(3, 40, 40), torch.zeros(3, 40, 40)]
    paintings[1][2] = 1.0
    batches = PairedStyleBatches(triples, paintings, 32, 8, 0)
    for step in range(3):
        _, style, target, _ = batches(step)
        # the target's dominant channel is its painting's: red targets with red crops, blue with blue
        assert torch.equal(style.mean((2, 3)).argmax(1), target.mean((2, 3)).argmax(1))
    # one painting, or no per-style folders: the flat layout as before
    pairs, _ = load_target_pairs(photos, tmp_path / "t" / "blue", styles[:1])
    assert len(pairs) == 2 and all(len(p) == 2 for p in pairs)
