"""Video through `stylefuse stylize CLIP -o OUT.mp4` and `stylefuse fuse A.mp4 B.mp4 -o OUT.mp4`.

A clip is streamed, never held: FRAMES_PER_PART frames are decoded, run as a stack through the
runner's `stylize_parts`/`fuse_parts` (the same pipeline call a volume takes, with its slice-to-slice
consistency carried from part to part; a stylized clip is also held steady where the input did not
change, `stylefuse.pipeline.temporal`), encoded, and the next part decoded. The output keeps the
frame rate, every frame's timestamp and the first input's audio (copied, not re-encoded); it is
written under a temporary name and renamed when complete. Two clips to fuse must have one size (or
--resample) and one frame rate; when one is longer, the output stops at the shorter, with a warning.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import UserError
from .options import PROG, note

FRAMES_PER_PART = 16  # frames per pipeline call: memory holds this many, whatever the clip's length


def is_video(path: str | None) -> bool:
    from ..io import is_video_path

    return path is not None and is_video_path(path)


def refuse_video_output(output: str, input_path: str) -> None:
    """A video output needs a video input (a still image has no frames, rate or sound to keep)."""
    if is_video(output) and not os.path.isdir(input_path):
        raise UserError(
            f"output {output} is a video but input {input_path} is not; video in, video out "
            "(stylefuse stylize CLIP.mp4 -o OUT.mp4)"
        )


def check_video_output(output: str, inputs: list[str | None]) -> None:
    """Before any decoding: the output is no input, a video type PyAV writes, in an existing folder."""
    from ..io import check_video_output as muxer_for
    from .support import same_file

    for src in inputs:
        if src is not None and same_file(output, src):
            raise UserError(
                f"output {output} is the input file {src}; choose another output name "
                "(stylefuse never overwrites its inputs)"
            )
    muxer_for(output)
    out = Path(output)
    if not out.parent.is_dir():
        raise UserError(f"output folder {out.parent} does not exist (create it first)")
    if out.is_dir():
        raise UserError(f"output {output} is a folder; give a file name such as {out / 'result.mp4'}")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"output folder {out.parent} is not writable (permission denied)")


def open_input(path: str, what: str):
    from ..io import open_video
    from ..limits import max_pixels
    from .support import check_input

    reader = open_video(check_input(path, what), max_pixels())
    count = reader.frame_count
    note(
        f"{what} {path}: {reader.width}x{reader.height}, {float(reader.rate):g} fps, "
        f"{count if count is not None else 'unknown'} frames, "
        f"{'audio ' + reader.audio.codec_context.name if reader.audio is not None else 'no audio'}"
    )
    return reader


def _with_stamps(parts: Iterator, stamps: collections.deque) -> Iterator:
    """The parts' frames, their timestamps queued for the writer (results come back in order)."""
    for part, pts in parts:
        stamps.append(pts)
        yield part


def _check_flow_library() -> None:
    """The steady hold follows the picture's motion by OpenCV's optical flow (part of the video extra)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        raise UserError(
            "holding a stylized clip steady needs OpenCV, part of the video extra: "
            "pip install 'stylefuse[video]' (or paint every frame afresh with --no-hold)"
        ) from None


def stylize_video(args: argparse.Namespace, in_path: str, engine_for, style_path: str | None) -> int:
    """`stylefuse stylize CLIP -o OUT`; `engine_for(reference)` is stylize's model/runner choice."""
    from ..io import write_video
    from .support import check_values, read_input, shape_text

    check_video_output(args.output, [in_path, style_path, args.mask])
    if not args.no_hold:
        _check_flow_library()
    with open_input(in_path, "input") as reader:
        mask = read_input(args.mask, "mask") if args.mask else None
        if mask is not None and mask.array.shape[:2] != (reader.height, reader.width):
            raise UserError(
                f"mask {args.mask} is {shape_text(mask.array.shape[:2])} but the frames of {in_path} are "
                f"{reader.height}×{reader.width}; the mask must have the frames' height and width"
            )
        reference = read_input(style_path, "style image") if style_path else None
        if reference is not None:
            check_values(reference, f"style image {style_path}")
        engine = engine_for(reference)
        options = engine.options(None if mask is None else mask.array)
        stamps: collections.deque = collections.deque()
        parts = _with_stamps(reader.chunks(FRAMES_PER_PART), stamps)
        start = time.perf_counter()
        with engine.progress(unit="frame") as cb, write_video(args.output, reader) as writer:
            results = engine.runner.stylize_parts(
                parts, total=reader.frame_count, progress=cb, steady=not args.no_hold, **options
            )
            for result in results:
                writer.write(result, stamps.popleft())
        note(f"stylized {writer.frames} frames in {time.perf_counter() - start:.2f} s")
    print(args.output)
    return 0


