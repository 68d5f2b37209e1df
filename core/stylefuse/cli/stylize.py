"""`stylefuse stylize IN -o OUT`: restyle an image or a stack; several inputs or a folder/glob -> a folder."""

from __future__ import annotations

import argparse
import os

from ..errors import UserError
from .options import add_run_options, note, strength, timed_note

NAME = "stylize"
HELP = "restyle an image (or every slice of a stack), or a batch of them"
DESCRIPTION = (
    "Restyle IN with a trained style model, or with any style image as reference. Several inputs, "
    "a folder or a glob restyle every image into the folder -o OUTDIR."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        nargs="+",
        metavar="IN",
        help="image to restyle, or a video clip (.mp4, .mov, .mkv, ...; written to a video -o); "
        "several files, a folder or a glob (quoted) make a batch",
    )
    p.add_argument(
        "-s",
        "--style",
        metavar="NAME|IMAGE",
        help="a style model's name (see `stylefuse models`) or a style image file used as "
        "reference (default: the default style model's own style)",
    )
    p.add_argument(
        "-m",
        "--model",
        metavar="NAME",
        help="style model to run with a style image (default: the default style model)",
    )
    p.add_argument(
        "--strength",
        type=strength,
        default=1.0,
        metavar="S",
        help="0 keeps the input, 1 is the full style (default: %(default)s)",
    )
    p.add_argument(
        "--mask", metavar="M", help="image of the input's size: where to apply the style (0..1, soft)"
    )
    p.add_argument(
        "--preserve-color", action="store_true", help="keep the input's colours, take the style's texture"
    )
    p.add_argument(
        "--no-palette",
        action="store_true",
        help="skip the palette step (the input's colours mapped onto the style's before the "
        "generator); in-process runs only",
    )
    p.add_argument(
        "--method",
        choices=("generator", "synthesis"),
        default="generator",
        help="generator: the trained model (fast, default); synthesis: example-based painting with "
        "the style image's own patches (seconds per image, needs --style IMAGE, no model)",
    )
    p.add_argument(
        "--synthesis-size",
        type=int,
        default=512,
        metavar="PX",
        help="with --method synthesis: the long side it paints at; larger images get the painted "
        "change carried up to full size (default: %(default)s)",
    )
    p.add_argument(
        "--no-hold",
        action="store_true",
        help="video: paint every frame afresh (by default a pixel keeps its previous frame, carried along "
        "the picture's motion, while its input changes only by moving, so the painting does not boil)",
    )
    add_run_options(p)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="file to write (never one of the inputs); for a batch, the folder to write into",
    )


def style_image_path(args: argparse.Namespace) -> str | None:
    """--style as a style image path (checked to exist), or None when it names a model."""
    from .support import check_input, looks_like_image_path

    style = args.style
    if style is None:
        return None
    if os.path.exists(style) or looks_like_image_path(style):
        if not os.path.exists(style) and "/" not in style and os.sep not in style:
            from ..registry import list_models  # a model may be named like a file ("v1.png")

            if any(e.name == style for e in list_models()):
                return None
        check_input(style, "style image")
        return style
    return None


def style_model_name(args: argparse.Namespace, style_path: str | None) -> str | None:
    """The style model --style/--model name; None: the runner's default (stylefuse.model_choice)."""
    if style_path is not None:
        return args.model
    if args.style is not None:
        if args.model is not None:
            raise UserError(
                f"--style {args.style} names a model and --model {args.model} another; --model "
                "only picks the model for a style image (--style IMAGE)"
            )
        return args.style
    return args.model


def run(args: argparse.Namespace) -> int:
    from . import batch, video

    jobs = batch.plan_files(args.input, args.output)
    if jobs is not None:
        return _run_batch(args, jobs)
    (in_path,) = args.input
    if video.is_video(in_path):
        style_path = style_image_path(args)
        return video.stylize_video(args, in_path, lambda ref: _Engine(args, ref, style_path), style_path)
    video.refuse_video_output(args.output, in_path)
    from .support import (
        check_output,
        check_values,
        check_writable,
        read_input,
        shape_text,
        spatial_shape,
        write_result,
    )

    src = read_input(in_path, "input")
    check_values(src, f"input {in_path}")
    style_path = style_image_path(args)
    check_output(args.output, [in_path, style_path, args.mask])
    check_writable(args.output, src)
    mask = read_input(args.mask, "mask") if args.mask else None
    if mask is not None and spatial_shape(mask)[-2:] != spatial_shape(src)[-2:]:
        raise UserError(
            f"mask {args.mask} is {shape_text(spatial_shape(mask)[-2:])} but input {in_path} is "
            f"{shape_text(spatial_shape(src)[-2:])}; the mask must have the input's height and width"
        )
    reference = read_input(style_path, "style image") if style_path else None
    if reference is not None:
        check_values(reference, f"style image {style_path}")
    engine = _Engine(args, reference, style_path)
    with engine.progress() as cb:
        result = engine(src, mask, cb)
    write_result(args.output, result, src)
    return 0


