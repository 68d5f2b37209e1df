"""How big an image may be: one configurable pixel limit for reading files and for the pipeline.

A decompression bomb (a tiny file that decodes to gigapixels) or a huge array would otherwise end in
a MemoryError, or worse, a machine that swaps. The limit counts pixels (voxels for stacks: slices x
height x width), not channels. `$STYLEFUSE_MAX_PIXELS` changes it (`0` or `none`: no limit).
"""

import math
import os

from .errors import UserError

DEFAULT_MAX_PIXELS = 2**28  # 268 Mpx: a 16k x 16k image, or 1024 slices of 512 x 512
ENV_MAX_PIXELS = "STYLEFUSE_MAX_PIXELS"

# The default largest tile side. Each tile reads a context margin (~120 px for the shipped models) on
# every inner side, so fewer, larger tiles waste less: 1280 takes a 2048² image in 2 x 2 tiles (5.5 MP
# read for 4.2) where 1024 needed 3 x 3 (6.8 MP), ~20 % faster; one tile reads at most ~1400², about
# 0.5 GB of activations (8192² RGB: 1.04 GiB above idle in all, measured; the target is 2.5 GB).
DEFAULT_TILE_SIZE = 1280


def max_pixels() -> int | None:
    """The pixel limit in force: $STYLEFUSE_MAX_PIXELS, else DEFAULT_MAX_PIXELS; None means no limit."""
    text = os.environ.get(ENV_MAX_PIXELS, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    if text.lower() in ("0", "none", "off"):
        return None
    try:
        value = int(float(text))
    except ValueError:
        raise UserError(f"${ENV_MAX_PIXELS} must be a whole number of pixels (or 0 for no limit), got {text!r}") from None
    if value < 0:
        raise UserError(f"${ENV_MAX_PIXELS} must be a whole number of pixels (or 0 for no limit), got {text!r}")
    return value or None


def check_pixel_count(shape, what: str = "image", limit: int | None = None) -> None:
    """Refuse `shape` (slices, height, width: no channel axis) beyond the limit, with a message saying how to raise it."""
    limit = max_pixels() if limit is None else limit
    count = math.prod(int(s) for s in shape)
    if limit is not None and count > limit:
        dims = "x".join(str(int(s)) for s in shape)
        raise UserError(f"{what} is too large: {dims} = {count:,} pixels, more than the limit of {limit:,} "
                        f"(set ${ENV_MAX_PIXELS} to raise it, or process a smaller part)")
