"""The automatic fusion rule: the pair classifier (stylefuse.fusion_kind) on generated images (always)
and on real pairs of ../shared/data/fusion (when the folder is there), and the kind -> model step."""

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from stylefuse.fusion_kind import KINDS, classify_fusion_pair, default_fusion_model, explain_fusion_pair
from stylefuse.model_choice import ModelInfo, fusion_model_for_kind

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "fusion"


def field(h: int, w: int, seed: int, sigma: float = 6.0) -> np.ndarray:
    """A smooth random scene in 0..1 (a natural-looking picture: no black background)."""
    rng = np.random.default_rng(seed)
    x = ndimage.gaussian_filter(rng.normal(size=(h, w)), sigma) + 0.3 * ndimage.gaussian_filter(
        rng.normal(size=(h, w)), 1.5
    )
    return (x - x.min()) / (x.max() - x.min())


def u8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


def photo(h: int = 160, w: int = 200, seed: int = 1) -> np.ndarray:
    base = field(h, w, seed)
    return u8(np.stack([base, 0.8 * base + 0.2 * field(h, w, seed + 1), 0.6 * base + 0.2], axis=-1))


def scan(h: int = 160, w: int = 160, seed: int = 3, colour: bool = False) -> np.ndarray:
    """A slice: a head surrounded by black, tissue inside (a colour blob for PET/SPECT)."""
    yy, xx = np.mgrid[0:h, 0:w]
    head = ((yy - h / 2) / (0.38 * h)) ** 2 + ((xx - w / 2) / (0.32 * w)) ** 2 < 1
    grey = np.where(head, 0.3 + 0.6 * field(h, w, seed), 0.0)
    if not colour:
        return u8(grey)
    blob = np.exp(-(((yy - h * 0.45) / (0.1 * h)) ** 2 + ((xx - w * 0.55) / (0.12 * w)) ** 2))
    return u8(np.stack([grey * 0.3 + blob, grey * 0.6, grey * 0.2 + 0.5 * blob * head], axis=-1))


def test_medical_scans_by_black_background_and_border():
    assert classify_fusion_pair(scan(seed=3), scan(seed=4)) == "medical"  # MRI + CT
    pair = explain_fusion_pair(scan(seed=3), scan(seed=5, colour=True))  # MRI + PET in colour
    assert pair.kind == "medical" and "black" in pair.why


@pytest.mark.parametrize(
    "a, b",
    [
        (np.full((40, 44), 900, np.uint16), np.full((40, 44), 300, np.uint16)),  # 16-bit
        (np.full((3, 36, 40), -1000, np.int16), np.full((3, 36, 40), 40, np.int16)),  # CT in HU, stacks
        (np.full((30, 30), 3.5, np.float32), np.zeros((30, 30), np.float32)),  # float beyond 0..1
    ],
)
def test_non_picture_data_is_medical(a, b):
    pair = explain_fusion_pair(a, b, is_stack=a.ndim == 3)
    assert pair.kind == "medical" and "not an 8-bit picture" in pair.why


