"""`stylefuse export --triton-repo DIR`: the Triton model repository, written by the server package
(found through the `stylefuse.commands` entry points: see `extensions`)."""

from __future__ import annotations

import argparse

from ..errors import UserError


def write_triton_repo(args: argparse.Namespace) -> int:
    if args.output:
        raise UserError("give either -o DIR (copy one model folder) or --triton-repo DIR, not both")
    from .extensions import extension

    return int(extension("export-triton-repo")(args) or 0)
