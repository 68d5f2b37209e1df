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

import importlib

# Names load on first use (PEP 562): `prepare`, `value_range_of` and the other numpy-only parts do not
# import torch, so checking inputs (and a client of a Triton server) stays fast; `stylize` and `fuse` do.
_EXPORTS = {
    "Cancelled": ".runner",
    "Planes": ".inputs",
    "StackState": ".stack_state",
    "ValueRange": ".ranges",
    "fuse": ".fusion",
    "prepare": ".inputs",
    "prepare_pair": ".inputs",
    "steady_frames": ".temporal",
    "style_code": ".style",
    "stylize": ".style",
    "value_range_of": ".ranges",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
