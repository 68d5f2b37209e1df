"""Fusion models on VALIDATION pairs only: where hyper-parameters and designs are chosen (issue 17).

    python benchmarks/fusion_validation.py --model shipped=fuse-medical+fuse-general \
        --model new=/path/to/model_folder --model ckpt=/path/to/run/checkpoints/step_000400.pt

Real pairs: `take_part(..., "validation")` of each shared set (the last quarter of its first half;
models chosen here train on `--split train`, the rest of the first half); the second halves (the
test pairs) are never read. Scored by the eight metrics of `stylefuse.metrics`, against Average, LP
and GFF with both saliency windows (11 x 11 and 23 x 23; the stronger per set counts).
Pairs with a ground truth are made from the validation pairs' visible images (TNO, RoadScene; never
the benchmark's scikit-image photos): multi-focus (halves, disc; sd 3 px) and multi-exposure from each
tone-curve family of `stylefuse.data.tone_curves` (with noise and JPEG), scored by PSNR/SSIM to the
photo against LP, DWT, GFF, Average and Mertens.

A SPEC is a registry name, a model folder (model.pt + card.json), or a training checkpoint (.pt);
`A+B` uses A on the medical sets and B elsewhere. `--set residual_scale=0` overrides an attribute of
the eager model (an ablation without training). Classical results are cached (`--cache`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import classical_fusion as cf
import numpy as np
import torch
from bench_images import load_u8, resize_long
from quality_models import DATA, FUSION_SETS
from scipy import ndimage

from stylefuse.data import paired_files, take_part
from stylefuse.data.tone_curves import EXPOSURE_FAMILIES, degrade, exposure_family_pair
from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics, psnr, ssim
from stylefuse.models import build_generator
from stylefuse.pipeline import fuse
from stylefuse.registry import LoadedModel, load_model, read_card

GT_SIDE = 256
EXPOSURE_DRAWS = 2  # pairs per photo and family


def gff_window(radius: int):
    """GFF with the saliency Gaussian (sd 5) cut at `radius`: 5 is the paper's 11 x 11, 11 the 23 x 23."""

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sources = [np.asarray(a, np.float64), np.asarray(b, np.float64)]
        bases = [ndimage.uniform_filter(s, size=31, mode="reflect") for s in sources]
        lap = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
        sal = [
            ndimage.gaussian_filter(np.abs(ndimage.convolve(s, lap, mode="reflect")), 5.0, radius=radius)
            for s in sources
        ]
        top = np.maximum(sal[0], sal[1])
        masks = [(s == top).astype(np.float64) for s in sal]

        def weights(r: int, eps: float) -> list[np.ndarray]:
            w = [
                np.clip(cf.guided_filter(m, s, r, eps), 0, None) + 1e-12
                for m, s in zip(masks, sources, strict=True)
            ]
            return [x / (w[0] + w[1]) for x in w]

        wb, wd = weights(45, 0.3), weights(7, 1e-6)
        return sum(wb[i] * bases[i] + wd[i] * (sources[i] - bases[i]) for i in range(2))

    return run


CLASSICAL = {
    "Average": cf.average,
    "LP": cf.laplacian_pyramid,
    "DWT": cf.dwt,
    "GFF-11": gff_window(5),
    "GFF-23": gff_window(11),
}


def _eager(card: dict, state: dict, overrides: dict) -> torch.nn.Module:
    model = build_generator("fuse", **card["architecture"]["config"])
    model.load_state_dict(state)
    for k, v in overrides.items():
        setattr(model, k, v)
    return model.eval()


def load_spec(spec: str, overrides: dict) -> LoadedModel:
    path = Path(spec)
    if path.suffix == ".pt" and path.is_file():  # a training checkpoint: the generator from its config
        from stylefuse.training.config import TrainConfig

        state = torch.load(path, map_location="cpu", weights_only=True)  # as the trainer resumes
        cfg = TrainConfig.from_dict(json.loads(state["config"]))
        card = {"task": "fuse", "channels": 1, "architecture": {"config": cfg.generator_config()}}
        model = _eager(card, state["generator"], overrides)
        card |= {"spatial_multiple": model.multiple, "receptive_radius": 160}
        return LoadedModel(path.stem, card, model, path.parent)
    if path.is_dir():
        card = read_card(path)
        loaded = LoadedModel(path.name, card, torch.jit.load(str(path / "model.pt")).eval(), path)
    else:
        loaded = load_model(spec, "fuse")
    if overrides:
        module = _eager(loaded.card, loaded.module.state_dict(), overrides)
        return LoadedModel(loaded.name, loaded.card, module, loaded.folder)
    return loaded


