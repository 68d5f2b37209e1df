"""The fusion benchmark's own pieces (benchmarks/exposure_pairs.py, benchmarks/fusion_common.py and
the GFF variants of benchmarks/classical_fusion.py): tone curves, pair determinism, the GFF saliency
windows, the stronger-GFF rule and which tone-curve families a model card says it trained on."""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import classical_fusion as cf  # noqa: E402
import exposure_pairs as ep  # noqa: E402
import fusion_common as fc  # noqa: E402


def photo(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / np.array([h - 1, w - 1])[:, None, None]
    rgb = np.stack([0.1 + 0.8 * x, 0.2 + 0.6 * y, 0.5 + 0.3 * np.sin(6 * x * y)], axis=-1)
    return np.round(np.clip(rgb + rng.normal(0, 0.03, rgb.shape), 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("family", list(ep.FAMILIES))
@pytest.mark.parametrize("strong", [False, True])
def test_tone_curves_are_monotone_and_under_is_darker_than_over(family, strong):
    ramp = np.linspace(0.0, 1.0, 257)
    under, over, _ = ep.FAMILIES[family].curve(ramp, ep.Draw(np.random.default_rng(3), strong))
    for curve in (under, over):
        assert np.all(np.diff(curve) >= -1e-12)  # a tone curve never reverses the order of grey levels
        assert curve.min() >= 0.0 and curve.max() <= 1.0
    assert under.mean() < ramp.mean() < over.mean()


def test_strong_pairs_are_harsher_than_moderate_ones():
    p = photo()
    gaps = {}
    for strong in (False, True):
        pairs = [ep.exposure_pair(p, "x", "gamma-gain", strong, draw=i) for i in range(4)]
        gaps[strong] = np.mean([pr.over.mean() - pr.under.mean() for pr in pairs])
    assert gaps[True] > gaps[False]


@pytest.mark.parametrize("family", list(ep.FAMILIES))
def test_pairs_are_deterministic_8_bit_and_differ_by_photo_name(family):
    p = photo()
    one, two = ep.exposure_pair(p, "a", family, True), ep.exposure_pair(p, "a", family, True)
    assert one.under.dtype == np.uint8 and one.under.shape == p.shape
    np.testing.assert_array_equal(one.under, two.under)
    np.testing.assert_array_equal(one.over, two.over)
    other = ep.exposure_pair(p, "b", family, True)
    assert not np.array_equal(one.over, other.over)
    grey = ep.exposure_pair(p[..., 0], "a", family, False)
    assert grey.under.shape == p.shape[:2]


def test_paper_gff_keeps_its_11x11_window_and_the_wide_one_differs():
    rng = np.random.default_rng(1)
    sharp = rng.random((40, 50))
    blurred = ndimage.gaussian_filter(sharp, 2)
    left = np.arange(50)[None, :] < 25  # each source sharp on one side: the windows differ at the seam
    a, b = np.where(left, sharp, blurred), np.where(left, blurred, sharp)
    # the paper's saliency window: Gaussian sd 5 cut at radius 5 (scipy's truncate=1.0)
    lap = np.abs(ndimage.convolve(a, cf._LAPLACIAN_3X3, mode="reflect"))
    np.testing.assert_allclose(
        ndimage.gaussian_filter(lap, sigma=5, radius=5), ndimage.gaussian_filter(lap, sigma=5, truncate=1.0)
    )
    assert not np.allclose(cf.gff(a, b), cf.gff_wide(a, b))
    np.testing.assert_allclose(cf.gff_wide(a, a), a, atol=1e-9)


def means(values: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    names = ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM")
    return {m: dict(zip(names, v, strict=True)) for m, v in values.items()}


def test_stronger_gff_is_the_one_winning_more_metrics_then_the_harder_to_beat():
    m = means({"GFF": [1, 1, 1, 1, 1, 0, 0, 0], "GFF-23": [0, 0, 0, 0, 0, 1, 1, 1]})
    assert fc.stronger_gff(m) == "GFF"
    tie = means(
        {
            "GFF": [1, 1, 1, 1, 0, 0, 0, 0],
            "GFF-23": [0, 0, 0, 0, 1, 1, 1, 1],
            fc.DEFAULT: [2, 2, 2, 2, 0.5, 0.5, 0.5, 0.5],  # beats GFF on 8, GFF-23 on 4
        }
    )
    assert fc.stronger_gff(tie) == "GFF-23"


def test_seen_families_come_from_the_card():
    assert ep.seen_by({"training": {"config": {}}}) == (set(), [])
    assert ep.seen_by({"training": {"config": {"synthetic": ["x"]}}}) == ({"linear-ev"}, [])
    card = {"training": {"config": {"synthetic": ["x"], "exposure_families": "linear,gamma-gain,s-curve"}}}
    assert ep.seen_by(card) == ({"linear-ev", "gamma-gain"}, ["s-curve"])


def test_validation_and_test_photos_do_not_overlap():
    test = set(fc.TEST_PHOTOS["colour"] + fc.TEST_PHOTOS["grey"])
    validation = set(fc.VALIDATION_PHOTOS["colour"] + fc.VALIDATION_PHOTOS["grey"])
    assert not test & validation
    assert "cat" not in test | validation  # scikit-image's cat is chelsea
