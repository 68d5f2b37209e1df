"""Adversarial losses. BCE is the source method's cross-entropy:
L_D = -E[log D(real)] - E[log(1 - D(G))],  L_G = -E[log D(G)]  (non-saturating).
Hinge and least-squares are options. Discriminators may return one logit map or a list (multi-scale).
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F

ADVERSARIAL_KINDS = ("bce", "hinge", "lsgan")


def _as_list(logits: torch.Tensor | Sequence[torch.Tensor]) -> list[torch.Tensor]:
    return list(logits) if isinstance(logits, (list, tuple)) else [logits]


def discriminator_loss(real_logits, fake_logits, kind: str = "bce") -> torch.Tensor:
    total = 0.0
    reals, fakes = _as_list(real_logits), _as_list(fake_logits)
    for real, fake in zip(reals, fakes, strict=False):
        if kind == "bce":
            total = (
                total
                + F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
            )
        elif kind == "hinge":
            total = total + F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
        elif kind == "lsgan":
            total = total + ((real - 1.0) ** 2).mean() + (fake**2).mean()
        else:
            raise ValueError(f"unknown adversarial loss {kind!r}; choose from {ADVERSARIAL_KINDS}")
    return total / len(reals)


def generator_loss(fake_logits, kind: str = "bce") -> torch.Tensor:
    total = 0.0
    fakes = _as_list(fake_logits)
    for fake in fakes:
        if kind == "bce":
            total = total + F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        elif kind == "hinge":
            total = total - fake.mean()
        elif kind == "lsgan":
            total = total + ((fake - 1.0) ** 2).mean()
        else:
            raise ValueError(f"unknown adversarial loss {kind!r}; choose from {ADVERSARIAL_KINDS}")
    return total / len(fakes)
