"""`stylefuse fuse A B -o OUT`: fuse two aligned images; two folders matched by file name -> a folder."""

from __future__ import annotations

import argparse

from ..errors import UserError
from .options import add_run_options, inform, note, timed_note

NAME = "fuse"
HELP = "fuse two aligned images (modalities, exposures, focus planes), or two folders of them"
DESCRIPTION = (
    "Fuse two aligned images of the same scene into one. Given two folders, fuse the images "
    "matched by file name into the folder -o OUTDIR."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "a",
        metavar="A",
        help="first image (its file type and header are kept for the output), or a folder of them, "
        "or a video clip (its rate, timestamps and sound are kept)",
    )
    p.add_argument("b", metavar="B", help="second image, same size as A (or a folder: partners by file name)")
    p.add_argument(
        "-m",
        "--model",
        metavar="NAME",
        help="fusion model (default: auto, the model whose card lists the pair's kind -- medical, "
        "infrared-visible, multi-focus or multi-exposure -- told on stderr; see `stylefuse models`)",
    )
    p.add_argument("--resample", action="store_true", help="resize B to A's size when they differ")
    add_run_options(p)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="file to write (never one of the inputs); for two folders, the folder to write into",
    )


def _check_pair(args: argparse.Namespace, a, b, a_path: str, b_path: str) -> None:
    from .support import shape_text, spatial_shape

    if spatial_shape(a) != spatial_shape(b) and not args.resample:
        raise UserError(
            f"the inputs differ in size: {a_path} is {shape_text(spatial_shape(a))}, {b_path} is "
            f"{shape_text(spatial_shape(b))}; fusion needs aligned images of one size "
            "(register them first, or pass --resample to resize B to A)"
        )


def _read_pair(a_path: str, b_path: str):
    from .support import check_values, read_input

    a = read_input(a_path, "input A")
    b = read_input(b_path, "input B")
    check_values(a, f"input A {a_path}")
    check_values(b, f"input B {b_path}")
    return a, b


class _Engine:
    """The runner (in-process, or the server of --server) and its model, chosen and checked once."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        from ..runner import make_runner

        self.runner = make_runner(args.server, device=args.device)
        self.runner.check()  # a server: reachable now, before any input is read
        # A named model is checked (and loaded) now; without one the fallback is, so that a missing
        # model fails before any input is read, and each pair then gets the automatic rule's model.
        self.model_name = self.runner.resolve(args.model, "fuse")
        self.where = f" on {args.server}" if args.server else ""
        if args.model is None:
            self.model_name, self.told = None, None
        self.label = (self.model_name or "auto") + self.where
        note(f"fusion model {self.label}")

    def pick(self, a, b) -> None:
        """This pair's model: the user's, else the automatic rule's, said in one line on stderr (unless -q;
        in a batch when it changes, or for every pair with -v) since it decides the result."""
        if self.args.model is not None:
            return
        self.model_name, why = self.runner.fuse_choice(a.array, b.array, None, a.is_stack)
        self.label = self.model_name + self.where
        if self.told != self.model_name:
            inform(f"{why} (--model NAME to choose)")
            self.told = self.model_name
        else:
            note(why)

    def __call__(self, a, b, cb):
        return timed_note("fused", a.array, lambda: self._run(a, b, cb))

    def _run(self, a, b, cb):
        return self.runner.fuse(a.array, b.array, is_stack=a.is_stack, progress=cb, **self.options())

    def options(self) -> dict:
        """The runner's fuse keywords from the command line (a pair of images, stacks or video parts)."""
        args = self.args
        return dict(
            model=self.model_name,
            resample=args.resample,
            tile_size=args.tile_size,
            batch_size=args.batch_size,
        )


def run(args: argparse.Namespace) -> int:
    from . import batch, video

    if video.is_video(args.a) or video.is_video(args.b):
        return video.fuse_video(args, lambda: _Engine(args))
    jobs = batch.plan_pairs(args.a, args.b, args.output)
    if jobs is not None:
        return _run_batch(args, jobs)
    video.refuse_video_output(args.output, args.a)
    from .support import check_output, check_writable, progress, write_result

    a, b = _read_pair(args.a, args.b)
    check_output(args.output, [args.a, args.b])
    check_writable(args.output, a)
    _check_pair(args, a, b, args.a, args.b)
    engine = _Engine(args)
    engine.pick(a, b)
    with progress(f"fuse ({engine.label})", args.quiet) as cb:
        result = engine(a, b, cb)
    write_result(args.output, result, a)
    return 0


def _run_batch(args: argparse.Namespace, jobs: list) -> int:
    from . import batch
    from .support import check_writable

    batch.check_jobs(jobs, [])
    engine = _Engine(args)

    def one(job):
        a_path, b_path = job.inputs
        a, b = _read_pair(a_path, b_path)
        check_writable(job.output, a)
        _check_pair(args, a, b, a_path, b_path)
        engine.pick(a, b)
        return a, engine(a, b, None)

    return batch.run(jobs, one, f"fuse ({engine.label})", args.quiet)
