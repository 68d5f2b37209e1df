"""What a result layer keeps from its input layer, and reading an image layer's array."""

import copy

import numpy as np

from stylefuse.errors import UserError

# Geometry and bookkeeping that make the result sit exactly on the input in world coordinates.
_KEPT = ("scale", "translate", "rotate", "shear", "affine", "units", "axis_labels", "blending")


def image_array(layer, what: str = "image") -> np.ndarray:
    """The layer's data as a numpy array (never a copy when it already is one)."""
    from napari.layers import Image

    if not isinstance(layer, Image):
        kind = type(layer).__name__ if layer is not None else "nothing"
        raise UserError(f"{what}: choose an image layer (got {kind})")
    if layer.multiscale:
        raise UserError(f"{what} {layer.name!r} is multiscale; stylefuse works on single-scale layers")
    return np.asarray(layer.data)


def result_kwargs(source, name: str, rgb: bool) -> dict:
    """Image-layer keyword arguments for a result of `source`: same place in the world, same metadata."""
    kwargs = {"name": name, "rgb": rgb, "metadata": copy.deepcopy(dict(source.metadata))}
    for key in _KEPT:
        if hasattr(source, key):
            value = getattr(source, key)
            kwargs[key] = copy.deepcopy(value) if key != "affine" else value.affine_matrix.copy()
    if "rotate" in kwargs:
        kwargs["rotate"] = np.asarray(kwargs["rotate"])
    if not rgb and not source.rgb:
        kwargs["contrast_limits"] = tuple(source.contrast_limits)
        kwargs["colormap"] = source.colormap
    return kwargs


def result_name(parts: list[str], suffix: str) -> str:
    return " + ".join(parts) + f" ({suffix})"
