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
# every inner side, so fewer, larger tiles waste less. 1536 takes a 3000² (9 MP) image in 2 x 2 tiles
# (10.9 MP read) where 1280 needed 3 x 3 (13.0 MP): 17-28 % less CPU time for the whole call (measured,
# one thread); 2048² still takes 2 x 2 and 1024² one tile. One tile reads at most ~1780², about 0.8 GB
# of activations (8192² RGB: 1.28 GiB above idle in all, measured; it was 0.93 with 1280; the target
# is 2.5 GB).
DEFAULT_TILE_SIZE = 1536


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
        raise UserError(
            f"${ENV_MAX_PIXELS} must be a whole number of pixels (or 0 for no limit), got {text!r}"
        ) from None
    if value < 0:
        raise UserError(
            f"${ENV_MAX_PIXELS} must be a whole number of pixels (or 0 for no limit), got {text!r}"
        )
    return value or None


def check_pixel_count(shape, what: str = "image", limit: int | None = None) -> None:
    """Refuse `shape` (slices, height, width: no channel axis) beyond the limit, with a message saying how to raise it."""
    limit = max_pixels() if limit is None else limit
    count = math.prod(int(s) for s in shape)
    if limit is not None and count > limit:
        dims = "x".join(str(int(s)) for s in shape)
        raise UserError(
            f"{what} is too large: {dims} = {count:,} pixels, more than the limit of {limit:,} "
            f"(set ${ENV_MAX_PIXELS} to raise it, or process a smaller part)"
        )