class _Engine:
    """The model (in-process) or the server (--server), chosen and loaded once, then called per image."""

    def __init__(self, args: argparse.Namespace, reference, style_path: str | None) -> None:
        self.args, self.reference = args, reference
        if args.method == "synthesis":
            if style_path is None:
                raise UserError(
                    "--method synthesis paints with a painting's own patches: give it with --style IMAGE"
                )
            if args.model is not None:
                raise UserError("--method synthesis uses no model; drop --model (or use --method generator)")
        if args.server and args.no_palette:
            raise UserError(
                "--no-palette is for in-process runs (a server applies the palette; "
                "--preserve-color keeps the input's colours there)"
            )
        from ..runner import make_runner

        self.runner = make_runner(args.server, device=args.device)
        self.runner.check()  # a server: reachable now, before any input is read
        where = f" on {args.server}" if args.server else ""
        if args.method == "synthesis":
            self.model_name, self.label = None, f"synthesis after {os.path.basename(style_path)}{where}"
            note(f"synthesis with the patches of {style_path}")
            return
        self.model_name = self.runner.resolve(
            style_model_name(args, style_path), "style", need_default_style=reference is None
        )
        info = next((m for m in self.runner.models("style") if m.name == self.model_name), None)
        if reference is None and info is not None and info.needs_reference:
            raise UserError(
                f"style model {self.model_name!r} has no built-in style; give a style image: "
                f"--style IMAGE --model {self.model_name}"
            )
        self.label = self.model_name + where
        note(f"style model {self.label}")

    def progress(self, quiet: bool | None = None, unit: str = "tile"):
        from .support import progress

        return progress(f"stylize ({self.label})", self.args.quiet if quiet is None else quiet, unit)

    def __call__(self, src, mask, cb):
        return timed_note("stylized", src.array, lambda: self._run(src, mask, cb))

    def _run(self, src, mask, cb):
        options = self.options(None if mask is None else mask.array)
        return self.runner.stylize(src.array, is_stack=src.is_stack, progress=cb, **options)

    def options(self, mask_array) -> dict:
        """The runner's stylize keywords from the command line (an image, a stack or a video's parts)."""
        args, ref = self.args, None if self.reference is None else self.reference.array
        synthesis = {"synthesis_size": args.synthesis_size} if args.method == "synthesis" else {}
        return dict(
            model=self.model_name,
            reference=ref,
            strength=args.strength,
            mask=mask_array,
            preserve_color=args.preserve_color,
            palette=not args.no_palette,
            method=args.method,
            tile_size=args.tile_size,
            batch_size=args.batch_size,
            **synthesis,
        )


def _run_batch(args: argparse.Namespace, jobs: list) -> int:
    from .support import check_values, check_writable, read_input, shape_text, spatial_shape

    style_path = style_image_path(args)
    from . import batch, video

    clips = [job.inputs[0] for job in jobs if video.is_video(job.inputs[0])]
    if clips:
        raise UserError(
            f"{clips[0]} is a video; videos are stylized one at a time: stylefuse stylize CLIP -o OUT.mp4"
        )
    batch.check_jobs(jobs, [style_path, args.mask])
    mask = read_input(args.mask, "mask") if args.mask else None
    reference = read_input(style_path, "style image") if style_path else None
    if reference is not None:
        check_values(reference, f"style image {style_path}")
    engine = _Engine(args, reference, style_path)

    def one(job):
        (in_path,) = job.inputs
        src = read_input(in_path, "input")
        check_values(src, f"input {in_path}")
        check_writable(job.output, src)
        if mask is not None and spatial_shape(mask)[-2:] != spatial_shape(src)[-2:]:
            raise UserError(
                f"mask {args.mask} is {shape_text(spatial_shape(mask)[-2:])} but input {in_path} is "
                f"{shape_text(spatial_shape(src)[-2:])}"
            )
        return src, engine(src, mask, None)

    return batch.run(jobs, one, f"stylize ({engine.label})", args.quiet)
