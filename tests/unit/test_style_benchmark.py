"""The style benchmark's texture scores, trivial baseline, collage share and held-out data
(benchmarks/texture_metrics.py, benchmarks/collage.py, benchmarks/paintings.py): hand-made cases
that fail when a score stops measuring what it says."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from scipy.stats import wasserstein_distance

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import collage as cl  # noqa: E402
import paintings  # noqa: E402
import texture_metrics as tm  # noqa: E402


def u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 255), 0, 255).astype(np.uint8)


def stripes(h=96, w=96, period=8.0, vertical=True, colour=(1.0, 0.6, 0.2), phase=0.0) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(float)
    t = x if vertical else y
    v = 0.5 + 0.4 * np.sin(2 * np.pi * t / period + phase)
    return u8(v[..., None] * np.array(colour))


def texture(h, w, seed, sigma=1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.random((h, w, 3)), (sigma, sigma, 0))
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    return u8(noise)


def photo_like(h=96, w=96) -> np.ndarray:
    """Smooth gradients and a few sharp-edged shapes: the photo of these tests."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h - 1, w - 1])[:, None, None]
    disc = ((y - 0.4) ** 2 + (x - 0.6) ** 2 < 0.06).astype(float)
    box = ((np.abs(y - 0.75) < 0.1) & (np.abs(x - 0.25) < 0.15)).astype(float)
    rgb = np.stack([0.2 + 0.6 * x, 0.3 + 0.5 * disc, 0.7 - 0.5 * y + 0.3 * box], axis=-1)
    return u8(np.clip(rgb, 0, 1))


# ------------------------------------------------------------------ texture #2: orientation


def test_orientation_distance_sees_stroke_direction_not_colour():
    vertical = stripes(vertical=True)
    assert tm.orientation_distance(vertical, vertical) == pytest.approx(0.0, abs=1e-12)
    recoloured = stripes(vertical=True, colour=(0.1, 0.3, 0.9), phase=1.0, period=8.0)
    horizontal = stripes(vertical=False)
    assert tm.orientation_distance(recoloured, vertical) < 0.05
    assert tm.orientation_distance(horizontal, vertical) > 0.8


def test_orientation_histograms_sum_to_one_per_scale():
    h = tm.orientation_histograms(photo_like())
    assert h.shape == (len(tm.ORIENTATION_SCALES), tm.ORIENTATION_BINS * (len(tm.COHERENCE_EDGES) - 1))
    np.testing.assert_allclose(h.sum(1), 1.0)


def test_chi_square_bounds():
    p = np.array([1.0, 0.0, 0.0])
    assert tm.chi_square(p, p) == 0.0
    assert tm.chi_square(p, np.array([0.0, 0.5, 0.5])) == pytest.approx(1.0)


# ------------------------------------------------------------------ texture #1: random-net Gram of the flow


def test_flow_gram_distance_sees_direction_and_ignores_colour_and_shift():
    vertical = stripes(vertical=True)
    assert tm.flow_gram_distance(vertical, vertical) == pytest.approx(0.0, abs=1e-12)
    shifted_recoloured = stripes(vertical=True, colour=(0.2, 0.9, 0.4), phase=2.0)
    rotated = stripes(vertical=False)
    near, far = tm.flow_gram_distance(shifted_recoloured, vertical), tm.flow_gram_distance(rotated, vertical)
    assert near < 0.1 < 0.5 < far


def test_random_net_is_its_own():
    """Seed and shape differ from every training net and from the older benchmark net."""
    import style_metrics as sm

    from stylefuse.losses import style as style_loss

    assert tm.GRAM_B_SEED not in (1234, style_loss.TEXTURE_SEED, sm.TEXTURE_SEED)
    assert tm.GRAM_B_WIDTHS not in ((32, 64, 128, 256), style_loss.TEXTURE_WIDTHS, sm.TEXTURE_WIDTHS)
    a, b = tm.GramNetB(), tm.GramNetB()
    assert all(
        np.array_equal(x.weight.numpy(), y.weight.numpy()) for x, y in zip(a.convs, b.convs, strict=True)
    )


# ------------------------------------------------------------------ the band-histogram baseline


def test_band_histogram_transfer_takes_the_bands_not_the_layout():
    photo, painting = photo_like(), texture(80, 112, seed=3)
    out = tm.band_histogram_transfer(photo, painting)
    assert out.dtype == np.uint8 and out.shape == photo.shape

    # the fine bands' distributions (sigma 1, 2, 4; the coarser ones are mostly border on images
    # this small) move towards the painting's ...
    def bands(im):
        return tm.dog_bands(im.astype(float).mean(-1) / 255)[:3]

    for b_photo, b_out, b_painting in zip(bands(photo), bands(out), bands(painting), strict=True):
        before = wasserstein_distance(b_photo.ravel(), b_painting.ravel())
        assert wasserstein_distance(b_out.ravel(), b_painting.ravel()) < 0.8 * before
    # ... while the large-scale layout stays the photo's (no patch of the painting is used)
    big = [ndimage.gaussian_filter(im.astype(float).mean(-1), 6) for im in (photo, out, painting[:96, :96])]
    assert np.corrcoef(big[0].ravel(), big[1].ravel())[0, 1] > 0.8


