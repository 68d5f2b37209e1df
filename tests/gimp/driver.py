# Runs INSIDE gimp-console-3.0 (python-fu-eval): `SPEC_DIR = "..."; exec(open(".../driver.py").read())`.
# GIMP's Python has the standard library and gi only. For each case in SPEC_DIR/spec.json: build the
# image, call the plug-in's procedure through the PDB as a script would, dump the pixels and the
# outcome to SPEC_DIR/out/<case>.* for the pytest side to check.
import json
import os
import traceback

from gi.repository import Gegl, Gimp, Gio

OUT = os.path.join(SPEC_DIR, "out")  # noqa: F821 (defined by the -b code)
os.makedirs(OUT, exist_ok=True)
PROCS = {"style": "plug-in-stylefuse-style-transfer", "fuse": "plug-in-stylefuse-fuse-layers"}
RUN_MODES = {"noninteractive": Gimp.RunMode.NONINTERACTIVE, "last-vals": Gimp.RunMode.WITH_LAST_VALS}
PRECISIONS = {
    "float-non-linear": Gimp.Precision.FLOAT_NON_LINEAR,
    "float-linear": Gimp.Precision.FLOAT_LINEAR,
    "u16-non-linear": Gimp.Precision.U16_NON_LINEAR,
}


def fmt_of(image, layer):
    nick = Gimp.Precision(image.get_precision()).value_nick
    component, _, trc = nick.partition("-")
    kind, dtype = {"u8": ("u8", "uint8"), "u16": ("u16", "uint16")}.get(component, ("float", "float32"))
    ch = (1 if layer.is_gray() else 3) + (1 if layer.has_alpha() else 0)
    names = (
        {1: "Y", 2: "YA", 3: "RGB", 4: "RGBA"}
        if trc == "linear"
        else {1: "Y'", 2: "Y'A", 3: "R'G'B'", 4: "R'G'B'A"}
    )
    return f"{names[ch]} {kind}", dtype, ch


def dump(path, drawable, fmt, x=0, y=0, w=None, h=None):
    w = drawable.get_width() if w is None else w
    h = drawable.get_height() if h is None else h
    data = drawable.get_buffer().get(Gegl.Rectangle.new(x, y, w, h), 1.0, fmt, Gegl.AbyssPolicy.NONE)
    with open(path, "wb") as f:
        f.write(bytes(data))


def load(path):
    return Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(os.path.join(SPEC_DIR, path)))  # noqa: F821


def run_case(case):
    name = case["name"]
    image = load(case["input"])
    try:
        if case.get("precision"):
            image.convert_precision(PRECISIONS[case["precision"]])
        layer = image.get_layers()[0]
        if case.get("alpha") and not layer.has_alpha():
            layer.add_alpha()
        if case.get("canvas"):  # [w, h, offx, offy]: the layer smaller than the canvas, with offsets
            image.resize(*case["canvas"])
        second = None
        if case.get("second"):
            second = Gimp.file_load_layer(
                Gimp.RunMode.NONINTERACTIVE,
                image,
                Gio.File.new_for_path(os.path.join(SPEC_DIR, case["second"])),  # noqa: F821
            )
            image.insert_layer(second, None, 1)  # below the source
        if case.get("selection"):
            x, y, w, h, feather = case["selection"]
            image.select_rectangle(Gimp.ChannelOps.REPLACE, x, y, w, h)
            if feather:
                Gimp.Selection.feather(image, feather)
        fmt, dtype, ch = fmt_of(image, layer)
        ok, ox, oy = layer.get_offsets()
        meta = {
            "format": fmt,
            "dtype": dtype,
            "channels": ch,
            "width": layer.get_width(),
            "height": layer.get_height(),
            "offsets": [ox, oy],
            "precision": Gimp.Precision(image.get_precision()).value_nick,
        }
        dump(os.path.join(OUT, f"{name}_before.bin"), layer, fmt)
        if case.get("selection"):
            dump(
                os.path.join(OUT, f"{name}_mask.bin"),
                image.get_selection(),
                "Y float",
                ox,
                oy,
                layer.get_width(),
                layer.get_height(),
            )
        n_before = len(image.get_layers())
        image.clean_all()  # from here on, only the plug-in may dirty the image

        for run in case["runs"]:
            open(os.path.join(OUT, f"{name}.started"), "w").close()  # for a test that cancels this run
            proc = Gimp.get_pdb().lookup_procedure(PROCS[case["proc"]])
            cfg = proc.create_config()
            cfg.set_property("run-mode", RUN_MODES[run.get("mode", "noninteractive")])
            cfg.set_property("image", image)
            cfg.set_core_object_array("drawables", [layer, second] if case.get("both") else [layer])
            for key, value in run.get("args", {}).items():
                cfg.set_property(key, second if value == "@second" else layer if value == "@self" else value)
            result = proc.run(cfg)
            status = result.index(0)
            run["status"] = status.value_nick
            run["error"] = "" if status == Gimp.PDBStatusType.SUCCESS else str(result.index(1))
            run["layers"] = [lay.get_name() for lay in image.get_layers()]
        meta["runs"] = case["runs"]
        layers = image.get_layers()
        meta["layers_before"], meta["layers_after"] = n_before, len(layers)
        dump(os.path.join(OUT, f"{name}_source_after.bin"), layer, fmt)
        if len(layers) > n_before:
            new = layers[0]
            ok, nx, ny = new.get_offsets()
            meta["new_layer"] = {
                "name": new.get_name(),
                "offsets": [nx, ny],
                "width": new.get_width(),
                "height": new.get_height(),
                "above_source": image.get_item_position(new) < image.get_item_position(layer),
            }
            dump(os.path.join(OUT, f"{name}_new.bin"), new, fmt)
        if case.get("export"):
            Gimp.file_save(
                Gimp.RunMode.NONINTERACTIVE,
                image,
                Gio.File.new_for_path(os.path.join(OUT, f"{name}.png")),
                None,
            )
        meta["dirty"] = image.is_dirty()
    except Exception:
        meta = {"exception": traceback.format_exc()}
    finally:
        image.delete()
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(meta, f)


def dump_choices():
    """The nicks of each procedure's choice arguments, as GIMP registered them."""
    choices = {}
    for key, proc_name in PROCS.items():
        proc = Gimp.get_pdb().lookup_procedure(proc_name)
        for arg in ("model", "method"):
            spec = proc.find_argument(arg)
            if spec is not None and hasattr(Gimp, "param_spec_choice_get_choice"):
                try:
                    choice = Gimp.param_spec_choice_get_choice(spec)
                    choices[f"{key}.{arg}"] = {
                        "nicks": list(choice.list_nicks()),
                        "default": Gimp.param_spec_choice_get_default(spec),
                    }
                except Exception as exc:  # not a choice argument
                    choices[f"{key}.{arg}"] = {"error": repr(exc)}
    with open(os.path.join(OUT, "choices.json"), "w") as f:
        json.dump(choices, f)


dump_choices()
for case in json.load(open(os.path.join(SPEC_DIR, "spec.json"))):  # noqa: F821
    run_case(case)
