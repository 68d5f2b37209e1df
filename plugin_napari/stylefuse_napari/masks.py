"""A Labels or Shapes layer as a mask (True where the effect applies) for an image layer."""

import numpy as np

from stylefuse.errors import UserError


def mask_for(mask_layer, spatial_shape: tuple[int, ...]) -> np.ndarray | None:
    """A bool mask of `spatial_shape`: labels > 0, or the inside of the shapes.

    A 2-D mask layer on a stack applies to every slice (it is broadcast over the leading axes).
    """
    if mask_layer is None:
        return None
    from napari.layers import Labels, Shapes

    ndim = len(spatial_shape)
    if isinstance(mask_layer, Labels):
        data = np.asarray(mask_layer.data)
        if data.ndim not in (2, ndim) or data.shape != spatial_shape[ndim - data.ndim :]:
            raise UserError(
                f"mask layer {mask_layer.name!r} is {_shape(data.shape)}; the image is "
                f"{_shape(spatial_shape)} (a mask must match it, or one slice of it)"
            )
        mask = data > 0
    elif isinstance(mask_layer, Shapes):
        if len(mask_layer.data) == 0:
            raise UserError(f"mask layer {mask_layer.name!r} has no shapes")
        shape = spatial_shape[ndim - mask_layer.ndim :] if mask_layer.ndim <= ndim else None
        if shape is None:
            raise UserError(f"mask layer {mask_layer.name!r} is {mask_layer.ndim}-D; the image is {ndim}-D")
        mask = np.asarray(mask_layer.to_labels(labels_shape=shape)) > 0
    else:
        raise UserError(f"mask: choose a Labels or Shapes layer (got {type(mask_layer).__name__})")
    return np.broadcast_to(mask, spatial_shape)


def _shape(shape) -> str:
    return " x ".join(map(str, shape))
