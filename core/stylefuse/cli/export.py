"""`stylefuse export`: copy a model folder, or (--triton-repo) write a Triton model repository."""

from __future__ import annotations

import argparse
import os

from ..errors import UserError

NAME = "export"
HELP = "copy a model folder, or write a Triton model repository"
DESCRIPTION = ("Copy a model's folder (model.pt + card.json) to DIR (-o), or write a Triton model repository "
               "for MODELs (default: all) with --triton-repo.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="*", metavar="MODEL", help="model name(s) (see `stylefuse models`)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="folder to create (an existing one must be empty or hold a model)")
    p.add_argument("--triton-repo", metavar="DIR",
                   help="write (or update) a Triton model repository in DIR instead")
    p.add_argument("--profile", choices=("cpu", "gpu"), default="cpu",
                   help="cpu: python backend only (the pip-installed tritonserver); gpu: adds the generator as a "
                        "pytorch_libtorch model on KIND_GPU for NVIDIA's Triton container (default: %(default)s)")
    p.add_argument("--fp16", action="store_true", help="gpu profile: run the generator in half precision")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: `stylefuse --help` imports nothing it does not need

    if args.triton_repo:
        from .triton_repo import write_triton_repo  # the server package writes it (an entry point)

        return write_triton_repo(args)
    if len(args.model) != 1 or not args.output:
        raise UserError("export copies one model: stylefuse export MODEL -o DIR "
                        "(or write a Triton repository: stylefuse export --triton-repo DIR [MODEL ...])")
    name = args.model[0]
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

    from ..export import copy_model_folder
    from ..registry import CARD_FILE, MODEL_FILE, find_model

    entry = find_model(name)
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