def test_multi_focus_and_multi_exposure_pairs_of_one_scene():
    img = photo()
    blurred = u8(ndimage.gaussian_filter(img / 255.0, (3, 3, 0)))
    left = np.zeros(img.shape[:2], bool)
    left[:, : img.shape[1] // 2] = True
    near, far = np.where(left[..., None], img, blurred), np.where(left[..., None], blurred, img)
    assert explain_fusion_pair(near, far).kind == "multi-focus"
    x = img / 255.0
    under, over = u8(0.6 * x**1.8), u8(1.6 * x**0.55)
    pair = explain_fusion_pair(under, over)
    assert pair.kind == "multi-exposure" and "brightness differs" in pair.why
    # float pictures in 0..1 are pictures too
    assert classify_fusion_pair(under / 255.0, over.astype(np.float32) / 255) == "multi-exposure"


def test_infrared_visible_two_modalities_of_a_scene():
    visible = photo(seed=7)
    h, w = visible.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    warm = ((yy - 90) ** 2 + (xx - 60) ** 2 < 18**2) | ((yy - 50) ** 2 + (xx - 150) ** 2 < 12**2)
    # thermal: its own smooth background, warm objects bright where the visible image has other structure
    infrared = u8(0.25 + 0.3 * field(h, w, 11, sigma=12) + 0.45 * warm)
    pair = explain_fusion_pair(infrared, visible)
    assert pair.kind == "infrared-visible", pair.why
    assert classify_fusion_pair(infrared[..., None], visible) == "infrared-visible"  # H x W x 1 too


def test_stacks_are_read_by_their_middle_slice_and_sizes_may_differ():
    a = np.stack([scan(seed=s) for s in range(3)])
    b = np.stack([scan(seed=s + 5) for s in range(3)])
    assert classify_fusion_pair(a, b, is_stack=True) == "medical"
    assert classify_fusion_pair(scan(120, 100), scan(60, 50, seed=8)) == "medical"  # resample=True pairs
    assert classify_fusion_pair(np.zeros((0, 5), np.uint8), np.zeros((0, 5), np.uint8)) in KINDS


def test_kind_to_model_follows_the_cards():
    med = ModelInfo("fuse-medical", "fuse", 1, default=True, kinds=("medical",))
    gen = ModelInfo("fuse-general", "fuse", 1, kinds=("infrared-visible", "multi-focus", "multi-exposure"))
    style = ModelInfo("udnie", "style", 3, True, True)
    models = [gen, med, style]
    assert fusion_model_for_kind("medical", models) == "fuse-medical"
    assert fusion_model_for_kind("multi-exposure", models) == "fuse-general"
    assert fusion_model_for_kind("unknown-kind", models) == "fuse-medical"  # no card lists it: the default
    one = ModelInfo("fuse-all", "fuse", 1, kinds=KINDS)  # one model for every kind: the rule just picks it
    assert {fusion_model_for_kind(k, [med, one]) for k in KINDS} == {"fuse-medical", "fuse-all"}
    assert {fusion_model_for_kind(k, [one, ModelInfo("old", "fuse", 1, default=True)]) for k in KINDS} == {
        "fuse-all"
    }
    no_kinds = [ModelInfo("a", "fuse", 1), ModelInfo("b", "fuse", 1, default=True)]
    assert fusion_model_for_kind("medical", no_kinds) == "b"  # cards without kinds: the marked default


def test_shipped_defaults_are_auto_with_the_medical_fallback():
    from stylefuse.registry import default_model_name, installed_models, read_defaults

    marked, auto = read_defaults()
    assert auto == {"fuse"} and marked == {"style": "udnie", "fuse": "fuse-medical"}
    assert default_model_name("fuse") == "fuse-medical"  # no images at hand: the fallback
    kinds = {m.name: set(m.kinds) for m in installed_models() if m.task == "fuse"}
    assert set().union(*kinds.values()) >= set(KINDS)  # every kind has a shipped model
    assert default_fusion_model(scan(), scan(seed=9, colour=True)) == "fuse-medical"
    assert default_fusion_model(photo(), u8(photo() / 255.0 * 0.4)) == "fuse-general"


REAL = {  # set -> (a folder, b folder, kind): the first three pairs of each (all: scripts/fusion_kind_accuracy.py)
    "MRI_CT": ("MRI", "CT", "medical"),
    "MRI_PET": ("MRI", "PET", "medical"),
    "MRI_SPECT": ("MRI", "SPECT", "medical"),
    "TNO": ("ir", "vi", "infrared-visible"),
    "RoadScene": ("ir", "vi", "infrared-visible"),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_pairs(name):
    if not (DATA / name).is_dir():
        pytest.skip(f"no shared fusion data at {DATA / name} (the project's ../shared/data/fusion)")
    from stylefuse.io import read_image

    fa, fb, kind = REAL[name]
    for path in sorted((DATA / name / fa).iterdir())[:3]:
        pair = explain_fusion_pair(read_image(path).array, read_image(DATA / name / fb / path.name).array)
        assert pair.kind == kind, f"{name}/{path.name}: {pair.why}"