def test_match_values_is_exact_histogram_matching():
    rng = np.random.default_rng(0)
    values, target = rng.random(1000), rng.normal(size=1000)
    out = tm.match_values(values, target)
    np.testing.assert_allclose(np.sort(out), np.sort(target))
    assert (np.argsort(out) == np.argsort(values)).all()


# ------------------------------------------------------------------ collage share


def test_collage_share_finds_a_pasted_painting_region():
    painting = texture(96, 120, seed=1)
    photo = photo_like(128, 128)
    assert cl.collage_share(photo, painting) < 0.02
    pasted = photo.copy()
    pasted[32:96, 40:104] = painting[10:74, 30:94]  # 64 x 64 of 128 x 128: a quarter
    share = cl.collage_share(pasted, painting)
    assert 0.17 < share <= 0.27
    shifted = photo.copy()
    shifted[35:99, 43:107] = painting[11:75, 33:97]  # not on the 8-px grid of the output patches
    assert 0.12 < cl.collage_share(shifted, painting) <= 0.27


def test_collage_share_ignores_unrelated_texture_and_flat_areas():
    painting = texture(96, 120, seed=1)
    assert cl.collage_share(texture(128, 128, seed=2), painting) < 0.02
    assert cl.collage_share(np.full((128, 128, 3), 90, np.uint8), painting) == 0.0


def test_copied_mask_joins_only_agreeing_offsets():
    offsets = np.zeros((10, 10, 2), int)
    offsets[:, 5:] = 100 + np.arange(50).reshape(10, 5, 1) * 5  # every cell its own offset
    mask = cl.copied_mask(offsets, np.zeros((10, 10), bool), image_cells=100)
    assert mask[:, :5].all() and not mask[:, 5:].any()


# ------------------------------------------------------------------ held-out data


def test_split_holds_out_a_fifth_and_never_overlaps():
    names = {p.name for p in paintings.PAINTINGS}
    train, held = set(paintings.TRAINING_PAINTINGS), set(paintings.HELDOUT_PAINTINGS)
    assert train | held == names and not train & held
    assert len(held) >= len(names) / 5
    assert all("gcompris" not in p.package and "gcompris" not in p.path for p in paintings.PAINTINGS)
    assert paintings.is_heldout("/somewhere/starry_night.jpg") and not paintings.is_heldout("udnie.jpg")


def test_shipped_models_never_trained_on_heldout_photos_or_paintings():
    from stylefuse.data.synthetic import BENCHMARK_PHOTOS

    cards = sorted((ROOT / "core" / "stylefuse" / "shipped_models").glob("*/card.json"))
    assert cards
    for path in cards:
        card = json.loads(path.read_text())
        config = card.get("training", {}).get("config", {})
        if card.get("task") != "style":
            continue
        assert config.get("split") == "first-half", path  # RoadScene's second half is benchmark-only
        skimage = {n.strip() for n in config.get("synthetic_skimage", "").split(",") if n.strip()}
        assert not skimage & BENCHMARK_PHOTOS, path
        for style in config.get("style", []):
            assert not paintings.is_heldout(style), path
        assert "starry" not in card.get("description", "").lower(), path


# ------------------------------------------------------------------ the section's PASS / MISS logic


class FakeReport:
    def __init__(self):
        self.targets = []

    def target(self, what, measured, ok):
        self.targets.append((what, measured, ok))


def test_validity_fails_a_score_that_the_trivial_outputs_meet():
    import style_quality as sq

    def rows(tex1, tex2, gram):
        return [{"tex1": tex1, "tex2": tex2, "gram": gram}]

    scores = {
        sq.PEER: rows(0.5, 0.5, 0.6),
        sq.TRIVIAL[0]: rows(0.9, 1.0, 0.7),
        sq.TRIVIAL[1]: rows(0.7, 0.9, 0.4),
    }
    report = FakeReport()
    sq.validity(report, [scores])
    assert [ok for _, _, ok in report.targets] == [True, True, False]


def test_targets_compare_each_axis_with_the_peer():
    import style_quality as sq

    means = {
        sq.PEER: {"content": 0.3, "colour": 0.2, "tex1": 0.4, "tex2": 0.6},
        sq.SYNTHESIS: {"content": 0.35, "colour": 0.1, "tex1": 0.5, "tex2": 0.6},
    }
    report = FakeReport()
    sq.targets(report, means, sq.SYNTHESIS, "synthesis", ("content", "colour", "tex1", "tex2"))
    assert [ok for _, _, ok in report.targets] == [True, True, False, True]
    report = FakeReport()
    sq.targets(report, {}, sq.SYNTHESIS, "synthesis", ("content",))
    assert report.targets[0][2] is None
