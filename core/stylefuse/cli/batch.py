"""Batch mode of stylize and fuse: many inputs -> one output folder, one progress bar, keep going.

A run is a batch when it names several inputs, a glob, or a folder holding PNG/JPEG/TIFF/NIfTI
files; a folder of DICOM files stays what it always was, one DICOM series. Each output keeps its
input's file name. A bad file is reported and skipped; the run ends with a summary and exit 2.
"""

from __future__ import annotations

import glob
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

log = logging.getLogger("stylefuse.cli")
_GLOB_CHARS = set("*?[")
_SERIES_SUFFIXES = {"", ".dcm", ".dicom"}  # what a DICOM series folder holds


@dataclass(frozen=True)
class Job:
    inputs: tuple[str, ...]
    output: str


def _suffixes() -> tuple[str, ...]:
    from .support import image_suffixes

    return image_suffixes()


def _is_glob(text: str) -> bool:
    return bool(_GLOB_CHARS & set(text)) and not os.path.exists(text)


def _folder_images(folder: Path) -> list[Path]:
    from .support import full_suffix

    suffixes = _suffixes()
    return sorted(p for p in folder.iterdir() if p.is_file() and full_suffix(p) in suffixes)


def is_batch_folder(path: str) -> bool:
    """A folder with images that are not DICOM slices (a DICOM folder is one series, read as one image)."""
    from .support import full_suffix

    p = Path(path)
    return p.is_dir() and any(full_suffix(f) not in _SERIES_SUFFIXES for f in _folder_images(p))


def _expand(arg: str) -> list[str]:
    if _is_glob(arg):
        found = sorted(p for p in glob.glob(arg) if os.path.isfile(p))
        if not found:
            raise UserError(f"no files match {arg}")
        return found
    if is_batch_folder(arg):
        return [str(p) for p in _folder_images(Path(arg))]
    return [arg]


def plan_files(inputs: Sequence[str], output: str) -> list[Job] | None:
    """One job per input file (folders and globs expanded), or None when this is a single-image run."""
    if len(inputs) == 1 and not _is_glob(inputs[0]) and not is_batch_folder(inputs[0]):
        return None
    files = [f for arg in inputs for f in _expand(arg)]
    return _jobs([(f,) for f in files], output)


def plan_pairs(a: str, b: str, output: str) -> list[Job] | None:
    """Two folders of images matched by file name (as `eval --a-dir/--b-dir`), or None for one pair."""
    if not (is_batch_folder(a) or is_batch_folder(b)):
        return None
    from .support import full_suffix

    for flag, d in (("A", a), ("B", b)):
        if not Path(d).is_dir():
            raise UserError(
                f"input {flag} {d} is not a folder; a batch fuses two folders matched by file name"
            )

    def stem(p: Path) -> str:
        return p.name[: len(p.name) - len(full_suffix(p))]

    b_files = _folder_images(Path(b))
    by_name, by_stem = {p.name: p for p in b_files}, {stem(p): p for p in b_files}
    pairs = []
    for f in _folder_images(Path(a)):
        partner = by_name.get(f.name) or by_stem.get(stem(f))
        if partner is None:
            raise UserError(f"no partner for {f.name} in folder B {b} (pairs are matched by file name)")
        pairs.append((str(f), str(partner)))
    return _jobs(pairs, output)


def _jobs(inputs: list[tuple[str, ...]], output: str) -> list[Job]:
    if not inputs:
        raise UserError("no image files to process")
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise UserError(f"output {output} is a file; a batch writes into a folder (-o OUTDIR)")
    if not out.parent.is_dir():
        raise UserError(f"output folder {out.parent} does not exist (create it first)")
    jobs, seen = [], {}
    for ins in inputs:
        name = Path(ins[0]).name
        if name in seen:
            raise UserError(
                f"two inputs are both named {name} ({seen[name]} and {ins[0]}); their outputs would "
                "collide in the output folder"
            )
        seen[name] = ins[0]
        jobs.append(Job(tuple(ins), str(out / name)))
    return jobs


def check_jobs(jobs: Sequence[Job], extra_inputs: Sequence[str | None]) -> None:
    """Every output path checked (never an input, a writable type) before any work; the folder made."""
    from .support import check_output

    out_dir = Path(jobs[0].output).parent
    made = not out_dir.exists()
    out_dir.mkdir(exist_ok=True)
    try:
        for job in jobs:
            check_output(job.output, [*job.inputs, *extra_inputs])
    except BaseException:
        if made:
            out_dir.rmdir()
        raise


def run(jobs: Sequence[Job], one: Callable[[Job], tuple], desc: str, quiet: bool) -> int:
    """Call `one(job) -> (like, result)` per job and write its result; keep going past a bad file."""
    from tqdm import tqdm

    from ..io import write_image
    from .options import EXIT_USER_ERROR, PROG, one_line

    failed: list[str] = []
    bar = tqdm(
        jobs,
        desc=desc,
        unit="file",
        leave=False,
        file=sys.stderr,
        disable=True if quiet else None,
        dynamic_ncols=True,
    )
    for job in bar:
        try:
            like, result = one(job)
            write_image(job.output, result, like=like, is_stack=like.is_stack)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch; reported below
            log.debug("%s failed", job.inputs[0], exc_info=True)
            text = one_line(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {one_line(exc)}"
            if job.inputs[0] not in text:
                text = f"{job.inputs[0]}: {text}"
            tqdm.write(f"{PROG}: error: {text}", file=sys.stderr)
            failed.append(job.inputs[0])
            continue
        tqdm.write(job.output, file=sys.stdout)
    bar.close()
    done = len(jobs) - len(failed)
    out_dir = Path(jobs[0].output).parent
    if failed:
        print(
            f"{PROG}: {done} of {len(jobs)} written to {out_dir}; {len(failed)} failed: {', '.join(failed)}",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    if not quiet:
        print(f"{PROG}: {done} of {len(jobs)} written to {out_dir}", file=sys.stderr)
    return 0
