"""Fusion metrics on the held-out halves of the shared pairs: a fusion model vs Average and Max.

    .venv/bin/python benchmarks/fusion_heldout.py [--data ../shared/data/fusion] [--model fuse-medical]

The model was trained on the first half of each folder (`--split first-half`); this scores the second
half, with the eight metrics as the fusion literature computes them (stylefuse.metrics), all methods
through the same code. Prints a Markdown table (means over the pairs). Run by hand, not by CI.
"""

import argparse
from pathlib import Path

import numpy as np

from stylefuse.data import paired_files, take_part
from stylefuse.io import read_image
from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics, to_grey_u8
from stylefuse.pipeline import fuse
from stylefuse.registry import load_model

SETS = {"MRI_CT": ("MRI", "CT"), "MRI_PET": ("MRI", "PET"), "MRI_SPECT": ("MRI", "SPECT")}


def squeeze_grey(img: np.ndarray) -> np.ndarray:
    """The shared PNGs store grey images as R = G = B; hand those to the pipeline as grey."""
    if img.ndim == 3 and img.shape[2] == 3 and (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all():
        return img[..., 0]
    return img


def baselines(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    ga, gb = to_grey_u8(a), to_grey_u8(b)
    return {"Average": np.round((ga + gb) / 2).astype(np.uint8), "Max": np.maximum(ga, gb).astype(np.uint8)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "fusion"))
    parser.add_argument("--model", default="fuse-medical")
    args = parser.parse_args()
    model = load_model(args.model, task="fuse")
    print(f"| set | method | {' | '.join(FUSION_METRIC_NAMES)} |")
    print("|---|---|" + "---|" * len(FUSION_METRIC_NAMES))
    for name, (da, db) in SETS.items():
        folder = Path(args.data) / name
        scores: dict[str, list[dict]] = {}
        for fa, fb in take_part(paired_files(folder / da, folder / db), "second-half"):
            a, b = squeeze_grey(read_image(fa).array), squeeze_grey(read_image(fb).array)
            results = {f"stylefuse {args.model}": fuse(a, b, model=model), **baselines(a, b)}
            for method, fused in results.items():
                scores.setdefault(method, []).append(fusion_metrics(fused, a, b))
        n = len(next(iter(scores.values())))
        for method, rows in scores.items():
            means = [np.mean([r[k] for r in rows]) for k in FUSION_METRIC_NAMES]
            print(f"| {name} (n={n}) | {method} | " + " | ".join(f"{m:.3f}" for m in means) + " |")


if __name__ == "__main__":
    main()
