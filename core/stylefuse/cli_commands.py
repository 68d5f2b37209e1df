"""The CLI's commands: `cmd_<name>(args, extra) -> exit code`. Heavy imports happen in here, late.

Order inside each command: check the inputs and the output path (cheap, no model), load the model,
run the pipeline with a progress bar, write through stylefuse.io (temporary file + rename, so an
interrupted run leaves no partial output).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .cli_support import (
    check_input,
    check_output,
    check_writable,
    examples_dir,
    format_table,
    full_suffix,
    looks_like_image_path,
    progress,
    read_input,
    shape_text,
    spatial_shape,
)
from .errors import UserError


def _style_image_path(args) -> str | None:
    """--style as a style image path (checked to exist), or None when it names a model."""
    style = args.style
    if style is None:
        return None
    if os.path.exists(style) or looks_like_image_path(style):
        if not os.path.exists(style) and "/" not in style and os.sep not in style:
            from .registry import list_models  # a model may be named like a file ("v1.png")

            if any(e.name == style for e in list_models()):
                return None
        check_input(style, "style image")
        return style
    return None


def _style_model_name(args, style_path: str | None) -> str:
    from .registry import default_model_name

    if style_path is not None:
        return args.model or default_model_name("style")
    if args.style is not None:
        if args.model is not None:
            raise UserError(f"--style {args.style} names a model and --model {args.model} another; --model "
                            "only picks the model for a style image (--style IMAGE)")
        return args.style
    return args.model or default_model_name("style")


def _check_values(data, what: str) -> None:
    """NaN/Inf and dtype refused now, naming the file, before any model is loaded (the pipeline's own rule)."""
    from .pipeline import value_range_of

    value_range_of(data.array, None, what)


def cmd_stylize(args, extra) -> int:
    src = read_input(args.input, "input")
    _check_values(src, f"input {args.input}")
    style_path = _style_image_path(args)
    check_output(args.output, [args.input, style_path, args.mask])
    check_writable(args.output, src)
    mask = read_input(args.mask, "mask") if args.mask else None
    if mask is not None and spatial_shape(mask)[-2:] != spatial_shape(src)[-2:]:
        raise UserError(f"mask {args.mask} is {shape_text(spatial_shape(mask)[-2:])} but input {args.input} is "
                        f"{shape_text(spatial_shape(src)[-2:])}; the mask must have the input's height and width")
    reference = read_input(style_path, "style image") if style_path else None
    if reference is not None:
        _check_values(reference, f"style image {style_path}")

    if getattr(args, "server", None):
        return _stylize_on_server(args, src, reference, mask, style_path)

    from .pipeline import stylize
    from .registry import load_model

    model_name = _style_model_name(args, style_path)
    model = load_model(model_name, task="style")
    if reference is None and model.needs_reference:
        raise UserError(f"style model {model_name!r} has no built-in style; give a style image: "
                        f"--style IMAGE --model {model_name}")
    with progress(f"stylize ({model_name})", args.quiet) as cb:
        result = stylize(src.array, model=model, reference=None if reference is None else reference.array,
                         strength=args.strength, mask=None if mask is None else mask.array,
                         preserve_color=args.preserve_color, palette=not args.no_palette,
                         is_stack=src.is_stack, tile_size=args.tile_size, batch_size=args.batch_size, progress=cb)
    _write(args.output, result, src)
    return 0


def cmd_fuse(args, extra) -> int:
    a = read_input(args.a, "input A")
    b = read_input(args.b, "input B")
    _check_values(a, f"input A {args.a}")
    _check_values(b, f"input B {args.b}")
    check_output(args.output, [args.a, args.b])
    check_writable(args.output, a)
    if spatial_shape(a) != spatial_shape(b) and not args.resample:
        raise UserError(f"the inputs differ in size: {args.a} is {shape_text(spatial_shape(a))}, {args.b} is "
                        f"{shape_text(spatial_shape(b))}; fusion needs aligned images of one size "
                        "(register them first, or pass --resample to resize B to A)")

    if getattr(args, "server", None):
        from .client import TritonTransport

        transport = TritonTransport(args.server)
        transport.ping()
        with progress(f"fuse ({args.model or 'server default'} on {args.server})", args.quiet) as cb:
            result = transport.fuse(a.array, b.array, model=args.model, resample=args.resample,
                                    is_stack=a.is_stack, batch_size=args.batch_size, progress=cb)
        _write(args.output, result, a)
        return 0

    from .pipeline import fuse
    from .registry import default_model_name, load_model

    model_name = args.model or default_model_name("fuse")
    model = load_model(model_name, task="fuse")
    with progress(f"fuse ({model_name})", args.quiet) as cb:
        result = fuse(a.array, b.array, model=model, resample=args.resample, is_stack=a.is_stack,
                      tile_size=args.tile_size, batch_size=args.batch_size, progress=cb)
    _write(args.output, result, a)
    return 0


def _stylize_on_server(args, src, reference, mask, style_path) -> int:
    from .client import TritonTransport

    if args.no_palette:
        raise UserError("--no-palette is for in-process runs (a server applies the palette; "
                        "--preserve-color keeps the input's colours there)")
    transport = TritonTransport(args.server)
    transport.ping()
    model = (args.model if style_path is not None else args.style or args.model)
    with progress(f"stylize ({model or 'server default'} on {args.server})", args.quiet) as cb:
        result = transport.stylize(src.array, model=model, reference=None if reference is None else reference.array,
                                   strength=args.strength, mask=None if mask is None else mask.array,
                                   preserve_color=args.preserve_color, is_stack=src.is_stack,
                                   batch_size=args.batch_size, progress=cb)
    _write(args.output, result, src)
    return 0


def _write(path: str, array, like) -> None:
    from .io import write_image

    write_image(path, array, like=like, is_stack=like.is_stack)
    print(path)


def _describe(card: dict, is_default: bool = False) -> str:
    text = card.get("description") or {
        "style": "style transfer" + (" (built-in style; style images too)" if card.get("has_default_style")
                                     else " from a style image"),
        "fuse": "fusion of two aligned images",
    }.get(card.get("task"), "")
    tags = (["default"] if is_default else []) + (["placeholder"] if card.get("placeholder") else [])
    return text + (f" [{', '.join(tags)}]" if tags else "")


def _count(n) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(int(n))


def cmd_models(args, extra) -> int:
    from .registry import default_model_name, list_models, model_search_path

    entries = list_models()
    defaults = set()
    for task in ("style", "fuse"):
        try:
            defaults.add(default_model_name(task))
        except UserError:  # no model of that task installed
            pass
    if args.json:
        print(json.dumps([{"name": e.name, "task": e.task, "channels": e.card.get("channels"), "origin": e.origin,
                           "parameters": e.card.get("parameters"),
                           "gflop_per_megapixel": e.card.get("gflop_per_megapixel"),
                           "default": e.name in defaults,
                           "description": _describe(e.card, e.name in defaults), "folder": str(e.folder)} for e in entries], indent=2))
        return 0
    rows = [(e.name, e.task, e.card.get("channels", "?"), e.origin, _count(e.card.get("parameters")),
             e.card.get("gflop_per_megapixel", "?"), _describe(e.card, e.name in defaults)) for e in entries]
    print(format_table(("name", "task", "channels", "origin", "params", "GFLOP/MP", "description"), rows,
                       right=(False, False, True, False, True, True, False)))
    shipped, user = model_search_path()
    print(f"\nshipped models: {shipped}\nyour models:    {user} (set $STYLEFUSE_MODELS to change)")
    return 0


# ------------------------------------------------------------------------------------------- eval


def _grey_levels(arr, common):
    """8-bit grey levels (as uint8) for the metrics: uint8 as is, uint16 / 257, others by `common` range."""
    import numpy as np

    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return np.round(arr / 257.0).astype(np.uint8)
    lo, hi = common
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    return np.round(np.clip((arr.astype(np.float64) - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)


def _triple_metrics(paths: tuple[str, str, str]) -> dict:
    import numpy as np

    from .metrics import fusion_metrics

    datas = [read_input(p, what) for p, what in zip(paths, ("fused image", "source A", "source B"), strict=True)]
    shapes = [spatial_shape(d) for d in datas]
    if len(set(shapes)) != 1:
        raise UserError("eval needs three images of one size: " + ", ".join(
            f"{p} is {shape_text(s)}" for p, s in zip(paths, shapes, strict=True)))
    arrays = [d.array for d in datas]
    finite = [a[np.isfinite(a)] if a.dtype.kind == "f" else a for a in arrays]
    common = (min(float(a.min()) for a in finite), max(float(a.max()) for a in finite))
    if all(a.dtype.kind == "f" for a in arrays) and common[0] >= 0 and common[1] <= 1:
        common = (0.0, 1.0)
    grey = [_grey_levels(a, common) for a in arrays]
    try:
        if datas[0].is_stack:
            per_slice = [fusion_metrics(f, a, b) for f, a, b in zip(*grey, strict=True)]
            return {k: float(np.mean([m[k] for m in per_slice])) for k in per_slice[0]}
        return {k: float(v) for k, v in fusion_metrics(*grey).items()}
    except UserError as exc:
        raise UserError(f"{paths[0]}: {exc}") from None


def _dir_triples(fused_dir: str, a_dir: str, b_dir: str) -> list[tuple[str, str, str]]:
    from .cli_support import IMAGE_SUFFIXES

    dirs = {"--fused-dir": fused_dir, "--a-dir": a_dir, "--b-dir": b_dir}
    for flag, d in dirs.items():
        if d is None:
            raise UserError("--fused-dir, --a-dir and --b-dir go together; " + flag + " is missing")
        if not Path(d).is_dir():
            raise UserError(f"{flag} {d} is not a folder")

    def stem(p: Path) -> str:
        return p.name[: len(p.name) - len(full_suffix(p))]

    def images(d: str) -> list[Path]:
        return sorted(p for p in Path(d).iterdir() if p.is_file() and full_suffix(p) in IMAGE_SUFFIXES)

    fused = images(fused_dir)
    if not fused:
        raise UserError(f"--fused-dir {fused_dir} holds no image files")
    by_stem = {flag: {stem(p): p for p in images(d)} for flag, d in dirs.items() if flag != "--fused-dir"}
    triples = []
    for f in fused:
        partners = []
        for flag in ("--a-dir", "--b-dir"):
            match = Path(dirs[flag]) / f.name
            if not match.is_file():
                match = by_stem[flag].get(stem(f))
            if match is None:
                raise UserError(f"no source for {f.name} in {flag} {dirs[flag]} (sources are matched by file name)")
            partners.append(str(match))
        triples.append((str(f), partners[0], partners[1]))
    return triples


def cmd_eval(args, extra) -> int:
    from .metrics import FUSION_METRIC_NAMES

    if len(args.triples) % 3:
        raise UserError(f"eval takes files in triples FUSED A B; got {len(args.triples)} file(s)")
    triples = [tuple(args.triples[i:i + 3]) for i in range(0, len(args.triples), 3)]
    if args.fused_dir or args.a_dir or args.b_dir:
        triples += _dir_triples(args.fused_dir, args.a_dir, args.b_dir)
    if not triples:
        raise UserError("nothing to evaluate: give FUSED A B files or --fused-dir/--a-dir/--b-dir")
    results = [{"fused": t[0], "a": t[1], "b": t[2], "metrics": _triple_metrics(t)} for t in triples]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    rows = [[r["fused"]] + [f"{r['metrics'][k]:.4f}" for k in FUSION_METRIC_NAMES] for r in results]
    if len(results) > 1:
        rows.append(["mean"] + [f"{sum(r['metrics'][k] for r in results) / len(results):.4f}"
                                for k in FUSION_METRIC_NAMES])
    print(format_table(("fused",) + tuple(FUSION_METRIC_NAMES), rows, right=[False] + [True] * 8))
    return 0


# ----------------------------------------------------------------------------------------- export


def _export_triton(args) -> int:
    if args.output:
        raise UserError("give either -o DIR (copy one model folder) or --triton-repo DIR, not both")
    try:
        from stylefuse_triton.repository import write_repository
    except ImportError as exc:
        raise UserError(f"the Triton support is not installed ({exc}); reinstall stylefuse") from None
    written = write_repository(args.triton_repo, args.model or None, profile=args.profile, fp16=args.fp16)
    print(f"{args.triton_repo}: {', '.join(written)} ({args.profile} profile)")
    if args.profile == "cpu":
        print(f"serve it with: stylefuse serve --repo {args.triton_repo}")
    return 0


def cmd_serve(args, extra) -> int:
    try:
        from stylefuse_triton.launcher import serve
    except ImportError as exc:
        raise UserError(f"the Triton support is not installed ({exc}); reinstall stylefuse") from None
    return serve(args.repo, host=args.host, http_port=args.http_port, grpc_port=args.grpc_port,
                 metrics_port=args.metrics_port, models=args.models, ready_timeout=args.ready_timeout,
                 health_interval=args.health_interval, say=lambda text: print(text, flush=True))


def cmd_export(args, extra) -> int:
    if args.triton_repo:
        return _export_triton(args)
    if len(args.model) != 1 or not args.output:
        raise UserError("export copies one model: stylefuse export MODEL -o DIR "
                        "(or write a Triton repository: stylefuse export --triton-repo DIR [MODEL ...])")
    args.model = args.model[0]
    out = Path(args.output)
    if not out.parent.is_dir():
        raise UserError(f"output folder {out.parent} does not exist (create it first)")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"output folder {out.parent} is not writable (permission denied or a read-only file system)")
    model_files = {"model.pt", "card.json"}  # stylefuse.registry.MODEL_FILE, CARD_FILE
    if out.exists():
        if not out.is_dir():
            raise UserError(f"output {out} exists and is not a folder")
        extra_files = sorted(set(os.listdir(out)) - model_files)
        if extra_files:
            raise UserError(f"output folder {out} exists and holds other files ({', '.join(extra_files[:3])}"
                            f"{', ...' if len(extra_files) > 3 else ''}); give a new or empty folder")

    from .export import copy_model_folder
    from .registry import CARD_FILE, MODEL_FILE, find_model

    entry = find_model(args.model)
    src, dst = entry.folder.resolve(), out.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise UserError(f"output {out} overlaps the model's own folder {entry.folder}; choose another folder")
    try:  # written aside and renamed into place: a failure leaves no half-written model folder
        copy_model_folder(entry.folder, out)
    except OSError as exc:
        raise UserError(f"cannot write the model folder {out}: {exc.strerror or exc}; nothing was written "
                        "(free some space or choose another folder)") from None
    print(f"{out}  ({MODEL_FILE} + {CARD_FILE} of {entry.origin} model {entry.name!r})")
    return 0


# ------------------------------------------------------------------------------------------ train


def cmd_train(args, extra) -> int:
    from .cli import CliParser

    try:
        from .training.cli import add_train_arguments, run_train
    except ImportError as exc:
        raise UserError(f"training is not available in this installation ({exc}); "
                        "install with: pip install 'stylefuse[train]'") from None
    parser = CliParser(prog="stylefuse train", description="Train a style or fusion model.")
    add_train_arguments(parser)
    return int(run_train(parser.parse_args(extra)) or 0)


# ------------------------------------------------------------------------------------ gimp-install


def cmd_gimp_install(args, extra) -> int:
    from .gimp_install import install, uninstall

    gimp_dir = Path(args.gimp_dir) if args.gimp_dir else None
    if args.uninstall:
        removed = uninstall(gimp_dir)
        print(f"removed {removed}" if removed else "the GIMP plug-in was not installed there; nothing to remove")
        return 0
    target = install(gimp_dir)
    print(f"installed the GIMP 3 plug-in in {target}\nrestart GIMP, start the server with `stylefuse serve`, "
          "then use Filters > Style & Fusion")
    return 0


# ------------------------------------------------------------------------------------------- demo


def cmd_demo(args, extra) -> int:
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output {out_dir} exists and is not a folder")
    ex = examples_dir()
    photo_path, a_path, b_path = ex / "chelsea.png", ex / "brain_t1.png", ex / "brain_pd.png"
    for p in (photo_path, a_path, b_path):
        if not p.is_file():
            raise UserError(f"bundled example {p} is missing; reinstall stylefuse")
    out_dir.mkdir(parents=True, exist_ok=True)

    from .io import read_image, write_image
    from .pipeline import fuse, stylize
    from .registry import default_model_name, load_model

    style_name, fuse_name = default_model_name("style"), default_model_name("fuse")
    photo = read_image(photo_path)
    with progress(f"stylize ({style_name})", args.quiet) as cb:
        stylized = stylize(photo.array, model=load_model(style_name, task="style"), progress=cb)
    a, b = read_image(a_path), read_image(b_path)
    with progress(f"fuse ({fuse_name})", args.quiet) as cb:
        fused = fuse(a.array, b.array, model=load_model(fuse_name, task="fuse"), progress=cb)

    written = {
        f"{photo_path.stem}_{style_name}.png": (stylized, photo),
        "brain_t1_pd_fused.png": (fused, a),
    }
    for name, (array, like) in written.items():
        write_image(out_dir / name, array, like=like)
    overview = out_dir / "overview.png"
    write_image(overview, _overview([photo.array, stylized], [a.array, b.array, fused]))

    print(f"stylized {photo_path.name} with the {style_name!r} style model, fused {a_path.name} + {b_path.name} "
          f"with {fuse_name!r}:")
    for name in [*written, overview.name]:
        print(f"  {out_dir / name}")
    print(f"inputs: {ex} (licences: {ex / 'LICENSES.md'})")
    return 0


def _overview(*rows):
    """One RGB uint8 picture: each row's images side by side at a common height, rows stacked."""
    import numpy as np
    from PIL import Image

    height, gap = 256, 8
    strips = []
    for images in rows:
        tiles = []
        for arr in images:
            im = Image.fromarray(arr).convert("RGB")
            w = max(1, round(im.width * height / im.height))
            tiles.append(np.asarray(im.resize((w, height), Image.Resampling.LANCZOS)))
            tiles.append(np.full((height, gap, 3), 255, np.uint8))
        strips.append(np.concatenate(tiles[:-1], axis=1))
    width = max(s.shape[1] for s in strips)
    canvas = np.full((len(strips) * (height + gap) - gap, width, 3), 255, np.uint8)
    for i, s in enumerate(strips):
        canvas[i * (height + gap): i * (height + gap) + height, : s.shape[1]] = s
    return canvas
