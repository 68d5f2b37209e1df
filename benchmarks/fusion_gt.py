"""The quality benchmark's fusion pairs with a ground truth, made from photos (split: fusion_common.py):
multi-focus (complementary regions blurred) and multi-exposure from four families of tone curves
(exposure_pairs.py), each family reported apart, seen-in-training and unseen marked, strong pairs apart.
PSNR and SSIM of the fused image to the photo; targets: multi-focus above LP, DWT and both GFF
variants, multi-exposure (per family) above Average, LP, DWT, both GFF variants and Mertens."""

from __future__ import annotations

from collections import Counter

import classical_fusion as cf
import numpy as np
from exposure_pairs import FAMILIES, exposure_pair, seen_by
from fusion_common import CLASSICAL, DEFAULT, classical_results, gt_photos, model_results, picks_text, sized
from report import Report, fmt

from stylefuse.metrics import psnr, ssim
from stylefuse.registry import find_model

FOCUS_RIVALS = ("LP", "DWT", *cf.GFF_VARIANTS)
EXPOSURE_RIVALS = ("Average", "LP", "DWT", *cf.GFF_VARIANTS, "Mertens")
FOCUS_SIGMA = 3.0  # px, the blur of the out-of-focus region


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


def gt_scores(fused: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    f = fused.astype(np.float64)
    t = truth.astype(np.float64)
    if f.ndim == 3 and t.ndim == 2:
        f = f @ np.array([0.299, 0.587, 0.114])
    return psnr(f, t, 255.0), ssim(f, t, 255.0)


def _mean(vals: list[tuple[float, float]]) -> tuple[float, float]:
    return float(np.mean([v[0] for v in vals])), float(np.mean([v[1] for v in vals]))


def _above(ours: tuple[float, float], rival: tuple[float, float]) -> bool:
    return ours[0] > rival[0] and ours[1] > rival[1]


def _target(report: Report, what: str, by_method: dict, rivals: tuple[str, ...], extra: str = "") -> None:
    m = {k: _mean(v) for k, v in by_method.items()}
    ours = m[DEFAULT]
    behind = [r for r in rivals if not _above(ours, m[r])]
    best = max(rivals, key=lambda r: m[r][0])
    measured = (
        f"{ours[0]:.2f} dB / {ours[1]:.4f} vs best-PSNR rival {best} {m[best][0]:.2f} / {m[best][1]:.4f}"
        + (f"; not above {', '.join(behind)}" if behind else "")
        + extra
    )
    report.target(what, measured, not behind)


def _seen(ran: dict[str, Counter], families: list[str]) -> tuple[set[str], list[str]]:
    """Families some model the default ran on that family trained on; other training curves."""
    seen: set[str] = set()
    other: list[str] = []
    for family in families:
        for model in ran[family]:
            try:
                fams, rest = seen_by(find_model(model).card)
            except Exception:  # "unidentified": no card to read, count the family unseen
                continue
            seen |= {family} & fams
            other += [r for r in rest if r not in other]
    return seen, other


def fusion_ground_truth(args, report: Report, examples: dict) -> None:
    photos = gt_photos(args.split, args.data, args.quick)
    families = list(FAMILIES)[:2] if args.quick else list(FAMILIES)
    report.say(f"## Fusion with a ground truth ({args.split} split)")
    report.say()
    report.say(
        f"Pairs made from photos ({', '.join(n for n, _ in photos)}), long side "
        f"{max(sized(photos[0][1], args.quick).shape[:2])} px. Multi-focus: the photo with complementary regions (left/right halves; a centre disc) "
        f"Gaussian-blurred (sd {FOCUS_SIGMA:g} px). Multi-exposure: per tone-curve family "
        "(`benchmarks/exposure_pairs.py`) a moderate and a strong pair per photo, each copy with "
        "Poisson-Gaussian noise, 8-bit rounding and JPEG (quality 80-95); a family is *seen* when the "
        "model `fuse(a, b)` ran on it trained on that curve (its card), else *unseen*. "
        "PSNR (dB) and SSIM (Gaussian window, mean over channels) of the fused image to the photo, "
        f"means over the pairs; `{DEFAULT}` = `fuse(a, b)` with no model named."
    )
    report.say()
    focus: dict[str, list] = {}
    exposure: dict[str, dict[str, dict[bool, list]]] = {f: {} for f in families}  # family -> method -> strong
    ran: dict[str, Counter] = {task: Counter() for task in ("multi-focus", *families)}
    rule: dict[str, Counter] = {task: Counter() for task in ("multi-focus", *families)}
    for idx, (name, raw) in enumerate(photos):
        photo = sized(raw, args.quick)
        for kind, a, b in focus_pairs(photo, FOCUS_SIGMA):
            results = model_results(args.fusion_models, a, b, ran["multi-focus"], rule["multi-focus"])
            results.update(classical_results(a, b, CLASSICAL))
            for method, fused in results.items():
                focus.setdefault(method, []).append(gt_scores(fused, photo))
            if idx == 0 and kind == "disc":
                examples["multi-focus"] = [(f"multi-focus {name} ({kind})", a, b, results, photo)]
        for family in families:
            for strong in (False,) if args.quick else (False, True):
                pair = exposure_pair(photo, name, family, strong)
                a, b = pair.under, pair.over
                results = model_results(args.fusion_models, a, b, ran[family], rule[family])
                results.update(classical_results(a, b, CLASSICAL))
                results["Mertens"] = cf.to_u8(cf.mertens([a, b]))
                for method, fused in results.items():
                    exposure[family].setdefault(method, {}).setdefault(strong, []).append(
                        gt_scores(fused, photo)
                    )
                if idx == 0 and (strong or args.quick) and family != "gamma-gain-wide":
                    label = f"{family} {name} ({'strong' if strong else 'moderate'}: {pair.params})"
                    examples.setdefault("multi-exposure", []).append((label, a, b, results, photo))

    seen, other = _seen(ran, families)
    trained = {m: seen_by(find_model(m).card)[0] for m in args.fusion_models}

    def tag(family: str) -> str:
        by = [m for m, fams in trained.items() if family in fams]
        return ("seen" if family in seen else "unseen") + (f"; {', '.join(by)} trained on it" if by else "")

    rows = [
        [f"multi-focus (n={len(v)})", m, fmt(_mean(v)[0], 2), fmt(_mean(v)[1], 4)] for m, v in focus.items()
    ]
    report.table(["pairs", "method", "PSNR", "SSIM"], rows)
    report.say(
        "Multi-exposure per family: all pairs, and the strong ones apart (the harsh half of every range)."
    )
    report.say()
    rows = []
    for family, by_method in exposure.items():
        for method, by_strength in by_method.items():
            every = by_strength[False] + by_strength.get(True, [])
            strong_vals = by_strength.get(True, [])
            s_psnr, s_ssim = _mean(strong_vals) if strong_vals else (float("nan"), float("nan"))
            rows.append(
                [
                    f"{family} ({tag(family)}, n={len(every)})",
                    method,
                    fmt(_mean(every)[0], 2),
                    fmt(_mean(every)[1], 4),
                    fmt(s_psnr, 2),
                    fmt(s_ssim, 4),
                ]
            )
    report.table(["family", "method", "PSNR", "SSIM", "PSNR strong", "SSIM strong"], rows)
    report.say(
        "Models `fuse(a, b)` ran (identical output to that model's row): "
        + "; ".join(f"{t}: {picks_text(c)}" for t, c in ran.items())
        + ". What core's pair-aware rule says (kind -> model): "
        + "; ".join(f"{t}: {picks_text(c)}" for t, c in rule.items())
        + "."
        + (
            f" Training also saw tone curves that are none of these families: {', '.join(other)}."
            if other
            else ""
        )
    )
    report.say()

    _target(report, "multi-focus: PSNR and SSIM above LP, DWT, GFF, GFF-23", focus, FOCUS_RIVALS)
    for family, by_method in exposure.items():
        every = {m: v[False] + v.get(True, []) for m, v in by_method.items()}
        strong_only = {m: v[True] for m, v in by_method.items() if True in v}
        extra = ""
        if strong_only:
            s_ours, s_avg = _mean(strong_only[DEFAULT]), _mean(strong_only["Average"])
            extra = f" (strong pairs: {s_ours[0]:.2f} dB vs Average {s_avg[0]:.2f})"
        _target(
            report,
            f"multi-exposure, {family} ({'seen' if family in seen else 'unseen'}): PSNR and SSIM above Average, LP, DWT, GFF, GFF-23, Mertens",
            every,
            EXPOSURE_RIVALS,
            extra,
        )
