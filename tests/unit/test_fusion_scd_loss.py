"""The SCD term of FusionLoss is the benchmark's SCD metric, per image, and training can lower it."""

import numpy as np
import torch

from stylefuse.losses import FusionLoss
from stylefuse.losses.fusion import correlation
from stylefuse.metrics import scd


def test_the_scd_term_is_two_minus_the_metric():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 1, 48, 40, generator=g), torch.rand(3, 1, 48, 40, generator=g)
    fused = torch.maximum(a, b) * 0.7 + 0.3 * b
    terms = FusionLoss(scd_weight=1.0)(fused, a, b)
    metric = np.mean([scd(fused[i, 0].numpy(), a[i, 0].numpy(), b[i, 0].numpy()) for i in range(3)])
    assert abs(float(terms["scd"]) - (2.0 - metric)) < 1e-4
    assert abs(float(correlation(a, a)[0]) - 1.0) < 1e-5 and abs(float(correlation(a, -a)[1]) + 1.0) < 1e-5


def test_without_a_weight_there_is_no_scd_term():
    a, b = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    assert "scd" not in FusionLoss()(a, a, b)


def test_gradient_steps_on_the_scd_term_raise_the_metric():
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(1, 1, 32, 32, generator=g), torch.rand(1, 1, 32, 32, generator=g)
    fused = torch.maximum(a, b).clone().requires_grad_(True)
    start = scd(fused.detach()[0, 0].numpy(), a[0, 0].numpy(), b[0, 0].numpy())
    loss = FusionLoss(intensity_weight=0.0, gradient_weight=0.0, ssim_weight=0.0, scd_weight=1.0)
    opt = torch.optim.SGD([fused], lr=50.0)
    for _ in range(20):
        opt.zero_grad()
        loss(fused, a, b)["total"].backward()
        opt.step()
    assert scd(fused.detach()[0, 0].numpy(), a[0, 0].numpy(), b[0, 0].numpy()) > start + 0.2
