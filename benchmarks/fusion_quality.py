"""The quality benchmark's fusion section on the real pairs of ../shared/data/fusion: the eight metrics
of stylefuse's default (`fuse(a, b)`, no model named), of each shipped fusion model and of the classical
methods (both GFF saliency windows), the strictly-better counts, and the issue's targets per set:
beat Average and LP on >= 6/8 metrics and the stronger GFF variant on >= 5/8. The ground-truth pairs
are in fusion_gt.py, the split in fusion_common.py."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import classical_fusion as cf
import numpy as np
from bench_images import load_u8
from fusion_common import (
    CLASSICAL,
    DEFAULT,
    PART,
    classical_results,
    pairs_of,
    picks_text,
    ran_as,
    rule_choice,
    strictly_better,
    stronger_gff,
)
from quality_models import FUSION_SETS, pair_order
from report import Report, fmt

from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics
from stylefuse.pipeline import fuse

# The targets for every real set: strictly better on >= N of the 8 metrics.
SET_TARGETS = {"Average": 6, "LP": 6, "GFF": 5}  # "GFF" = the stronger variant of the set
COUNT_AGAINST = ("Average", "Max", "LP", "DWT", *cf.GFF_VARIANTS)


def score_set(
    args, set_name: str
) -> tuple[dict[str, list[dict]], tuple[Counter, Counter], tuple | None, int]:
    """Per-method metric rows of one set's pairs, (models the default ran, what the rule said), the
    first pair's example."""
    da, db, _ = FUSION_SETS[set_name]
    pairs = pairs_of(args.data, set_name, da, db, args.split)
    if args.quick:
        pairs = pairs[:2]
    folder = Path(args.data) / "fusion" / set_name
    scores: dict[str, list[dict]] = {}
    ran: Counter = Counter()
    rule: Counter = Counter()
    example = None
    for i, (fa, _fb) in enumerate(pairs):
        images = {da: load_u8(folder / da / fa.name), db: load_u8(folder / db / fa.name)}
        a, b = images[da], images[db]
        results = {DEFAULT: fuse(a, b)}  # what a user gets: no model, the set's natural order
        rule[rule_choice(a, b)] += 1
        for model in args.fusion_models:
            oa, ob = pair_order(model, set_name)  # the order the model was trained with
            results[f"stylefuse {model}"] = fuse(images[oa], images[ob], model=model)
        ran[ran_as(results)] += 1
        results.update(classical_results(a, b, CLASSICAL))
        for method, fused in results.items():
            scores.setdefault(method, []).append(fusion_metrics(fused, a, b))
        if i == 0:
            example = (f"{set_name} {fa.name}", a, b, results)
    return scores, (ran, rule), example, len(pairs)


def fusion_heldout(args, report: Report, examples: dict) -> None:
    """The real-pairs section; `examples[set_name]` gets [(label, a, b, results, None)] of its first pair."""
    part = PART[args.split]
    report.say(f"## Fusion on the real pairs ({args.split} split)")
    report.say()
    report.say(
        f"The {part.replace('-', ' ')} of each folder of `../shared/data/fusion` "
        + (
            "(the fusion models train on the first half). "
            if args.split == "test"
            else "(**validation**: the shipped models train on these pairs, so their scores are optimistic). "
        )
        + f"`{DEFAULT}` is `fuse(a, b)` with no model named, inputs in the set's order (MRI first, "
        "infrared first); the other stylefuse rows name a model. Means over the pairs; higher is better "
        "for all eight metrics; every method through the same code (`stylefuse.metrics`); colour images "
        "fused on Y of YCbCr with the colour input's chroma, the classical methods exactly as the "
        "pipeline does. GFF = Li et al. 2013 with the paper's 11x11 saliency Gaussian (sd 5); GFF-23 = "
        "the same with the Gaussian cut at radius 11 (23x23), the variant matching the published numbers."
    )
    report.say()
    means: dict[str, dict[str, dict[str, float]]] = {}  # set -> method -> metric -> mean
    n_pairs: dict[str, int] = {}
    picks: dict[str, tuple[Counter, Counter]] = {}
    for set_name in FUSION_SETS:
        if not (Path(args.data) / "fusion" / set_name).is_dir():
            report.say(f"{set_name}: no data under {args.data}/fusion, skipped")
            continue
        scores, picks[set_name], example, n_pairs[set_name] = score_set(args, set_name)
        if example:
            examples[set_name] = [(*example, None)]  # no truth for real pairs
        means[set_name] = {
            m: {k: float(np.mean([r[k] for r in rows])) for k in FUSION_METRIC_NAMES}
            for m, rows in scores.items()
        }
    rows = [
        [f"{s} (n={n_pairs[s]})", m] + [fmt(v[k]) for k in FUSION_METRIC_NAMES]
        for s, by_method in means.items()
        for m, v in by_method.items()
    ]
    report.table(["set", "method", *FUSION_METRIC_NAMES], rows)

    strong = {s: stronger_gff(by_method) for s, by_method in means.items()}
    report.say(
        "Which GFF is stronger per set (wins more of the 8 metrics against the other; on a tie, the one "
        f"`{DEFAULT}` beats on fewer metrics); the model `fuse(a, b)` ran (the model row with identical "
        "output) and what the pair-aware rule of core (`stylefuse.fusion_kind`, kind -> model) says:"
    )
    report.say()
    g1, g2 = cf.GFF_VARIANTS
    report.table(
        ["set", f"{g1} wins vs {g2}", f"{g2} wins vs {g1}", "stronger", "default ran", "rule says"],
        [
            [
                s,
                str(len(strictly_better(m[g1], m[g2]))),
                str(len(strictly_better(m[g2], m[g1]))),
                strong[s],
                picks_text(picks[s][0]),
                picks_text(picks[s][1]),
            ]
            for s, m in means.items()
        ],
    )
    report.say(
        "Strictly-better counts (of 8 metrics) of each stylefuse row against each classical method; in "
        "brackets the metrics it is not ahead of the stronger GFF on."
    )
    report.say()
    rows = []
    for s, by_method in means.items():
        for ours in [DEFAULT] + [f"stylefuse {m}" for m in args.fusion_models]:
            cells = []
            for c in COUNT_AGAINST:
                cell = str(len(strictly_better(by_method[ours], by_method[c])))
                if c == strong[s]:
                    behind = [
                        k
                        for k in FUSION_METRIC_NAMES
                        if k not in strictly_better(by_method[ours], by_method[c])
                    ]
                    cell = f"**{cell}**" + (f" ({', '.join(behind)})" if behind else "")
                cells.append(cell)
            rows.append([s, ours.removeprefix("stylefuse ")] + cells)
    report.table(["set", "stylefuse", *(f"vs {c}" for c in COUNT_AGAINST)], rows)

    for s, by_method in means.items():
        ours = by_method[DEFAULT]
        against = {"Average": "Average", "LP": "LP", "GFF": strong[s]}
        counts = {t: len(strictly_better(ours, by_method[m])) for t, m in against.items()}
        ok = all(counts[t] >= need for t, need in SET_TARGETS.items())
        measured = (
            f"default (ran {picks_text(picks[s][0])}), n={n_pairs[s]}: Average {counts['Average']}, "
            f"LP {counts['LP']}, {strong[s]} {counts['GFF']}"
        )
        report.target(f"{s}: beats Average and LP on >= 6/8, the stronger GFF on >= 5/8", measured, ok)