def validation_pairs(set_name: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    folder = DATA / "fusion" / set_name
    da, db, _ = FUSION_SETS[set_name]
    return [
        (fa.name, load_u8(folder / da / fa.name), load_u8(folder / db / fa.name))
        for fa, _ in take_part(paired_files(folder / da, folder / db), "validation")
    ]


def gt_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(kind, a, b, truth) from the validation pairs' visible images."""
    photos = [resize_long(b, GT_SIDE) for s in ("TNO", "RoadScene") for _, _, b in validation_pairs(s)]
    cases = []
    for i, photo in enumerate(photos):
        h, w = photo.shape[:2]
        sd = (3.0, 3.0, 0) if photo.ndim == 3 else 3.0
        blurred = np.round(ndimage.gaussian_filter(photo.astype(np.float64), sd)).astype(np.uint8)
        yy, xx = np.mgrid[0:h, 0:w]
        for mask in (xx < w // 2, (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.3 * min(h, w)) ** 2):
            m = mask[..., None] if photo.ndim == 3 else mask
            cases.append(("focus", np.where(m, photo, blurred), np.where(m, blurred, photo), photo))
        chw = torch.from_numpy(photo.astype(np.float32) / 255.0)
        chw = chw[None] if chw.dim() == 2 else chw.permute(2, 0, 1)
        for fam_i, family in enumerate(EXPOSURE_FAMILIES):
            for d in range(EXPOSURE_DRAWS):
                gen = torch.Generator().manual_seed(1000 * i + 10 * fam_i + d)
                pair = [degrade(x, gen) for x in exposure_family_pair(chw, family, gen)]
                u8 = [
                    cf.to_u8(
                        x.permute(1, 2, 0).numpy().squeeze(-1)
                        if x.shape[0] == 1
                        else x.permute(1, 2, 0).numpy()
                    )
                    for x in pair
                ]
                cases.append((f"exposure {family}", u8[0], u8[1], photo))
    return cases


def gt_score(fused: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    f, t = fused.astype(np.float64), truth.astype(np.float64)
    return psnr(f, t, 255.0), ssim(f, t, 255.0)


def classical_scores(cache_path: Path) -> dict:
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    if "real" not in cache:
        real = {}
        for set_name in FUSION_SETS:
            for _, a, b in validation_pairs(set_name):
                for m, fn in CLASSICAL.items():
                    fused = cf.to_u8(cf.fuse_ycbcr(fn, a, b))
                    real.setdefault(set_name, {}).setdefault(m, []).append(fusion_metrics(fused, a, b))
        cache["real"] = real
        cache_path.write_text(json.dumps(cache))
    if "gt" not in cache:
        gt: dict = {}
        for kind, a, b, truth in gt_cases():
            results = {m: cf.to_u8(cf.fuse_ycbcr(fn, a, b)) for m, fn in CLASSICAL.items()}
            if kind.startswith("exposure"):
                results["Mertens"] = cf.to_u8(cf.mertens([a, b]))
            for m, fused in results.items():
                gt.setdefault(kind, {}).setdefault(m, []).append(gt_score(fused, truth))
        cache["gt"] = gt
        cache_path.write_text(json.dumps(cache))
    return cache


def model_scores(med: LoadedModel, gen: LoadedModel) -> dict:
    real: dict = {}
    for set_name in FUSION_SETS:
        model = med if FUSION_SETS[set_name][2] == "medical" else gen
        for _, a, b in validation_pairs(set_name):
            real.setdefault(set_name, []).append(fusion_metrics(fuse(a, b, model=model), a, b))
    gt: dict = {}
    for kind, a, b, truth in gt_cases():
        gt.setdefault(kind, []).append(gt_score(fuse(a, b, model=gen), truth))
    return {"real": real, "gt": gt}


def mean_metrics(rows: list[dict]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in FUSION_METRIC_NAMES}


def wins(ours: dict, theirs: dict) -> int:
    return sum(ours[k] > theirs[k] for k in FUSION_METRIC_NAMES)


def summarise(label: str, ours: dict, classical: dict) -> tuple[list[str], dict]:
    """Markdown lines and a flat dict of the numbers the ablation table reports."""
    lines, flat = [f"### {label}", ""], {}
    lines.append(
        "| set | vs Average | vs LP | vs GFF (stronger) | SSIM ours / GFF-23 / Avg | behind GFF on |"
    )
    lines.append("|---|---|---|---|---|---|")
    for set_name, rows in ours["real"].items():
        o = mean_metrics(rows)
        c = {m: mean_metrics(r) for m, r in classical["real"][set_name].items()}
        g = min(("GFF-11", "GFF-23"), key=lambda m: wins(o, c[m]))
        counts = (wins(o, c["Average"]), wins(o, c["LP"]), wins(o, c[g]))
        behind = [k for k in FUSION_METRIC_NAMES if o[k] <= c[g][k]]
        flat[set_name] = dict(zip(("avg", "lp", "gff"), counts, strict=True)) | {
            "ssim": o["SSIM"],
            "means": o,
        }
        lines.append(
            f"| {set_name} | {counts[0]} | {counts[1]} | {counts[2]} ({g}) | {o['SSIM']:.3f} / "
            f"{c['GFF-23']['SSIM']:.3f} / {c['Average']['SSIM']:.3f} | {', '.join(behind)} |"
        )
    lines += [
        "",
        "| pairs | ours PSNR / SSIM | best rival PSNR / SSIM | above all rivals |",
        "|---|---|---|---|",
    ]
    for kind, vals in ours["gt"].items():
        rivals = ["LP", "DWT", "GFF-11", "GFF-23"] + (["Average", "Mertens"] if kind != "focus" else [])
        mp, ms = np.mean([v[0] for v in vals]), np.mean([v[1] for v in vals])
        rv = {
            r: (
                np.mean([v[0] for v in classical["gt"][kind][r]]),
                np.mean([v[1] for v in classical["gt"][kind][r]]),
            )
            for r in rivals
        }
        best = max(rivals, key=lambda r: rv[r][0])
        ok = all(mp > rv[r][0] and ms > rv[r][1] for r in rivals)
        flat[kind] = dict(psnr=float(mp), ssim=float(ms), ok=bool(ok))
        lines.append(
            f"| {kind} (n={len(vals)}) | {mp:.2f} / {ms:.4f} | {best} {rv[best][0]:.2f} / {rv[best][1]:.4f} | {'yes' if ok else 'no'} |"
        )
    return lines + [""], flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", default=[], help="LABEL=SPEC or LABEL=MEDICAL+GENERAL")
    parser.add_argument("--set", action="append", default=[], help="attr=value on every eager model")
    parser.add_argument(
        "--cache", default=str(Path(__file__).parent / "results" / "fusion_validation_cache.json")
    )
    parser.add_argument("--json", default="", help="append the summary numbers to this JSON file")
    args = parser.parse_args(argv)
    overrides = {k: float(v) for k, v in (s.split("=") for s in args.set)}
    torch.set_num_threads(max(1, torch.get_num_threads()))
    classical = classical_scores(Path(args.cache))
    out = json.loads(Path(args.json).read_text()) if args.json and Path(args.json).is_file() else {}
    for item in args.model:
        label, spec = item.split("=", 1)
        med_spec, _, gen_spec = spec.partition("+")
        med = load_spec(med_spec, overrides)
        gen = load_spec(gen_spec, overrides) if gen_spec else med
        with torch.inference_mode():
            ours = model_scores(med, gen)
        lines, flat = summarise(label + (f" ({', '.join(args.set)})" if args.set else ""), ours, classical)
        print("\n".join(lines), flush=True)
        out[label] = flat
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
