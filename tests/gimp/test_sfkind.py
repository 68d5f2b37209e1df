"""The plug-in's standard-library copy of the automatic fusion rule (sfkind.py) agrees with the core's
(stylefuse.fusion_kind, stylefuse.model_choice.fusion_model_for_kind): kinds and models, on generated
pairs of every kind and, when the shared data is there, on real pairs."""

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "gimp_plugin" / "stylefuse-gimp"))
sys.path.insert(0, str(REPO / "tests" / "unit"))

import sfclient  # noqa: E402
import sfkind  # noqa: E402
from test_fusion_kind import DATA, REAL, photo, scan, u8  # noqa: E402

from stylefuse.fusion_kind import KINDS, classify_fusion_pair  # noqa: E402
from stylefuse.model_choice import ModelInfo, fusion_model_for_kind  # noqa: E402

DATATYPE = {np.uint8: "UINT8", np.uint16: "UINT16", np.float32: "FP32"}


def as_image(x: np.ndarray) -> sfclient.Image:
    """What the plug-in reads from a layer: H x W x C in native byte order."""
    x = x if x.ndim == 3 else x[..., None]
    return sfclient.Image(x.shape[0], x.shape[1], x.shape[2], DATATYPE[x.dtype.type], x.tobytes())


def pairs():
    from scipy import ndimage

    img = photo()
    blurred = u8(ndimage.gaussian_filter(img / 255.0, (3, 3, 0)))
    left = (np.arange(img.shape[1]) < img.shape[1] // 2)[None, :, None]
    x = img / 255.0
    yield "scans", scan(seed=3), scan(seed=5, colour=True)
    yield "focus", np.where(left, img, blurred), np.where(left, blurred, img)
    yield "exposure", u8(0.6 * x**1.8), u8(1.6 * x**0.55)
    yield (
        "exposure float",
        (0.6 * x**1.8).astype(np.float32),
        (np.clip(1.6 * x**0.55, 0, 1)).astype(np.float32),
    )
    yield "ir-vis", u8(0.3 + 0.5 * (img[..., 0] / 255.0) ** 3)[::-1], img
    yield "16-bit", scan().astype(np.uint16) * 257, scan(seed=4).astype(np.uint16) * 257
    yield "float beyond 1", np.full((20, 30), 4.0, np.float32), np.zeros((20, 30), np.float32)


@pytest.mark.parametrize("name, a, b", list(pairs()), ids=[p[0] for p in pairs()])
def test_stdlib_classifier_agrees_with_the_core(name, a, b):
    assert sfkind.classify(as_image(a), as_image(b)) == classify_fusion_pair(a, b)


def test_all_kinds_are_covered_and_the_kind_to_model_step_agrees():
    assert {classify_fusion_pair(a, b) for _, a, b in pairs()} == set(KINDS)
    params = {"fuse-general": "infrared-visible,multi-focus,multi-exposure", "fuse-medical": "medical"}
    served = [
        sfclient.ModelInfo(n, "fuse", 1, False, n == "fuse-medical", parameters={"kinds": k} if k else {})
        for n, k in (*params.items(), ("other", ""))
    ]
    core = [ModelInfo(m.name, "fuse", 1, False, m.default, sfkind.kinds_of(m)) for m in served]
    for kind in (*KINDS, "unknown"):
        assert sfkind.model_for_kind(kind, served) == fusion_model_for_kind(kind, core)
    assert sfkind.model_for_kind("medical", []) is None


def test_real_pairs_agree():
    if not DATA.is_dir():
        pytest.skip(f"no shared fusion data at {DATA}")
    from stylefuse.io import read_image

    for name, (fa, fb, _) in REAL.items():
        for path in sorted((DATA / name / fa).iterdir())[:2]:
            a, b = read_image(path).array, read_image(DATA / name / fb / path.name).array
            assert sfkind.classify(as_image(a), as_image(b)) == classify_fusion_pair(a, b), (
                f"{name}/{path.name}"
            )
