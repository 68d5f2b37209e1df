"""The CLI commands the server package provides to `stylefuse` (entry-point group `stylefuse.commands`).

The core's CLI defines the flags of `stylefuse serve` and `stylefuse export --triton-repo` and finds
these functions through the entry points in pyproject.toml, so the core never imports this package.
"""

from __future__ import annotations

import argparse


def serve(args: argparse.Namespace) -> int:
    """`stylefuse serve`: the real tritonserver on a model repository (see `launcher.serve`)."""
    from .launcher import serve as launch

    models = [name for arg in args.models or () for name in arg.split(",") if name.strip()] or None
    return launch(
        args.repo,
        host=args.host,
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        metrics_port=args.metrics_port,
        models=[m.strip() for m in models] if models else None,
        ready_timeout=args.ready_timeout,
        health_interval=args.health_interval,
        say=lambda text: print(text, flush=True),
        instances=getattr(args, "instances", None),
        kind=getattr(args, "kind", None),
    )


def write_triton_repo(args: argparse.Namespace) -> int:
    """`stylefuse export --triton-repo DIR [MODEL ...]`: write (or update) a Triton model repository."""
    from .repository import write_repository

    written = write_repository(
        args.triton_repo,
        args.model or None,
        profile=args.profile,
        fp16=args.fp16,
        generator_format=getattr(args, "generator_format", "torchscript"),
    )
    print(f"{args.triton_repo}: {', '.join(written)} ({args.profile} profile)")
    if args.profile == "cpu":
        print(f"serve it with: stylefuse serve --repo {args.triton_repo}")
    return 0
