"""`stylefuse models`: the models on the search path, or (--server) the ones a server has ready."""

from __future__ import annotations

import argparse

from ..errors import UserError

NAME = "models"
HELP = "list the models (shipped and your own, or a server's)"
DESCRIPTION = (
    "List the models on the search path: the shipped ones, then $STYLEFUSE_MODELS (default "
    "~/.local/share/stylefuse/models). With --server, list the models that server has ready."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument(
        "--server",
        metavar="URL",
        help="list a stylefuse Triton server's models instead (`stylefuse serve`): HOST:PORT, "
        "grpc://HOST:PORT or http://HOST:PORT",
    )


def _describe(card: dict, is_default: bool = False) -> str:
    text = card.get("description") or {
        "style": "style transfer"
        + (" (built-in style; style images too)" if card.get("has_default_style") else " from a style image"),
        "fuse": "fusion of two aligned images",
    }.get(card.get("task"), "")
    tags = (["default"] if is_default else []) + (["placeholder"] if card.get("placeholder") else [])
    return text + (f" [{', '.join(tags)}]" if tags else "")


def _count(n) -> str:
    if not isinstance(n, (int, float)):
        return "?"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(int(n))


def _server_models(args: argparse.Namespace) -> int:
    import json  # here, not at the top: `stylefuse --help` imports nothing it does not need
    from dataclasses import asdict

    from ..runner import make_runner
    from .support import format_table

    models = make_runner(args.server).models()
    if args.json:
        print(json.dumps([asdict(m) for m in models], indent=2))
        return 0
    rows = [
        (m.name, m.task, m.channels, "yes" if m.has_default_style else "no", "yes" if m.default else "")
        for m in models
    ]
    print(
        format_table(
            ("name", "task", "channels", "built-in style", "default"),
            rows,
            right=(False, False, True, False, False),
        )
    )
    print(f"\nserver: {args.server}")
    return 0


def run(args: argparse.Namespace) -> int:
    import json  # here, not at the top: `stylefuse --help` imports nothing it does not need

    if args.server:
        return _server_models(args)
    from ..registry import list_models, model_formats, model_search_path
    from ..runner import LocalRunner
    from .support import format_table

    entries = list_models()
    defaults = set()
    runner = LocalRunner("cpu")  # only asked which models are the defaults
    for task in ("style", "fuse"):
        try:
            defaults.add(runner.default_model(task))
        except UserError:  # no model of that task installed
            pass
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": e.name,
                        "task": e.task,
                        "channels": e.card.get("channels"),
                        "origin": e.origin,
                        "parameters": e.card.get("parameters"),
                        "gflop_per_megapixel": e.card.get("gflop_per_megapixel"),
                        "default": e.name in defaults,
                        "formats": model_formats(e.card),
                        "description": _describe(e.card, e.name in defaults),
                        "folder": str(e.folder),
                    }
                    for e in entries
                ],
                indent=2,
            )
        )
        return 0
    rows = [
        (
            e.name,
            e.task,
            e.card.get("channels", "?"),
            e.origin,
            _count(e.card.get("parameters")),
            e.card.get("gflop_per_megapixel", "?"),
            ",".join(model_formats(e.card)),
            _describe(e.card, e.name in defaults),
        )
        for e in entries
    ]
    print(
        format_table(
            ("name", "task", "channels", "origin", "params", "GFLOP/MP", "formats", "description"),
            rows,
            right=(False, False, True, False, True, True, False, False),
        )
    )
    shipped, user = model_search_path()
    print(f"\nshipped models: {shipped}\nyour models:    {user} (set $STYLEFUSE_MODELS to change)")
    return 0
