"""The supervised fusion loss and its mix with the unsupervised one."""

import torch

from stylefuse.losses import FusionLoss
from stylefuse.losses.fusion_supervised import MixedFusionLoss, SupervisedFusionLoss


def _images(n: int = 3, size: int = 40) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, size, size, generator=g)


def test_a_perfect_fusion_scores_zero_and_a_wrong_one_more():
    truth = _images()
    loss = SupervisedFusionLoss()
    perfect = loss(truth, truth)
    assert float(perfect["total"]) < 1e-5
    worse = [truth * 0.7, truth.roll(3, dims=-1), torch.full_like(truth, 0.5), (truth + 0.05).clamp(0, 1)]
    for wrong in worse:
        assert float(loss(wrong, truth)["total"]) > float(perfect["total"]) + 1e-3
    # a blurred copy loses on the gradient term even where its mean intensity is right
    blurred = torch.nn.functional.avg_pool2d(truth, 5, 1, 2, count_include_pad=False)
    assert float(loss(blurred, truth)["gradient"]) > 0.1


def test_mixed_loss_scores_each_row_with_its_own_loss():
    a, b, truth = _images(4), _images(4).flip(-1), _images(4).roll(5, dims=-2)
    rows = torch.tensor([False, False, True, True])
    unsup, sup = FusionLoss(), SupervisedFusionLoss()
    mixed = MixedFusionLoss(unsup, sup, supervised_weight=2.0)
    fused = torch.where(rows.view(-1, 1, 1, 1), truth, (a + b) / 2)
    terms = mixed(fused, a, b, truth, rows)
    expected_unsup = unsup(fused[:2], a[:2], b[:2])["total"]
    assert torch.allclose(terms["total"], expected_unsup + 2.0 * terms["truth_total"])
    assert float(terms["truth_total"]) < 1e-5  # the synthetic rows are perfect
    # without a truth it is the unsupervised loss
    assert torch.allclose(mixed(fused, a, b)["total"], unsup(fused, a, b)["total"])
    # the truth rows' loss reaches the output only through those rows
    fused = fused.clone().requires_grad_(True)
    mixed(fused, a, b, truth, torch.tensor([False, False, False, True]))["truth_total"].backward()
    assert float(fused.grad[:3].abs().max()) == 0.0 and float(fused.grad[3].abs().max()) > 0.0
