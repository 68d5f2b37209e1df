"""Training data: image folders, aligned pairs, volumes sliced along an axis, seeded augmentation."""

from .augment import random_affine_crop
from .samplers import PairBatches, PairedStyleBatches, StyleBatches, step_generator
from .sources import (
    informative,
    list_images,
    load_image_tensor,
    load_slices,
    load_target_pairs,
    paired_files,
    take_part,
    to_channels,
    to_unit_float,
)
from .synthetic import MixedFusionBatches, SyntheticPairBatches, skimage_photos

__all__ = [
    "MixedFusionBatches",
    "SyntheticPairBatches",
    "skimage_photos",
    "PairBatches",
    "PairedStyleBatches",
    "StyleBatches",
    "list_images",
    "load_image_tensor",
    "informative",
    "load_slices",
    "load_target_pairs",
    "paired_files",
    "random_affine_crop",
    "step_generator",
    "take_part",
    "to_channels",
    "to_unit_float",
]
