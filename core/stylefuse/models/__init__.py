"""Networks: the generator family G(source, reference, z=None) and PatchGAN discriminators."""

from .discriminator import MultiScaleDiscriminator, PatchDiscriminator
from .factory import build_discriminator, build_generator, count_parameters, gflop_per_megapixel
from .generator import FusionGenerator, StyleGenerator, generator_receptive_radius

__all__ = [
    "FusionGenerator",
    "MultiScaleDiscriminator",
    "PatchDiscriminator",
    "StyleGenerator",
    "build_discriminator",
    "build_generator",
    "count_parameters",
    "generator_receptive_radius",
    "gflop_per_megapixel",
]
