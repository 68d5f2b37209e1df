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


def auto_rule_text(models) -> str:
    """How `stylefuse fuse` picks a model without --model, from `models` (ModelInfo: kinds, default)."""
    from ..model_choice import default_model

    fusion = [m for m in models if m.task == "fuse"]
    listed = [m for m in fusion if m.kinds]
    if not fusion:
        return ""
    fallback = default_model("fuse", fusion)
    if not listed:
        return f"fusion without --model: {fallback}"
    by_model = "; ".join(f"{', '.join(m.kinds)} -> {m.name}" for m in listed)
    return (
        "fusion without --model (auto): each pair is classified from cheap image statistics -- medical "
        "(scans: black background and border, 16-bit or HU data), infrared-visible (two modalities, edges "
        "that disagree), multi-focus or multi-exposure (same scene, same or shifted brightness) -- and "
        f"fused with the model whose card lists that kind: {by_model}; otherwise {fallback}. "
        "--model NAME overrides (napari and GIMP: the model choice's 'auto' entry is this rule)."
    )


def _describe(card: dict, is_default: bool = False, auto: bool = False) -> str:
    text = card.get("description") or {
        "style": "style transfer"
        + (" (built-in style; style images too)" if card.get("has_default_style") else " from a style image"),
        "fuse": "fusion of two aligned images",
    }.get(card.get("task"), "")
    # With the automatic rule the marked fusion default is only what runs when no card lists the kind.
    mark = "default where no card lists the pair's kind" if auto and card.get("task") == "fuse" else "default"
    tags = ([mark] if is_default else []) + (["placeholder"] if card.get("placeholder") else [])
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
        (
            m.name,
            m.task,
            m.channels,
            "yes" if m.has_default_style else "no",
            "yes" if m.default else "",
            ",".join(m.kinds),
        )
        for m in models
    ]
    print(
        format_table(
            ("name", "task", "channels", "built-in style", "default", "kinds"),
            rows,
            right=(False, False, True, False, False, False),
        )
    )
    print(f"\nserver: {args.server}")
    if rule := auto_rule_text(models):
        print(rule)
    return 0


def run(args: argparse.Namespace) -> int:
    import json  # here, not at the top: `stylefuse --help` imports nothing it does not need

    if args.server:
        return _server_models(args)
    from ..registry import card_kinds, installed_models, list_models, model_formats, model_search_path
    from ..runner import LocalRunner
    from .support import format_table

    entries = list_models()
    auto = any(m.kinds for m in installed_models() if m.task == "fuse")
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
                        "kinds": list(card_kinds(e.card)),
                        "description": _describe(e.card, e.name in defaults, auto),
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
            ",".join(card_kinds(e.card)),
            _describe(e.card, e.name in defaults, auto),
        )
        for e in entries
    ]
    print(
        format_table(
            ("name", "task", "channels", "origin", "params", "GFLOP/MP", "formats", "kinds", "description"),
            rows,
            right=(False, False, True, False, True, True, False, False, False),
        )
    )
    shipped, user = model_search_path()
    print(f"\nshipped models: {shipped}\nyour models:    {user} (set $STYLEFUSE_MODELS to change)")
    if rule := auto_rule_text(installed_models()):
        print(rule)
    return 0
