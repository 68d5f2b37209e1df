"""The in-process pipeline: user arrays in, model tensors through, user arrays out.

    stylize(image, model=None, reference=None, strength=1.0, mask=None, ...) -> array
    fuse(a, b, model=None, resample=False, ...) -> array

Every entry point (CLI, napari, the Triton python backend, tests) goes through these two functions,
by way of `stylefuse.runner`. `prepare(array)` (module `inputs`) is the one prepare step: dtype, value
range, alpha, layout and tiling plan of an input, computed once; the Triton client and backend use it too.
Modules, one concept each: `ranges` (dtype and value range), `layout` (axes), `color` (YCbCr),
`tiling` (tile plan, feathering), `runner` (batched, tiled execution), `weights` (strength, mask),
`resample`, `style`, `fusion`.
"""

from .fusion import fuse
from .inputs import Planes, prepare, prepare_pair
from .ranges import ValueRange, value_range_of
from .runner import Cancelled
from .style import style_code, stylize

__all__ = ["Cancelled", "Planes", "ValueRange", "fuse", "prepare", "prepare_pair", "style_code", "stylize",
           "value_range_of"]
