#!/usr/bin/env python3
"""GIMP 3 plug-in: Filters > Style & Fusion > Style Transfer... / Fuse Layers...

A thin client: the pixels of the active layer (in the image's own precision: 8-bit, 16-bit or
float, grey or RGB, with or without alpha) go to the stylefuse Triton server (`stylefuse serve`),
the fast path; when no server answers, to the stylefuse core that `stylefuse gimp-install`
recorded, run in a subprocess on temporary files (sflocal.py). The result comes back in the same
precision and lands in a new layer above the source (or replaces it), inside one undo group. The
selection (feathering included) is the mask: only its bounds (plus some context) are sent, and GIMP
blends the result by it, so outside the selection the pixels stay bit-identical. Nothing touches
the image before the result is there: an error or a cancel (GIMP kills the plug-in; the watchdog
sfwatch.py then stops the core and removes the temporary files) leaves it as it was. Only the
standard library and GObject introspection are used.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
import sfbackends  # noqa: E402
import sfchoices  # noqa: E402
import sfclient  # noqa: E402
import sflocal  # noqa: E402
from gi.repository import Gegl, Gimp, GLib, GObject  # noqa: E402
from sfbackends import PluginError  # noqa: E402

PROC_STYLE = "plug-in-stylefuse-style-transfer"
PROC_FUSE = "plug-in-stylefuse-fuse-layers"
MENU = "<Image>/Filters/Style & Fusion"
RW = GObject.ParamFlags.READWRITE
CONTEXT = 64  # pixels around a selection that are sent along
URL_BLURB = (
    "URL of the stylefuse Triton server (KServe v2 HTTP), the fast path; when none answers "
    "there, the plug-in runs the stylefuse that `stylefuse gimp-install` recorded"
)


# -- pixel formats -------------------------------------------------------------------------------
def pixel_format(image, drawable, channels=None):
    """(babl format name, KServe datatype, channels) matching the image's precision and TRC."""
    nick = Gimp.Precision(image.get_precision()).value_nick  # e.g. "u8-non-linear", "float-linear"
    component, _, trc = nick.partition("-")
    if component == "u8":
        kind, dtype = "u8", "UINT8"
    elif component == "u16":
        kind, dtype = "u16", "UINT16"
    else:  # u32, half, float, double: all travel as float32
        kind, dtype = "float", "FP32"
    linear = trc == "linear"
    if channels is None:
        grey = drawable.is_gray()
        channels = (1 if grey else 3) + (1 if drawable.has_alpha() else 0)
    names = {1: "Y", 2: "YA", 3: "RGB", 4: "RGBA"}[channels]
    if not linear:
        names = {1: "Y'", 2: "Y'A", 3: "R'G'B'", 4: "R'G'B'A"}[channels]
    return f"{names} {kind}", dtype, channels


def read_pixels(drawable, x, y, w, h, fmt, abyss=None):
    rect = Gegl.Rectangle.new(x, y, w, h)
    policy = Gegl.AbyssPolicy.NONE if abyss is None else abyss
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, policy))


def layer_geometry(drawable):
    offsets = drawable.get_offsets()
    ox, oy = (offsets[-2], offsets[-1])
    return ox, oy, drawable.get_width(), drawable.get_height()


def work_area(image, ox, oy, w, h):
    """The part of the layer to send (layer coordinates): all of it, or the selection's bounds plus
    CONTEXT pixels of surroundings (the network sees some context; GIMP blends by the selection)."""
    if Gimp.Selection.is_empty(image):
        return 0, 0, w, h
    bounds = Gimp.Selection.bounds(image)
    x1, y1, x2, y2 = bounds[-4:]
    x1, y1, x2, y2 = max(x1 - ox, 0), max(y1 - oy, 0), min(x2 - ox, w), min(y2 - oy, h)
    if x1 >= x2 or y1 >= y2:
        raise PluginError("the selection does not touch the active layer; select part of it, or nothing")
    x1, y1 = max(x1 - CONTEXT, 0), max(y1 - CONTEXT, 0)
    x2, y2 = min(x2 + CONTEXT, w), min(y2 + CONTEXT, h)
    return x1, y1, x2 - x1, y2 - y1


