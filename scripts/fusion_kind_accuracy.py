"""Accuracy of the automatic fusion rule's pair classifier (stylefuse.fusion_kind) per set.

Real pairs: every pair of ../shared/data/fusion (MRI_CT, MRI_PET, MRI_SPECT -> medical; TNO, RoadScene
-> infrared-visible), read as the CLI reads them. Synthetic pairs from scikit-image photos (long side
384, as benchmarks/fusion_quality.py makes them): multi-focus = complementary left/right halves and a
centre disc Gaussian-blurred (sd 1.5, 3 and 5 px); multi-exposure = 2 EV under/over in linear light
(gamma 2.2, clipped) and the issue's gamma-gain curves (under clip(g x^gamma), gamma 1.5-2.4, g 0.45-0.8;
over gamma 0.45-0.7, g 1.3-2.0). The rule is not trained: this only measures it. "model right" counts
pairs given the model their true kind gets (photo kinds share one model in the shipped cards).

    .venv/bin/python scripts/fusion_kind_accuracy.py [--data ../shared/data/fusion] [--show-misses]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from stylefuse.fusion_kind import explain_fusion_pair
from stylefuse.io import read_image
from stylefuse.model_choice import fusion_model_for_kind
from stylefuse.registry import installed_models

ROOT = Path(__file__).resolve().parents[1]
REAL_SETS = {  # set -> (a folder, b folder, expected kind)
    "MRI_CT": ("MRI", "CT", "medical"),
    "MRI_PET": ("MRI", "PET", "medical"),
    "MRI_SPECT": ("MRI", "SPECT", "medical"),
    "TNO": ("ir", "vi", "infrared-visible"),
    "RoadScene": ("ir", "vi", "infrared-visible"),
}
PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "camera", "coins", "moon",
    "brick", "grass", "gravel", "text", "page", "clock", "cell", "immunohistochemistry",
)  # fmt: skip


def real_pairs(data: Path, name: str):
    fa, fb, _ = REAL_SETS[name]
    for path in sorted((data / name / fa).iterdir()):
        yield path.name, read_image(path).array, read_image(data / name / fb / path.name).array


def photo(name: str, side: int = 384) -> np.ndarray:
    import skimage.data
    from PIL import Image

    img = getattr(skimage.data, name)()
    img = np.asarray(img[0] if isinstance(img, tuple) else img)
    h, w = img.shape[:2]
    scale = side / max(h, w)
    return np.asarray(Image.fromarray(img).resize((round(w * scale), round(h * scale)), Image.LANCZOS))


def focus_pairs(img: np.ndarray, sigma: float):
    from scipy import ndimage

    h, w = img.shape[:2]
    blurred = ndimage.gaussian_filter(img.astype(np.float64), (sigma, sigma, 0)[: img.ndim])
    blurred = np.round(blurred).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    for kind, mask in (
        ("halves", xx < w // 2),
        ("disc", (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (0.3 * min(h, w)) ** 2),
    ):
        m = mask[..., None] if img.ndim == 3 else mask
        yield f"{kind} sd {sigma}", np.where(m, img, blurred), np.where(m, blurred, img)


def exposure_pairs(img: np.ndarray, rng: np.random.Generator):
    def u8(x):
        return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)

    x = img.astype(np.float64) / 255.0
    linear = x**2.2
    yield "2 EV", u8((linear * 0.25) ** (1 / 2.2)), u8(np.clip(linear * 4, 0, 1) ** (1 / 2.2))
    for k in range(2):
        g_under, gain_under = rng.uniform(1.5, 2.4), rng.uniform(0.45, 0.8)
        g_over, gain_over = rng.uniform(0.45, 0.7), rng.uniform(1.3, 2.0)
        yield f"gamma-gain {k}", u8(gain_under * x**g_under), u8(gain_over * x**g_over)


def synthetic_sets():
    rng = np.random.default_rng(17)
    focus, exposure = [], []
    for name in PHOTOS:
        img = photo(name)
        for sigma in (1.5, 3.0, 5.0):
            focus += [(f"{name} {k}", a, b) for k, a, b in focus_pairs(img, sigma)]
        exposure += [(f"{name} {k}", a, b) for k, a, b in exposure_pairs(img, rng)]
    return {
        "multi-focus (synthetic)": ("multi-focus", focus),
        "multi-exposure (synthetic)": ("multi-exposure", exposure),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "fusion")
    p.add_argument("--show-misses", action="store_true")
    args = p.parse_args()
    sets = {}
    if args.data.is_dir():
        sets = {name: (REAL_SETS[name][2], list(real_pairs(args.data, name))) for name in REAL_SETS}
    else:
        print(f"no real pairs at {args.data}: synthetic sets only")
    sets.update(synthetic_sets())
    models = installed_models()
    print(
        "| set | expected | pairs | kind right | model right | classified as |\n|---|---|---:|---:|---:|---|"
    )
    for name, (expected, pairs) in sets.items():
        kinds = [(pair, explain_fusion_pair(a, b)) for pair, a, b in pairs]
        right = sum(k.kind == expected for _, k in kinds)
        want = fusion_model_for_kind(expected, models)
        model_right = sum(fusion_model_for_kind(k.kind, models) == want for _, k in kinds)
        seen = ", ".join(f"{kind} {n}" for kind, n in Counter(k.kind for _, k in kinds).most_common())
        print(
            f"| {name} | {expected} | {len(kinds)} | {right} ({100 * right / len(kinds):.1f} %) | "
            f"{model_right} ({100 * model_right / len(kinds):.1f} %, {want}) | {seen} |"
        )
        if args.show_misses:
            for pair, k in kinds:
                if k.kind != expected:
                    print(f"    miss {pair}: {k.why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