def fuse_video(args: argparse.Namespace, engine_for) -> int:
    """`stylefuse fuse A.mp4 B.mp4 -o OUT`: frames paired by index; `engine_for()` is fuse's model choice."""
    from ..io import write_video
    from .support import progress

    if not (is_video(args.a) and is_video(args.b)):
        raise UserError(
            f"fusing video needs two clips: {args.a if not is_video(args.a) else args.b} is not a video"
        )
    check_video_output(args.output, [args.a, args.b])
    with open_input(args.a, "input A") as a, open_input(args.b, "input B") as b:
        if (a.height, a.width) != (b.height, b.width) and not args.resample:
            raise UserError(
                f"the clips differ in size: {args.a} is {a.height}×{a.width}, {args.b} is "
                f"{b.height}×{b.width}; fusion needs aligned clips of one size (or --resample: B to A's)"
            )
        if a.rate != b.rate:
            raise UserError(
                f"the clips differ in frame rate: {args.a} {float(a.rate):g} fps, {args.b} "
                f"{float(b.rate):g} fps; fusion pairs frame k with frame k, so they must match"
            )
        counts = (a.frame_count, b.frame_count)
        total = min(c for c in counts if c is not None) if any(c is not None for c in counts) else None
        engine = engine_for()
        stamps: collections.deque = collections.deque()
        short: list[str] = []
        pairs = _paired(a.chunks(FRAMES_PER_PART), b.chunks(FRAMES_PER_PART), stamps, short)
        pairs = _model_from_first_pair(engine, pairs)
        start = time.perf_counter()
        with progress(f"fuse ({engine.label})", args.quiet, unit="frame") as cb:
            with write_video(args.output, a) as writer:
                for result in engine.runner.fuse_parts(pairs, total=total, progress=cb, **engine.options()):
                    writer.write(result, stamps.popleft())
                writer.finish(audio_until=writer.end if short else None)
        if short:
            longer = args.a if short[0] == "B" else args.b
            print(
                f"{PROG}: warning: {longer} has more frames than the other clip; the output stops "
                f"after {writer.frames} frames (the shorter clip's)",
                file=sys.stderr,
            )
        note(f"fused {writer.frames} frames in {time.perf_counter() - start:.2f} s")
    print(args.output)
    return 0


def _model_from_first_pair(engine, pairs: Iterator) -> Iterator:
    """Choose the fusion model once for the clip, from its first frames (the automatic rule looks at
    the pair), before any part runs: one clip, one model. Returns the pairs, the first put back."""
    first = next(pairs, None)
    if first is None:
        return iter(())
    pick = getattr(engine, "pick", None)
    if pick is not None:
        part_a, part_b = (argparse.Namespace(array=p[:1], is_stack=True) for p in first)
        pick(part_a, part_b)
    return itertools.chain([first], pairs)


def _paired(parts_a: Iterator, parts_b: Iterator, stamps: collections.deque, short: list[str]) -> Iterator:
    """(A part, B part) of equal length with A's timestamps queued; the first clip to end ends it, and
    `short` gets which one ended while the other still had frames."""
    for part_a, pts in parts_a:
        part_b = next(parts_b, None)
        if part_b is None:
            short.append("B")
            return
        part_b = part_b[0]
        n = min(len(part_a), len(part_b))
        if n < len(part_a):
            short.append("B")
        elif n < len(part_b):
            short.append("A")
        stamps.append(pts[:n])
        yield part_a[:n], part_b[:n]
        if short:
            return
    if next(parts_b, None) is not None:
        short.append("A")
