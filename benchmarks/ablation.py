"""The ablation section of the quality benchmark: one style model trained with and without the
adversarial term, scored on the style photos with the older style scores (benchmarks/style_legacy.py)."""

from __future__ import annotations

import numpy as np
from bench_images import load_u8, resize_long, rgb
from quality_models import model_card, style_image_of
from report import Report, fmt
from style_legacy import STYLE_SIDE

from stylefuse.pipeline import stylize
from stylefuse.registry import list_models


def ablation_section(args, report: Report, cases, scorer) -> None:
    report.say("## Ablation: the adversarial term")
    report.say()
    if len(args.ablation) != 2:
        report.say(
            "n/a: no ablation pair installed (pass `--ablation WITH WITHOUT`, or ship NAME and NAME-noadv)."
        )
        report.say()
        return
    missing = [n for n in args.ablation if n not in {e.name for e in list_models()}]
    if missing:
        report.say(f"n/a: model(s) not installed: {', '.join(missing)}")
        report.say()
        return
    path = style_image_of(args.ablation[0])
    if path is None:
        report.say(f"n/a: no style image found from the card of `{args.ablation[0]}`")
        report.say()
        return
    side = 256 if args.quick else STYLE_SIDE
    style = resize_long(rgb(load_u8(path)), side)
    rows = []
    for name in args.ablation:
        card = model_card(name)
        training = card.get("training", {})
        config = training.get("config", {})
        vals = [scorer.score(rgb(stylize(c.content, model=name)), c, f"style:{path}", style) for c in cases]
        wall = training.get("wall_time_s")
        rows.append(
            [
                f"`{name}`",
                str(config.get("adv_weight", "?")),
                str(training.get("steps", "?")),
                f"{wall / 60:.1f} min" if wall else "?",
            ]
            + [fmt(float(np.mean([v[i] for v in vals]))) for i in range(3)]
        )
    report.say(
        f"The same style ({path.name}) trained with and without the adversarial term; the same photos "
        "and scores as above."
    )
    report.say()
    report.table(
        [
            "model",
            "adv weight",
            "steps",
            "wall time",
            "content structure ↑",
            "colour distance ↓",
            "texture distance ↓",
        ],
        rows,
    )
