"""`stylefuse export`: copy a model folder, or (--triton-repo) write a Triton model repository."""

from __future__ import annotations

import argparse
import os

from ..errors import UserError
from .options import add_device_option

NAME = "export"
HELP = "copy a model folder (TorchScript, ONNX, torch.export), or write a Triton model repository"
DESCRIPTION = (
    "Copy a model's folder (model.pt + card.json) to DIR (-o), adding ONNX (model.onnx) and "
    "torch.export (model.pt2) files with --format, each checked against the TorchScript; or write a "
    "Triton model repository for MODELs (default: all) with --triton-repo."
)
FORMAT_CHOICES = ("torchscript", "onnx", "export")


def parse_formats(text: str) -> list[str]:
    """`--format onnx,export` / `all` -> the format names (one-line error for unknown ones)."""
    names = [t.strip().lower() for t in str(text).split(",") if t.strip()]
    if names == ["all"]:
        return list(FORMAT_CHOICES)
    unknown = [n for n in names if n not in FORMAT_CHOICES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or text!r}; use "
            f"{', '.join(FORMAT_CHOICES)} or all (comma-separated)"
        )
    return names


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="*", metavar="MODEL", help="model name(s) (see `stylefuse models`)")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="folder to create (an existing one must be empty or hold a model)",
    )
    p.add_argument(
        "--format",
        dest="formats",
        metavar="FORMAT",
        type=parse_formats,
        action="append",
        help="with -o: torchscript (model.pt, always written), onnx (model.onnx, opset 18), export "
        "(model.pt2, torch.export) or all; repeat or comma-separate (default: torchscript). "
        "ONNX needs the export extra: pip install 'stylefuse[export]'",
    )
    add_device_option(
        p,
        "with -o: where the parity checks of the written files run (the files themselves are "
        "device-neutral: written from the CPU weights, they load anywhere)",
        default=None,
    )
    p.add_argument(
        "--triton-repo", metavar="DIR", help="write (or update) a Triton model repository in DIR instead"
    )
    p.add_argument(
        "--profile",
        choices=("cpu", "gpu"),
        default="cpu",
        help="cpu: python backend only (the pip-installed tritonserver); gpu: adds the generator as a "
        "pytorch_libtorch model on KIND_GPU for NVIDIA's Triton container (default: %(default)s)",
    )
    p.add_argument("--fp16", action="store_true", help="gpu profile: run the generator in half precision")
    p.add_argument(
        "--generator-format",
        choices=("torchscript", "onnx"),
        default="torchscript",
        help="gpu profile: the generator model as TorchScript (pytorch_libtorch) or ONNX "
        "(onnxruntime_onnx; the model folder's model.onnx, else exported) (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: `stylefuse --help` imports nothing it does not need

    formats = sorted(
        {f for group in (args.formats or [["torchscript"]]) for f in group}, key=FORMAT_CHOICES.index
    )
    if args.triton_repo:
        if args.device is not None:
            raise UserError(
                "--device is for -o DIR (where the export's checks run); a Triton repository's "
                "device is --profile cpu|gpu"
            )
        if args.formats:
            raise UserError(
                "--format is for -o DIR (a model folder); for the repository's GPU generator "
                "use --generator-format"
            )
        from .triton_repo import write_triton_repo  # the server package writes it (an entry point)

        return write_triton_repo(args)
    if len(args.model) != 1 or not args.output:
        raise UserError(
            "export copies one model: stylefuse export MODEL -o DIR "
            "(or write a Triton repository: stylefuse export --triton-repo DIR [MODEL ...])"
        )
    from ..runner.device import resolve_device

    device = resolve_device(args.device)  # before anything is read or written: a bad device writes nothing
    name = args.model[0]
    out = Path(args.output)
    if not out.parent.is_dir():
        raise UserError(f"output folder {out.parent} does not exist (create it first)")
    if not os.access(out.parent, os.W_OK):
        raise UserError(
            f"output folder {out.parent} is not writable (permission denied or a read-only file system)"
        )
    model_files = {"model.pt", "card.json", "model.onnx", "model.pt2"}  # stylefuse.export.FORMATS + CARD_FILE
    if out.exists():
        if not out.is_dir():
            raise UserError(f"output {out} exists and is not a folder")
        extra_files = sorted(set(os.listdir(out)) - model_files)
        if extra_files:
            raise UserError(
                f"output folder {out} exists and holds other files ({', '.join(extra_files[:3])}"
                f"{', ...' if len(extra_files) > 3 else ''}); give a new or empty folder"
            )

    from ..export import FORMATS, ExportError, copy_model_folder
    from ..registry import CARD_FILE, find_model

    entry = find_model(name)
    src, dst = entry.folder.resolve(), out.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise UserError(f"output {out} overlaps the model's own folder {entry.folder}; choose another folder")
    try:  # written aside and renamed into place: a failure leaves no half-written model folder
        copy_model_folder(entry.folder, out, formats, device=device)
    except OSError as exc:
        raise UserError(
            f"cannot write the model folder {out}: {exc.strerror or exc}; nothing was written "
            "(free some space or choose another folder)"
        ) from None
    except ExportError as exc:
        raise UserError(f"cannot export {entry.name!r}: {exc}; nothing was written") from None
    files = " + ".join(FORMATS[f] for f in formats)
    checked = f", checked on {device}" if formats != ["torchscript"] else ""
    print(f"{out}  ({files} + {CARD_FILE} of {entry.origin} model {entry.name!r}{checked})")
    return 0
