"""Helpers the CLI commands share: input/output checks, reading, progress bars, tables.

Every check here runs before any model is loaded, so a mistake costs the user no waiting, and an
output path is refused before anything could touch it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import UserError


def output_formats() -> dict[str, str]:
    """Output suffix -> format family (what stylefuse.io writes; "" is a DICOM series folder).

    A function, not a constant: stylefuse.io imports numpy, which `stylefuse --help` must not wait for.
    """
    from ..io import EXTENSION_FORMATS

    return EXTENSION_FORMATS


def image_suffixes() -> tuple[str, ...]:
    return tuple(output_formats())


def full_suffix(path: str | os.PathLike) -> str:
    """The lower-case suffix, `.nii.gz` counted as one."""
    name = Path(path).name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix


def looks_like_image_path(text: str) -> bool:
    return os.sep in text or "/" in text or full_suffix(text) in image_suffixes() or os.path.exists(text)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def check_input(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise UserError(f"{what} {path} not found")
    if not os.access(p, os.R_OK):
        raise UserError(f"{what} {path} is not readable (permission denied)")
    return p


def read_input(path: str, what: str):
    """`stylefuse.io.read_image` (a folder is read as one DICOM series) within the pixel limit
    (`stylefuse.limits`, checked from the header before decoding); returns ImageData."""
    from ..io import read_image
    from ..limits import max_pixels

    return read_image(check_input(path, what), max_pixels=max_pixels())


def check_output(path: str, inputs: Sequence[str | None]) -> str:
    """Refuse an output that would overwrite an input, has no writable format, or has no folder."""
    out = Path(path)
    suffix = full_suffix(out)
    formats = output_formats()
    for src in inputs:
        if src is not None and (same_file(out, src) or _inside(out, src)):
            raise UserError(
                f"output {path} is the input file {src}; choose another output name "
                "(stylefuse never overwrites its inputs)"
            )
    if suffix not in formats and suffix != "":
        raise UserError(
            f"unsupported output file type {suffix} for {path}: use .png, .jpg, .tif, .nii, "
            ".nii.gz or .dcm (or a folder name without extension for a DICOM series)"
        )
    parent = out.parent
    if not parent.is_dir():
        raise UserError(f"output folder {parent} does not exist (create it first)")
    if suffix == "":  # a DICOM series folder: new, or empty
        if out.exists() and not (out.is_dir() and not any(out.iterdir())):
            raise UserError(
                f"output {path} has no file extension and exists; give a file name with an "
                "extension (.png, .tif, .nii.gz, ...) or a new folder for a DICOM series"
            )
        return "dicom"
    if out.is_dir():
        raise UserError(f"output {path} is a folder; give a file name such as {out / 'result.png'}")
    if not os.access(parent, os.W_OK):
        raise UserError(f"output folder {parent} is not writable (permission denied)")
    return formats[suffix]


def _inside(out: Path, src: str) -> bool:
    """True when `out` lies inside the input folder `src` (a DICOM series) or is that folder."""
    return Path(src).is_dir() and Path(os.path.realpath(src)) in Path(os.path.realpath(out)).parents


def check_writable(path: str, data, what: str = "the result") -> None:
    """Refuse, before any work, an output format that cannot hold data like `data` (an ImageData).

    The same rules stylefuse.io applies when writing, checked early so nobody waits for a model run
    whose result cannot be saved.
    """
    fmt = output_formats().get(full_suffix(path), "dicom")
    arr, channels = data.array, data.channels
    kind = f"{arr.dtype}" + (f" ({8 * arr.dtype.itemsize}-bit)" if arr.dtype.kind in "iu" else "")
    if fmt in ("png", "jpeg") and data.is_stack:
        raise UserError(
            f"{path}: {fmt.upper()} holds one 2-D image but {what} is a stack of {arr.shape[0]} "
            "slices; write .tif or .nii.gz"
        )
    if fmt == "jpeg":
        if arr.dtype.name != "uint8":
            raise UserError(
                f"{path}: JPEG holds 8-bit data only but {what} is {kind}; "
                "write .png or .tif to keep the full range"
            )
        if channels in (2, 4):
            raise UserError(f"{path}: JPEG has no alpha channel but {what} has one; write .png or .tif")
    if fmt == "png" and arr.dtype.name not in ("uint8", "uint16"):
        raise UserError(
            f"{path}: PNG holds 8- or 16-bit unsigned data but {what} is {kind}; write .tif or .nii.gz"
        )
    if fmt == "nifti" and channels != 1 and not (channels in (3, 4) and arr.dtype.name == "uint8"):
        raise UserError(
            f"{path}: NIfTI holds single-channel or 8-bit RGB(A) data but {what} has {channels} "
            f"channels of {arr.dtype}; write .tif"
        )
    if fmt == "dicom":
        if data.format != "dicom":
            raise UserError(
                f"{path}: DICOM output needs a DICOM input (its patient, study and geometry are "
                f"copied) but the input is {(data.format or 'not DICOM').upper()}; write .nii.gz or .tif"
            )
        if channels in (2, 4):
            raise UserError(f"{path}: DICOM has no alpha channel but {what} has one; write .png or .tif")
        files = len(data.meta.get("datasets") or [1])
        if full_suffix(path) in (".dcm", ".dicom") and files > 1 and not data.meta.get("multiframe"):
            raise UserError(
                f"{path}: the input is a DICOM series of {files} files; give a folder name "
                "without extension for the output series"
            )


def spatial_shape(data) -> tuple[int, ...]:
    """(Z,) H, W of an ImageData, without the channel axis."""
    arr = data.array
    n = 2 + int(data.is_stack)
    return tuple(int(s) for s in arr.shape[:n])


def shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(s) for s in shape)


@contextlib.contextmanager
def progress(desc: str, quiet: bool = False, unit: str = "tile") -> Iterator[Callable[[int, int], None]]:
    """A `progress(done, total)` callback drawing a tqdm bar on stderr (only on a terminal)."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            from tqdm import tqdm

            bar = state["bar"] = tqdm(
                total=total,
                desc=desc,
                unit=unit,
                leave=False,
                file=sys.stderr,
                disable=True if quiet else None,
                dynamic_ncols=True,
            )
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].close()


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[bool] | None = None
) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    right = right or [False] * len(header)
    lines = []
    for k, row in enumerate(cells):
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def write_result(path: str, array, like) -> None:
    """Write through stylefuse.io (temporary file + rename: no partial output) and print the path."""
    from ..io import write_image

    write_image(path, array, like=like, is_stack=like.is_stack)
    print(path)


def check_values(data, what: str) -> None:
    """NaN/Inf and dtype refused now, naming the file, before any model is loaded (the pipeline's own rule)."""
    from ..pipeline import value_range_of

    value_range_of(data.array, None, what)
