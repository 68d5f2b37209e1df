"""One training step's losses as plain functions (so tests can probe them directly)."""

import torch
from torch import nn

from ..losses import FusionLoss, StyleTransferLoss, discriminator_loss, generator_loss
from ..losses.fusion_supervised import MixedFusionLoss, SupervisedFusionLoss
from ..losses.mrf import PatchMRFLoss, StyleWithMRFLoss
from ..losses.paired import PairedTargetLoss, StyleWithTargetsLoss
from .config import TrainConfig


def split_logits(logits, n_real: int):
    """D was run once on cat([real, fake]); split each scale's logits back."""
    if isinstance(logits, (list, tuple)):
        return [x[:n_real] for x in logits], [x[n_real:] for x in logits]
    return logits[:n_real], logits[n_real:]


def d_step_loss(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor, kind: str) -> torch.Tensor:
    real_logits, fake_logits = split_logits(disc(torch.cat([real, fake.detach()])), real.shape[0])
    return discriminator_loss(real_logits, fake_logits, kind)


def build_task_loss(cfg: TrainConfig) -> nn.Module:
    if cfg.task == "style":
        style = StyleTransferLoss(
            3,
            cfg.style_weight,
            cfg.content_weight,
            cfg.color_weight,
            cfg.structure_weight,
            cfg.tv_weight,
            texture_weight=cfg.texture_weight,
        )
        if cfg.targets:
            style = StyleWithTargetsLoss(style, PairedTargetLoss(cfg.paired_weight, cfg.band_weight))
        if cfg.mrf_weight <= 0:
            return style
        mrf = PatchMRFLoss(
            cfg.mrf_patch,
            (0.5, 1.0),
            cfg.mrf_highpass,
            cfg.mrf_match,
            cfg.mrf_pooled,
            cfg.mrf_stride,
            cfg.mrf_stride,
        )
        return StyleWithMRFLoss(style, mrf, cfg.mrf_weight)
    unsupervised = FusionLoss(
        cfg.intensity_weight, cfg.gradient_weight, cfg.ssim_weight, cfg.scd_weight, cfg.loss_targets
    )
    if not (cfg.synthetic or cfg.synthetic_skimage):
        return unsupervised
    return MixedFusionLoss(unsupervised, SupervisedFusionLoss(), cfg.truth_weight)


def g_step_loss(
    cfg: TrainConfig,
    task_loss: nn.Module,
    disc: nn.Module | None,
    fake: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    gen: torch.Generator,
    truth: torch.Tensor | None = None,
    rows: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """G's loss: the task terms plus adv_weight x the adversarial term L_G = -E[log D(G)]."""
    if cfg.task == "style" and cfg.targets:
        terms = task_loss(fake, x, y, target=truth, generator=gen)  # truth: the batch's synthesis targets
    elif cfg.task == "style":
        terms = task_loss(fake, x, y, generator=gen)
    elif truth is not None:
        terms = task_loss(fake, x, y, truth, rows)
    else:
        terms = task_loss(fake, x, y)
    if disc is not None and cfg.adv_weight > 0:
        terms["adversarial"] = generator_loss(disc(fake), cfg.adversarial)
        terms["total"] = terms["total"] + cfg.adv_weight * terms["adversarial"]
    return terms


def real_images_for_d(
    cfg: TrainConfig,
    x: torch.Tensor,
    y: torch.Tensor,
    truth: torch.Tensor | None = None,
    rows: torch.Tensor | None = None,
) -> torch.Tensor:
    """What D sees as real: style crops (style); the source images themselves (fusion), the original
    photo for synthetic pairs (a degraded copy is not what a good fusion looks like)."""
    if truth is None or rows is None:
        return y
    return torch.where(rows.view(-1, 1, 1, 1), truth, y)
