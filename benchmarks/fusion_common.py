"""What the fusion sections of the quality benchmark share: the validation/test split, the methods
run on every pair (stylefuse's default, the per-model rows, the classical methods), and the rule that
picks the stronger GFF variant.

Split (`--split`, default test):

- test: the second halves of the shared sets (`take_part(..., "second-half")`; the fusion models
  train on the first halves) and the test photos below for the pairs with a ground truth. Numbers
  the README quotes come from here; nothing is tuned on them.
- validation: `take_part(..., "validation")` of each shared set, the last quarter of its first half
  (models whose settings are chosen here train on "train", the rest of the first half; where the
  data package has no such part, the whole first half), and other photos: the scikit-image photos in
  VALIDATION_PHOTOS (never trained on, not in the test list; the other offline ones are training
  photos, synthetic drawings or `cat`, which is `chelsea`) and the first validation frames of
  RoadScene/vi (colour) and TNO/vi (grey). Hyper-parameters (ramps, thresholds, steps) are chosen
  here. The shipped models trained on whole first halves (fuse-general also made its synthetic pairs
  from RoadScene/vi and TNO/vi), so their validation scores are optimistic: use them to compare
  settings, not to claim results.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import classical_fusion as cf
import numpy as np
from bench_images import load_u8, resize_long, skimage_photo

from stylefuse.data import paired_files, take_part
from stylefuse.errors import UserError
from stylefuse.metrics import FUSION_METRIC_NAMES
from stylefuse.pipeline import fuse
from stylefuse.registry import default_model_name

SPLITS = ("test", "validation")
PART = {"test": "second-half", "validation": "validation"}
# Ground-truth photos (scikit-image). `cat` is the same picture as `chelsea`, so it is in neither list.
TEST_PHOTOS = {
    "colour": ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle"),
    "grey": ("camera", "coins", "moon"),
}
VALIDATION_PHOTOS = {"colour": ("hubble_deep_field", "immunohistochemistry", "retina"), "grey": ()}
VALIDATION_FRAMES = {"colour": ("RoadScene", "vi", 2), "grey": ("TNO", "vi", 2)}  # set, folder, count
DEFAULT = "stylefuse default"
CLASSICAL = ("Average", "Max", "LP", "DWT", "GFF", "GFF-23")


def pairs_of(data: Path, set_name: str, da: str, db: str, split: str) -> list[tuple[Path, Path]]:
    folder = Path(data) / "fusion" / set_name
    pairs = paired_files(folder / da, folder / db)
    try:
        return take_part(pairs, PART[split])
    except UserError:  # an older take_part without the validation quarter
        return take_part(pairs, "first-half")


def gt_photos(split: str, data: Path, quick: bool) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 photo) for the ground-truth pairs of `split`: colour ones first."""
    names = TEST_PHOTOS if split == "test" else VALIDATION_PHOTOS
    out: list[tuple[str, np.ndarray]] = []
    for kind in ("colour", "grey"):
        picked = [(n, skimage_photo(n)) for n in names[kind]]
        if split == "validation":
            set_name, sub, count = VALIDATION_FRAMES[kind]
            folder = Path(data) / "fusion" / set_name
            if folder.is_dir():
                frames = [fa for fa, _ in pairs_of(data, set_name, sub, sub, split)][:count]
                picked += [(f"{set_name}/{f.name}", load_u8(f)) for f in frames]
        out += picked[:1] if quick else picked
    return out


def sized(photo: np.ndarray, quick: bool) -> np.ndarray:
    return resize_long(photo, 192 if quick else 384)


def classical_results(a: np.ndarray, b: np.ndarray, methods=CLASSICAL) -> dict[str, np.ndarray]:
    return {m: cf.to_u8(cf.fuse_ycbcr(cf.GREY_METHODS[m], a, b)) for m in methods}


def rule_choice(a: np.ndarray, b: np.ndarray) -> str:
    """What the pair-aware default rule says for (a, b) ("kind -> model"), if core has one, else the
    registry's default; `ran_as` says which model `fuse(a, b)` actually ran."""
    try:
        from stylefuse import fusion_kind
    except ImportError:
        return default_model_name("fuse")
    return f"{fusion_kind.classify_fusion_pair(a, b)} -> {fusion_kind.default_fusion_model(a, b)}"


def ran_as(results: dict[str, np.ndarray]) -> str:
    """The model whose own row is identical to the default's output: what `fuse(a, b)` ran."""
    default = results[DEFAULT]
    same = [
        k.removeprefix("stylefuse ")
        for k, v in results.items()
        if k != DEFAULT and np.array_equal(v, default)
    ]
    return same[0] if same else "unidentified"


def model_results(models: list[str], a: np.ndarray, b: np.ndarray, ran: Counter, rule: Counter) -> dict:
    """stylefuse's default (no model named, the way a user calls it) and each named model's row."""
    out = {DEFAULT: fuse(a, b)}
    for model in models:
        out[f"stylefuse {model}"] = fuse(a, b, model=model)
    ran[ran_as(out)] += 1
    rule[rule_choice(a, b)] += 1
    return out


def strictly_better(ours: dict[str, float], theirs: dict[str, float]) -> list[str]:
    return [k for k in FUSION_METRIC_NAMES if ours[k] > theirs[k]]


def stronger_gff(means: dict[str, dict[str, float]], ours: str = DEFAULT) -> str:
    """The GFF variant that wins more of the 8 metrics against the other; on a tie the one `ours`
    beats on fewer metrics (the harder one to beat), then the paper's."""
    a, b = cf.GFF_VARIANTS
    wins_a, wins_b = len(strictly_better(means[a], means[b])), len(strictly_better(means[b], means[a]))
    if wins_a != wins_b:
        return a if wins_a > wins_b else b
    if ours in means:
        beat_a = len(strictly_better(means[ours], means[a]))
        beat_b = len(strictly_better(means[ours], means[b]))
        if beat_a != beat_b:
            return a if beat_a < beat_b else b
    return a


def picks_text(picks: Counter) -> str:
    return ", ".join(f"`{name}` x{n}" for name, n in picks.most_common()) or "n/a"
