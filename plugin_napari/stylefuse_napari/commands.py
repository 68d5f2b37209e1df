"""Layers > Filter > Style & Fusion: one-click runs on the selected layers, and the dock widgets."""

import napari

from . import notify

PLUGIN = "stylefuse"  # the distribution name (npe2 requires the manifest name to match it)


def _guarded(run):
    """Run `run()`; a problem the user can fix becomes a notification, not a traceback."""
    from stylefuse.errors import UserError

    try:
        return run()
    except UserError as exc:
        notify.error(str(exc))
        return None


def stylize_default(viewer: napari.viewer.Viewer) -> None:
    """Restyle the active image layer with the default style model (in-process)."""
    from napari.layers import Image

    from .tasks import StyleOptions, stylize_layer

    layer = viewer.layers.selection.active
    if not isinstance(layer, Image):
        notify.error(
            "select an image layer to stylize (Layers > Filter > Style & Fusion works on the active layer)"
        )
        return None
    return _guarded(lambda: stylize_layer(viewer, layer, StyleOptions()))


def fuse_selected(viewer: napari.viewer.Viewer) -> None:
    """Fuse the two selected image layers with the default fusion model (the lower one is `a`)."""
    from napari.layers import Image

    from .tasks import fuse_layers

    chosen = [layer for layer in viewer.layers if layer in viewer.layers.selection]
    images = [layer for layer in chosen if isinstance(layer, Image)]
    if len(images) != 2 or len(chosen) != 2:
        notify.error(
            f"select exactly two image layers to fuse (selected: {len(images)} image layer(s)"
            f"{f' and {len(chosen) - len(images)} other(s)' if len(chosen) > len(images) else ''})"
        )
        return None
    return _guarded(lambda: fuse_layers(viewer, images[0], images[1]))


def _open(viewer, widget_name: str):
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, widget_name)
    return widget


def open_style_widget(viewer: napari.viewer.Viewer):
    return _open(viewer, "Style transfer")


def open_fuse_widget(viewer: napari.viewer.Viewer):
    return _open(viewer, "Fuse layers")


def open_train_widget(viewer: napari.viewer.Viewer):
    return _open(viewer, "Train style")