# -- the common run ------------------------------------------------------------------------------
def apply(procedure, image, drawables, config, task):
    if len(drawables) != 1 or not isinstance(drawables[0], Gimp.Layer):
        raise PluginError(f"{procedure.get_menu_label().rstrip('.…')} works on one layer; select exactly one")
    layer = drawables[0]
    backend = sfbackends.connect(config.get_property("server-url"))

    ox, oy, w, h = layer_geometry(layer)
    fmt, dtype, channels = pixel_format(image, layer)
    Gimp.progress_init("Style & Fusion: reading pixels")
    rx, ry, rw, rh = work_area(image, ox, oy, w, h)
    source = sfclient.Image(rh, rw, channels, dtype, read_pixels(layer, rx, ry, rw, rh, fmt))
    requested = config.get_property("model")
    requested = None if requested in ("", sfchoices.DEFAULT) else requested
    kwargs = {}

    if task == "style":
        use_layer = config.get_property("style-source") == "layer"
        method = kwargs["method"] = config.get_property("method")
        if method == "synthesis" and not use_layer:
            raise PluginError(
                "synthesis paints with the patches of a style image: set Style to "
                "'A reference layer' and choose the layer that holds the painting"
            )
        if method == "synthesis" and isinstance(backend, sfbackends.LocalBackend):
            model = None  # the core's synthesis uses no model
        else:
            model = backend.pick(requested, "style", need_default_style=not use_layer)
        kwargs["strength"] = config.get_property("strength")
        kwargs["preserve_color"] = config.get_property("preserve-colors")
        if use_layer:
            ref = config.get_property("reference-layer")
            if ref is None:
                raise PluginError("choose a reference layer for the style (or use the model's own style)")
            rfmt, rdtype, rch = pixel_format(image, ref)
            kwargs["reference"] = sfclient.Image(
                ref.get_height(),
                ref.get_width(),
                rch,
                rdtype,
                read_pixels(ref, 0, 0, ref.get_width(), ref.get_height(), rfmt),
            )
        label = "synthesis" if method == "synthesis" else f"{model}"
    else:
        other = config.get_property("second-layer")
        if other is None:
            raise PluginError("choose the second layer to fuse with")
        if other == layer:
            raise PluginError("choose a second layer other than the active one")
        # the second layer as it lies on the canvas under the source layer (transparent where it ends)
        sx, sy, _, _ = layer_geometry(other)
        kwargs["reference"] = sfclient.Image(
            rh, rw, channels, dtype, read_pixels(other, ox - sx + rx, oy - sy + ry, rw, rh, fmt)
        )
        model = backend.pick(requested, "fuse", pair=(source, kwargs["reference"]))
        label = f"{model or 'auto'} + {other.get_name()}"

    Gimp.progress_set_text(f"Style & Fusion: {label} on {backend.where}")
    result = backend.run(task, model, source, **kwargs)
    Gimp.progress_update(0.95)

    # Written through the shadow buffer: merging it is undoable and, like every GIMP filter, blends
    # by the selection (feathering included); outside the selection the pixels stay bit-identical.
    image.undo_group_start()
    try:
        if config.get_property("output") == "replace":
            target = layer
        else:
            target = layer.copy()
            target.set_name(f"{layer.get_name()} ({label})")
            image.insert_layer(target, layer.get_parent(), image.get_item_position(layer))
            target.set_offsets(ox, oy)
        shadow = target.get_shadow_buffer()
        shadow.set(Gegl.Rectangle.new(rx, ry, rw, rh), fmt, result)
        shadow.flush()
        target.merge_shadow(True)
        target.update(rx, ry, rw, rh)
    finally:
        image.undo_group_end()
    Gimp.progress_update(1.0)
    Gimp.displays_flush()


# -- GIMP procedure plumbing ---------------------------------------------------------------------
def error_values(procedure, message):
    return procedure.new_return_values(
        Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error.new_literal(Gimp.PlugIn.error_quark(), message, 0)
    )


def show_dialog(procedure, config, title, fields):
    gi.require_version("GimpUi", "3.0")
    from gi.repository import GimpUi

    GimpUi.init("stylefuse-gimp")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, title)
    url = config.get_property("server-url")
    try:
        sfclient.Client(url, connect_timeout=1.0).check()
        text = f"Runs on the stylefuse server at {url}."
    except sfclient.ClientError:
        try:
            sflocal.core_command(sflocal.load_record())
            text = "No server there: runs stylefuse itself (`stylefuse serve` is faster)."
        except sflocal.LocalError as why:
            text = f"No server there, and {why}; or start `stylefuse serve`."
    dialog.get_label("where-it-runs", text, False, False)
    dialog.fill(fields[:1] + ["where-it-runs"] + fields[1:])
    ok = dialog.run()
    dialog.destroy()
    return ok


def make_run(task, title, fields):
    def run(procedure, run_mode, image, drawables, config, run_data):
        if run_mode == Gimp.RunMode.INTERACTIVE and not show_dialog(procedure, config, title, fields):
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        try:
            apply(procedure, image, drawables, config, task)
        except (PluginError, sfclient.ClientError) as exc:
            return error_values(procedure, str(exc))
        except Exception as exc:  # a bug: still a message, never a silent failure
            return error_values(procedure, f"stylefuse: {type(exc).__name__}: {exc}")
        finally:
            Gimp.progress_end()
        return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, None)

    return run


