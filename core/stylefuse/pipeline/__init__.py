"""The in-process pipeline: user arrays in, model tensors through, user arrays out.

    stylize(image, model=None, reference=None, strength=1.0, mask=None, ...) -> array
    fuse(a, b, model=None, resample=False, ...) -> array

Every entry point (CLI, napari, the Triton python backend, tests) goes through these two functions.
Modules, one concept each: `ranges` (dtype and value range), `layout` (axes), `color` (YCbCr),
`tiling` (tile plan, feathering), `runner` (batched, tiled execution), `weights` (strength, mask),
`resample`, `style`, `fusion`.
"""

from .fusion import fuse
from .ranges import ValueRange, value_range_of
from .runner import Cancelled
from .style import style_code, stylize

__all__ = ["Cancelled", "ValueRange", "fuse", "style_code", "stylize", "value_range_of"]
