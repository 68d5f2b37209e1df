"""The fusion sections of the quality benchmark: the eight metrics on the held-out pairs of
../shared/data/fusion against the classical methods (with strictly-better counts and the targets), and
fusion with a ground truth (multi-focus and multi-exposure pairs made from scikit-image photos); the
fusion panel."""

from __future__ import annotations

from pathlib import Path

import classical_fusion as cf
import numpy as np
from bench_images import load_u8, resize_long, skimage_photo
from panels import BLANK, save_panel
from quality_models import FUSION_SETS, pair_order
from report import Report, fmt

from stylefuse.data import paired_files, take_part
from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics, psnr, ssim
from stylefuse.pipeline import fuse

CLASSICAL = ("Average", "Max", "LP", "DWT", "GFF")
COUNT_AGAINST = ("Average", "Max", "LP", "DWT", "GFF")
# The issue's targets: strictly better on >= N of the 8 metrics.
FUSION_TARGETS = {"Average": 6, "LP": 6, "GFF": 5}
GT_COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle")
GT_GREY_PHOTOS = ("camera", "coins", "moon")


def run_fusion(model_name: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return fuse(a, b, model=model_name)


def classical_results(a: np.ndarray, b: np.ndarray, methods=CLASSICAL) -> dict[str, np.ndarray]:
    return {m: cf.to_u8(cf.fuse_ycbcr(cf.GREY_METHODS[m], a, b)) for m in methods}


def strictly_better(ours: dict[str, float], theirs: dict[str, float]) -> list[str]:
    return [k for k in FUSION_METRIC_NAMES if ours[k] > theirs[k]]


def fusion_heldout(args, report: Report, panel: list) -> None:
    report.say("## Fusion on the held-out pairs")
    report.say()
    report.say(
        "The second half of each folder of `../shared/data/fusion` (the fusion models train on the "
        "first half). Means over the pairs; higher is better for all eight metrics; every method "
        "through the same code (`stylefuse.metrics`); colour images fused on Y of YCbCr with the "
        "colour input's chroma, the classical methods exactly as the pipeline does."
    )
    report.say()
    means: dict[str, dict[str, dict[str, float]]] = {}  # set -> method -> metric -> mean
    all_rows: dict[str, dict[str, list[dict]]] = {}
    n_pairs: dict[str, int] = {}
    for set_name in FUSION_SETS:
        folder = Path(args.data) / "fusion" / set_name
        if not folder.is_dir():
            report.say(f"{set_name}: no data at {folder}, skipped")
            continue
        da, db, _ = FUSION_SETS[set_name]
        pairs = take_part(paired_files(folder / da, folder / db), "second-half")
        if args.quick:
            pairs = pairs[:2]
        scores: dict[str, list[dict]] = {}
        for i, (fa, _fb) in enumerate(pairs):
            name = fa.name
            images = {da: load_u8(folder / da / name), db: load_u8(folder / db / name)}
            a, b = images[da], images[db]
            results = {}
            for model in args.fusion_models:
                oa, ob = pair_order(model, set_name)
                results[f"stylefuse {model}"] = run_fusion(model, images[oa], images[ob])
            results.update(classical_results(a, b))
            for method, fused in results.items():
                scores.setdefault(method, []).append(fusion_metrics(fused, a, b))
            if i == 0:
                group_model = (
                    args.medical_model if FUSION_SETS[set_name][2] == "medical" else args.general_model
                )
                panel.append((f"{set_name} {name}", a, b, results, group_model))
        all_rows[set_name] = scores
        n_pairs[set_name] = len(pairs)
        means[set_name] = {
            m: {k: float(np.mean([r[k] for r in rows])) for k in FUSION_METRIC_NAMES}
            for m, rows in scores.items()
        }
    rows = []
    for set_name, by_method in means.items():
        for method, vals in by_method.items():
            rows.append(
                [f"{set_name} (n={n_pairs[set_name]})", method] + [fmt(vals[k]) for k in FUSION_METRIC_NAMES]
            )
    report.table(["set", "method", *FUSION_METRIC_NAMES], rows)

    # strictly-better counts of each stylefuse model against each classical method, per set
    report.say(
        "Strictly-better counts (of 8 metrics) of each fusion model against each classical method; "
        "the metrics it is behind GFF on in brackets."
    )
    report.say()
    rows = []
    for set_name, by_method in means.items():
        for model in args.fusion_models:
            ours = by_method[f"stylefuse {model}"]
            cells = [f"{len(strictly_better(ours, by_method[c]))}" for c in COUNT_AGAINST]
            behind = [k for k in FUSION_METRIC_NAMES if ours[k] <= by_method["GFF"][k]]
            cells[-1] += f" ({', '.join(behind)})" if behind else ""
            rows.append([set_name, model] + cells)
    report.table(["set", "model", *(f"vs {c}" for c in COUNT_AGAINST)], rows)

    # targets: per group (pooled over the group's pairs) with the group's model; per set as detail
    for group, model in (("medical", args.medical_model), ("infrared/visible", args.general_model)):
        sets = [s for s in means if FUSION_SETS[s][2] == group]
        if not sets or not model:
            report.target(
                f"fusion, {group}: beats Average, LP on >= 6/8 and GFF on >= 5/8", "no data/model", None
            )
            continue
        pooled = {}
        for method in [f"stylefuse {model}", *FUSION_TARGETS]:
            rows_all = [r for s in sets for r in all_rows[s][method]]
            pooled[method] = {k: float(np.mean([r[k] for r in rows_all])) for k in FUSION_METRIC_NAMES}
        counts = {c: len(strictly_better(pooled[f"stylefuse {model}"], pooled[c])) for c in FUSION_TARGETS}
        ok = all(counts[c] >= need for c, need in FUSION_TARGETS.items())
        per_set = []
        for s in sets:
            c = {m: len(strictly_better(means[s][f"stylefuse {model}"], means[s][m])) for m in FUSION_TARGETS}
            per_set.append(f"{s} " + "/".join(str(c[m]) for m in FUSION_TARGETS))
        measured = (
            f"`{model}`, all {group} pairs pooled: Average {counts['Average']}, LP {counts['LP']}, "
            f"GFF {counts['GFF']} (per set Avg/LP/GFF: {'; '.join(per_set)})"
        )
        report.target(f"fusion, {group}: beats Average and LP on >= 6/8, GFF on >= 5/8", measured, ok)


def focus_pairs(photo: np.ndarray, sigma: float) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Two multi-focus pairs: left/right halves and a centre disc, the complementary part blurred."""
    from scipy import ndimage

    h, w = photo.shape[:2]
    blur_sigma = (sigma, sigma, 0) if photo.ndim == 3 else sigma
    blurred = np.round(ndimage.gaussian_filter(photo.astype(np.float64), blur_sigma)).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    masks = {"halves": xx < w // 2, "disc": (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.3 * min(h, w)) ** 2}
    out = []
    for kind, mask in masks.items():
        m = mask[..., None] if photo.ndim == 3 else mask
        out.append((kind, np.where(m, photo, blurred), np.where(m, blurred, photo)))
    return out


def exposure_pair(photo: np.ndarray, stops: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """8-bit copies exposed `stops` EV under and over: to linear light (gamma 2.2), scaled by 2^-+stops,
    clipped at white, back to gamma 2.2 and rounded (shadows quantised in one, highlights clipped in the other)."""
    linear = (photo.astype(np.float64) / 255.0) ** 2.2
    under = cf.to_u8((linear * 2.0**-stops) ** (1 / 2.2))
    over = cf.to_u8(np.clip(linear * 2.0**stops, 0.0, 1.0) ** (1 / 2.2))
    return under, over


def gt_scores(fused: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    f = fused.astype(np.float64)
    t = truth.astype(np.float64)
    if f.ndim == 3 and t.ndim == 2:
        f = f @ np.array([0.299, 0.587, 0.114])
    return psnr(f, t, 255.0), ssim(f, t, 255.0)


def fusion_ground_truth(args, report: Report, panel: list) -> None:
    report.say("## Fusion with a ground truth")
    report.say()
    side = 192 if args.quick else 384
    colour = GT_COLOUR_PHOTOS[:1] if args.quick else GT_COLOUR_PHOTOS
    grey = GT_GREY_PHOTOS[:1] if args.quick else GT_GREY_PHOTOS
    model = args.gt_model or args.general_model
    report.say(
        f"Pairs made from scikit-image photos ({', '.join(colour + grey)}), long side {side}: "
        "multi-focus = the photo with complementary regions (left/right halves; a centre disc) "
        "Gaussian-blurred (sd 3 px); multi-exposure = 8-bit copies 2 EV under- and "
        "over-exposed (in linear light, gamma 2.2; the over-exposed one clipped at white). PSNR (dB) and SSIM (Gaussian window, mean over channels) "
        f"of the fused image to the original photo, means over the pairs; stylefuse model: `{model}`."
    )
    report.say()
    scores: dict[str, dict[str, list[tuple[float, float]]]] = {"multi-focus": {}, "multi-exposure": {}}
    for name in colour + grey:
        photo = resize_long(skimage_photo(name), side)
        cases = [("multi-focus", kind, a, b) for kind, a, b in focus_pairs(photo, 3.0)]
        under, over = exposure_pair(photo)
        cases.append(("multi-exposure", "gamma", under, over))
        for task, kind, a, b in cases:
            results = {f"stylefuse {model}": run_fusion(model, a, b)} if model else {}
            results.update(classical_results(a, b))
            if task == "multi-exposure":
                results["Mertens"] = cf.to_u8(cf.mertens([a, b]))
            for method, fused in results.items():
                scores[task].setdefault(method, []).append(gt_scores(fused, photo))
            if name == colour[0] and kind in ("disc", "gamma"):
                panel.append((f"{task} {name}", a, b, results, model))
    rows = []
    for task, by_method in scores.items():
        for method, vals in by_method.items():
            rows.append(
                [
                    f"{task} (n={len(vals)})",
                    method,
                    fmt(np.mean([v[0] for v in vals]), 2),
                    fmt(np.mean([v[1] for v in vals]), 4),
                ]
            )
    report.table(["pairs", "method", "PSNR", "SSIM"], rows)
    ours = f"stylefuse {model}"
    for task, by_method in scores.items():
        rivals = ["LP", "DWT", "GFF"] + (["Mertens"] if task == "multi-exposure" else [])
        if ours not in by_method:
            report.target(
                f"ground truth {task}: PSNR and SSIM above {', '.join(rivals)}", "no fusion model", None
            )
            continue
        m = {
            k: (np.mean([v[0] for v in by_method[k]]), np.mean([v[1] for v in by_method[k]]))
            for k in [ours, *rivals]
        }
        ok = all(m[ours][0] > m[r][0] and m[ours][1] > m[r][1] for r in rivals)
        best = max(rivals, key=lambda r: m[r][0])
        measured = (
            f"PSNR {m[ours][0]:.2f} / SSIM {m[ours][1]:.4f} vs best rival {best} "
            f"{m[best][0]:.2f} / {m[best][1]:.4f}"
        )
        report.target(f"ground truth {task}: PSNR and SSIM above {', '.join(rivals)}", measured, ok)


def fusion_panel(args, panel: list, path: Path) -> None:
    columns = ["A", "B", "stylefuse", "Average", "LP", "DWT", "GFF", "Mertens"]
    rows = []
    for label, a, b, results, model in panel:
        cells = [a, b, results.get(f"stylefuse {model}")] + [
            results.get(m) for m in ("Average", "LP", "DWT", "GFF")
        ]
        cells.append(results.get("Mertens", BLANK))
        rows.append((f"{label}  (stylefuse: {model or 'none'})", cells))
    save_panel(path, columns, rows, box=192)