def output_choice():
    choice = Gimp.Choice.new()
    choice.add("new-layer", 0, "New layer above", "")
    choice.add("replace", 1, "Replace the layer", "")
    return choice


def model_choice(task):
    choice = Gimp.Choice.new()
    for i, (nick, label) in enumerate(sfbackends.model_entries(task)):
        choice.add(nick, i, label, "")
    return choice


def method_choice():
    choice = Gimp.Choice.new()
    choice.add("generator", 0, "Generator (fast, the trained model)", "")
    choice.add("synthesis", 1, "Synthesis (paints with the reference layer's patches; seconds)", "")
    return choice


STYLE_FIELDS = [
    "server-url",
    "model",
    "method",
    "style-source",
    "reference-layer",
    "strength",
    "preserve-colors",
    "output",
]
FUSE_FIELDS = ["server-url", "model", "second-layer", "output"]


class StyleFusePlugIn(Gimp.PlugIn):
    def do_set_i18n(self, name):
        return False

    def do_query_procedures(self):
        sfbackends.model_entries.registering = True  # GIMP registers the procedures: see sfchoices
        return [PROC_STYLE, PROC_FUSE]

    def do_create_procedure(self, name):
        if name == PROC_STYLE:
            proc = Gimp.ImageProcedure.new(
                self, name, Gimp.PDBProcType.PLUGIN, make_run("style", "Style Transfer", STYLE_FIELDS), None
            )
            proc.set_menu_label("Style _Transfer...")
            proc.set_documentation(
                "Restyle the active layer with stylefuse",
                "Restyles the active layer (inside the selection, if any) with a style "
                "model, after the model's own style or another layer used as reference, "
                "or paints it with the reference layer's patches (synthesis). Runs on "
                "`stylefuse serve` when it answers, else on the local stylefuse.",
                name,
            )
        else:
            proc = Gimp.ImageProcedure.new(
                self, name, Gimp.PDBProcType.PLUGIN, make_run("fuse", "Fuse Layers", FUSE_FIELDS), None
            )
            proc.set_menu_label("_Fuse Layers...")
            proc.set_documentation(
                "Fuse the active layer with a second layer (stylefuse)",
                "Fuses two aligned layers (modalities, exposures, focus planes) with a "
                "fusion model, on `stylefuse serve` when it answers, else on the "
                "local stylefuse.",
                name,
            )
        proc.set_attribution("stylefuse", "stylefuse authors", "2026")
        proc.set_image_types("RGB*, GRAY*")
        proc.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        proc.add_menu_path(MENU)
        proc.add_string_argument("server-url", "Server _URL", URL_BLURB, sfclient.DEFAULT_URL, RW)
        if name == PROC_STYLE:
            proc.add_choice_argument(
                "model",
                "_Model",
                "style model (default: the server's, or the local installation's, default style model)",
                model_choice("style"),
                sfchoices.DEFAULT,
                RW,
            )
            proc.add_choice_argument(
                "method",
                "M_ethod",
                "generator: the trained model, fast; synthesis: "
                "example-based painting with the reference layer's own patches (seconds, "
                "needs Style: A reference layer, uses no model)",
                method_choice(),
                "generator",
                RW,
            )
            choice = Gimp.Choice.new()
            choice.add("model", 0, "The model's own style", "")
            choice.add("layer", 1, "A reference layer", "")
            proc.add_choice_argument(
                "style-source", "St_yle", "where the style comes from", choice, "model", RW
            )
            proc.add_layer_argument(
                "reference-layer",
                "Re_ference layer",
                "layer whose style to take (style: A reference layer)",
                True,
                RW,
            )
            proc.add_double_argument(
                "strength", "Stre_ngth", "0 keeps the layer, 1 is the full style", 0.0, 1.0, 1.0, RW
            )
            proc.add_boolean_argument(
                "preserve-colors",
                "_Keep original colours",
                "take the style's texture, keep the layer's colours",
                False,
                RW,
            )
        else:
            proc.add_choice_argument(
                "model",
                "_Model",
                "fusion model (default: the server's, or the local installation's, default fusion model)",
                model_choice("fuse"),
                sfchoices.DEFAULT,
                RW,
            )
            proc.add_layer_argument(
                "second-layer", "Second _layer", "the layer to fuse the active one with", True, RW
            )
        proc.add_choice_argument(
            "output", "Out_put", "where the result goes", output_choice(), "new-layer", RW
        )
        return proc


Gimp.main(StyleFusePlugIn.__gtype__, sys.argv)
