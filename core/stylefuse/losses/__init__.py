"""Losses: adversarial (BCE / hinge / least squares), style transfer, fusion."""

from .adversarial import ADVERSARIAL_KINDS, discriminator_loss, generator_loss
from .fusion import FusionLoss
from .random_features import RandomFeatureNet
from .style import StyleTransferLoss, sliced_wasserstein

__all__ = [
    "ADVERSARIAL_KINDS",
    "FusionLoss",
    "RandomFeatureNet",
    "StyleTransferLoss",
    "discriminator_loss",
    "generator_loss",
    "sliced_wasserstein",
]
