"""Compare single-style model folders (e.g. the shipped one and one trained on synthesis targets) on
photos no style model trained on, with the benchmark's style scores, and draw a side-by-side panel.

    python benchmarks/distill_compare.py --painting ../shared/data/styles/udnie.jpg \
        --model shipped=core/stylefuse/shipped_models/udnie --model new=/work/runs/models/udnie-synth \
        --panel docs/images/udnie_distill.png [--flicker]

Photos: the benchmark's (`style_legacy.style_contents`: scikit-image colour photos and held-out
RoadScene frames, long side 512). Scores per method, means over the photos: content structure,
colour distance, texture distance (seed-777 Gram, `style_metrics`), and where `texture_metrics` has
them the orientation-field Gram and orientation-histogram distances (colour and texture scores
divided by the unchanged photo's: identity = 1), and the collage share (`collage`). The panel's
rows: photo | synthesis (the teacher, at `--synthesis-side`) | each model. `--flicker`: the
benchmark's flicker ratio on its MRI volume for each model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_images  # noqa: E402  (benchmarks/ is not a package)
import flicker_quality  # noqa: E402
import quality_models  # noqa: E402
import style_legacy  # noqa: E402
import style_metrics as sm  # noqa: E402

from stylefuse.pipeline import stylize  # noqa: E402
from stylefuse.registry import load_model_folder  # noqa: E402

try:  # another engineer's new texture statistics; used where they exist
    import texture_metrics as tm  # noqa: E402
except ImportError:  # pragma: no cover
    tm = None
try:
    from collage import collage_share  # noqa: E402
except ImportError:  # pragma: no cover
    collage_share = None


def scores(out: np.ndarray, content: np.ndarray, painting: np.ndarray, identity: dict | None) -> dict:
    """Every score of one output; `identity` (the photo's own scores) divides the distances."""
    row = {
        "content": sm.content_structure(out, content),
        "colour": sm.colour_distance(out, painting),
        "texture": sm.texture_distance(out, painting),
    }
    if tm is not None and hasattr(tm, "flow_gram_distance"):
        row["flow_gram"] = tm.flow_gram_distance(out, painting)
    if tm is not None and hasattr(tm, "orientation_distance"):
        row["orientation"] = tm.orientation_distance(out, painting)
    if identity is not None:
        for key in ("colour", "texture", "flow_gram", "orientation"):
            if key in row:
                row[key] /= max(identity[key], 1e-9)
        if collage_share is not None:
            row["collage"] = collage_share(out, painting)
    return row


def synthesis_of(content: np.ndarray, painting_full: np.ndarray, side: int) -> np.ndarray:
    small = bench_images.resize_long(content, side)
    out = stylize(small, reference=painting_full, method="synthesis", synthesis_size=side)
    return bench_images.fit_to(bench_images.rgb(out), content)


def panel(rows: list[list[np.ndarray]], labels: list[str], path: Path, height: int = 200) -> None:
    from PIL import Image, ImageDraw

    tiles = [
        [bench_images.resize_long(img, height * max(img.shape[:2]) // img.shape[0]) for img in row]
        for row in rows
    ]
    widths = [max(row[i].shape[1] for row in tiles) for i in range(len(labels))]
    canvas = Image.new("RGB", (sum(widths) + 4 * len(widths), 18 + (height + 4) * len(tiles)), "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for i, label in enumerate(labels):
        draw.text((x + 4, 3), label, fill="black")
        for r, row in enumerate(tiles):
            canvas.paste(Image.fromarray(row[i][:height]), (x, 18 + r * (height + 4)))
        x += widths[i] + 4
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--painting", required=True)
    parser.add_argument("--model", action="append", required=True, help="LABEL=MODEL_FOLDER (repeatable)")
    parser.add_argument("--data", default=str(quality_models.DATA))
    parser.add_argument("--panel", default="", help="PNG: photo | synthesis | each model, 4 photos")
    parser.add_argument("--synthesis-side", type=int, default=384)
    parser.add_argument("--flicker", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--limit", type=int, default=0, help="only N photos, half of each kind (a smoke test)"
    )
    parser.add_argument(
        "--score",
        default="",
        help="comma-separated labels to score (default: every model "
        "plus identity and histogram transfer); the others are only drawn in the panel",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    models = {}
    for spec in args.model:
        label, folder = spec.split("=", 1)
        folder = Path(folder).resolve()
        models[label] = load_model_folder(folder, repository=folder.parent)
    painting_full = bench_images.rgb(bench_images.load_u8(Path(args.painting)))
    painting = bench_images.resize_long(painting_full, style_legacy.STYLE_SIDE)
    cases = style_legacy.style_contents(SimpleNamespace(quick=False, data=args.data))
    if args.limit:  # keep both kinds of photo
        cases = (
            cases[: (args.limit + 1) // 2]
            + [c for c in cases if c.name.startswith("RoadScene")][: args.limit // 2]
        )
    methods = {"identity": lambda c: c, "histogram transfer": lambda c: sm.histogram_transfer(c, painting)}
    for label, loaded in models.items():
        methods[label] = lambda c, m=loaded: bench_images.rgb(stylize(c, model=m))
    scored = [m for m in methods if not args.score or m in args.score.split(",")]
    table: dict[str, list[dict]] = {m: [] for m in scored}
    outputs: dict[tuple[str, str], np.ndarray] = {}
    t0 = time.time()
    for case in cases:
        identity = scores(case.content, case.content, painting, None)
        for method, fn in methods.items():
            if method not in scored and not (args.panel and method in models):
                continue
            out = fn(case.content)
            outputs[(method, case.name)] = out
            if method in scored:  # the scores, not the models, are what costs here
                table[method].append(scores(out, case.content, painting, identity))
        print(f"{case.name} done ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    keys = ["content", "colour", "texture", "flow_gram", "orientation", "collage"]
    if table:
        keys = list(next(iter(table.values()))[0])
    print(f"{len(cases)} photos: {', '.join(c.name for c in cases)}; long side {style_legacy.STYLE_SIDE}")
    print("| method | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for method, rows in table.items():
        print(f"| {method} | " + " | ".join(f"{np.mean([r[k] for r in rows]):.3f}" for k in keys) + " |")
    if args.panel:
        chosen = [c for c in cases if not c.name.startswith("RoadScene")][:2]
        chosen += [c for c in cases if c.name.startswith("RoadScene")][:2]
        rows, synth_rows = [], []
        for case in chosen:
            synth = synthesis_of(case.content, painting_full, args.synthesis_side)
            synth_rows.append(
                scores(synth, case.content, painting, scores(case.content, case.content, painting, None))
            )
            rows.append([case.content, synth] + [outputs[(label, case.name)] for label in models])
        panel(rows, ["photo", f"synthesis ({args.synthesis_side} px)"] + list(models), Path(args.panel))
        print(f"\nsynthesis on the {len(chosen)} panel photos ({', '.join(c.name for c in chosen)}):")
        print("| method | " + " | ".join(keys) + " |")
        for method in ["synthesis", *[m for m in models if m in table]]:
            rows_m = synth_rows if method == "synthesis" else [table[method][cases.index(c)] for c in chosen]
            print(
                f"| {method} | " + " | ".join(f"{np.mean([r[k] for r in rows_m]):.3f}" for k in keys) + " |"
            )
        print(f"panel: {args.panel}")
    if args.flicker:
        found = flicker_quality.mri_volume(SimpleNamespace(quick=False))
        if found is None:
            print("flicker: no MRI volume found")
        else:
            label, vol = found
            base = float(np.mean(np.abs(np.diff(vol.astype(np.float64), axis=0))))
            for name, loaded in models.items():
                out = stylize(vol, model=loaded, is_stack=True)
                change = float(np.mean(np.abs(np.diff(out.astype(np.float64), axis=0))))
                print(
                    f"flicker {name}: {change / base:.3f} (limit {flicker_quality.FLICKER_TARGET}; {label})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
