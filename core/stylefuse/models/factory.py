"""Build networks from a plain config dict (what the model card and checkpoints store)."""

import torch
from torch import nn

from .discriminator import MultiScaleDiscriminator
from .fusion_hybrid import FocusFusionGenerator
from .generator import FusionGenerator, StyleGenerator


def build_generator(task: str, **config) -> nn.Module:
    if task == "style":
        return StyleGenerator(**config)
    if task == "fuse":
        # the focus-measure hybrid is told apart by its config (what cards and checkpoints store)
        return FocusFusionGenerator(**config) if "focus_radius" in config else FusionGenerator(**config)
    raise ValueError(f"unknown task {task!r} (expected 'style' or 'fuse')")


def build_discriminator(channels: int, n_scales: int = 2, base: int = 32, n_layers: int = 3) -> nn.Module:
    return MultiScaleDiscriminator(channels=channels, base=base, n_layers=n_layers, n_scales=n_scales)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def gflop_per_megapixel(generator: nn.Module, size: int = 256) -> float:
    """Multiply-adds of convolutions and linear layers x2, per megapixel of output (hooks, one pass)."""
    flops = [0]

    def conv_hook(mod: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        flops[0] += 2 * k * out.numel()

    handles = [m.register_forward_hook(conv_hook) for m in generator.modules() if isinstance(m, nn.Conv2d)]
    x = torch.rand(1, generator.channels, size, size)
    # The training formulation: at inference some convs run functionally with rearranged kernels
    # (the same multiply-adds; models/generator.py), which module hooks would not see.
    was_training = generator.training
    generator.train()
    try:
        with torch.no_grad():
            if getattr(generator, "task", "") == "style":
                # The style encoder runs once per reference, not per pixel: leave it out.
                code = torch.zeros(1, generator.config["code_dim"])
                generator.forward_code(x, code)
            else:
                generator(x, x)
    finally:
        generator.train(was_training)
        for h in handles:
            h.remove()
    head = getattr(generator, "head", None)
    if isinstance(head, nn.Conv2d):
        # The head runs functionally over its weight's slices (no concatenation), unseen by hooks:
        # count it at the padded size the trunk works on.
        from .blocks import pad_for_trunk

        padded = pad_for_trunk(torch.zeros(1, 1, size, size), generator.edge_pad, generator.multiple)
        k = head.kernel_size[0] * head.kernel_size[1] * head.in_channels
        flops[0] += 2 * k * head.out_channels * padded.shape[-2] * padded.shape[-1]
    return flops[0] / (size * size) * 1e6 / 1e9
