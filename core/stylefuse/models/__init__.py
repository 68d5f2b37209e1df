"""Networks: the generator family G(source, reference, z=None) and PatchGAN discriminators."""

from .discriminator import MultiScaleDiscriminator, PatchDiscriminator
from .factory import build_discriminator, build_generator, count_parameters, gflop_per_megapixel
from .generator import SPATIAL_MULTIPLE, FusionGenerator, StyleGenerator

__all__ = [
    "SPATIAL_MULTIPLE",
    "FusionGenerator",
    "MultiScaleDiscriminator",
    "PatchDiscriminator",
    "StyleGenerator",
    "build_discriminator",
    "build_generator",
    "count_parameters",
    "gflop_per_megapixel",
]
