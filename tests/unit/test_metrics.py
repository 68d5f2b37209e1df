"""Tests for stylefuse.metrics: hand-computed values, scikit-image cross-checks, a real MRI–PET pair."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from stylefuse import metrics as m
from stylefuse.metrics import visual_fidelity as mvif

FUSION_DATA = Path("/work/shared/data/fusion/MRI_PET")

# Qabf value for a pixel whose edge is preserved perfectly (orientation equal, strength ratio >> 1
# by the original's equal-strength convention): Tg * Ta / (1 + exp(ka * (1 - Da))).
Q_ANGLE_PERFECT = 0.9879 / (1.0 + math.exp(-22.0 * (1.0 - 0.8)))


def _rng_image(shape: tuple[int, ...], seed: int, step: int = 1, high: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, high // step, size=shape) * step).astype(np.float64)


def _smooth_image(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A natural-ish grey image: smoothed noise plus a bright disc, integer levels 0..255."""
    rng = np.random.default_rng(seed)
    img = ndimage.gaussian_filter(rng.normal(size=shape), 2.0)
    img = (img - img.min()) / (img.max() - img.min()) * 160.0
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img[(yy - shape[0] / 2) ** 2 + (xx - shape[1] / 3) ** 2 < (shape[0] / 5) ** 2] += 90.0
    return np.round(np.clip(img, 0, 255))


# ----------------------------------------------------------------------------------------------
# to_grey_u8
# ----------------------------------------------------------------------------------------------


def test_to_grey_u8_uint8_grey_is_unchanged():
    img = _rng_image((5, 7), 0).astype(np.uint8)
    out = m.to_grey_u8(img)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, img.astype(np.float64))


def test_to_grey_u8_rgb_uses_rec601_weights_and_rounds():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]]], dtype=np.uint8)
    # 76.245 -> 76, 149.685 -> 150, 29.07 -> 29, 2.99 + 11.74 + 3.42 = 18.15 -> 18
    np.testing.assert_array_equal(m.to_grey_u8(rgb), [[76, 150, 29, 18]])
    rgba = np.concatenate([rgb, np.full((1, 4, 1), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(m.to_grey_u8(rgba), [[76, 150, 29, 18]])


def test_to_grey_u8_float_ranges():
    # max <= 1: taken as 0..1 and scaled by 255 (127.5 rounds half to even -> 128)
    np.testing.assert_array_equal(m.to_grey_u8(np.array([[0.0, 0.5, 1.0]])), [[0, 128, 255]])
    # otherwise taken as 0..255: rounded and clipped
    np.testing.assert_array_equal(m.to_grey_u8(np.array([[0.0, 2.4, 200.6, 300.0]])), [[0, 2, 201, 255]])
    # (H, W, 1) is grey
    np.testing.assert_array_equal(m.to_grey_u8(np.array([[[0.2], [0.4]]])), [[51, 102]])


@pytest.mark.parametrize(
    "bad",
    [
        np.full((4, 4), 300, dtype=np.uint16),
        np.zeros((4, 4, 2), dtype=np.uint8),
        np.zeros((4,), dtype=np.uint8),
        np.array([[0.5, np.nan]]),
    ],
)
def test_to_grey_u8_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        m.to_grey_u8(bad)


# ----------------------------------------------------------------------------------------------
# EN, SD, SF
# ----------------------------------------------------------------------------------------------


def test_entropy_hand_values():
    assert m.entropy(np.array([[0, 255], [255, 0]], dtype=np.uint8)) == pytest.approx(1.0)
    assert m.entropy(np.array([[0, 1], [2, 3]], dtype=np.uint8)) == pytest.approx(2.0)
    assert m.entropy(np.full((3, 3), 17.0)) == pytest.approx(0.0, abs=1e-12)
    # counts 3:1 -> -(3/4 log2 3/4 + 1/4 log2 1/4)
    expected = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert m.entropy(np.array([[5, 5], [5, 9]], dtype=np.uint8)) == pytest.approx(expected)
    # grey levels are rounded before binning: 4.6 and 5.4 are both level 5
    assert m.entropy(np.array([[4.6, 5.4], [5.0, 9.0]])) == pytest.approx(expected)


def test_standard_deviation_is_population_sd():
    # mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 -> sqrt(5 / 4)
    assert m.standard_deviation(np.array([[1.0, 2.0], [3.0, 4.0]])) == pytest.approx(math.sqrt(1.25))


def test_spatial_frequency_hand_value():
    img = np.array([[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    # dx: 1, 2, 0, 0 -> mean 5/4; dy: 2, 1, -1 -> mean 6/3 = 2
    assert m.spatial_frequency(img) == pytest.approx(math.sqrt(1.25 + 2.0))
    assert m.spatial_frequency(np.full((4, 4), 9.0)) == 0.0


def test_single_image_metrics_reject_colour():
    with pytest.raises(ValueError):
        m.entropy(np.zeros((4, 4, 3)))


# ----------------------------------------------------------------------------------------------
# MI, SCD
# ----------------------------------------------------------------------------------------------


def test_mutual_information_identical_images_is_twice_the_entropy_in_nats():
    img = _rng_image((32, 32), 1)
    h_nats = m.entropy(img) * math.log(2.0)
    assert m.mutual_information(img, img, img) == pytest.approx(2.0 * h_nats)
    two_level = np.array([[0, 255], [255, 0]], dtype=np.uint8)
    assert m.mutual_information(two_level, two_level, two_level) == pytest.approx(2.0 * math.log(2.0))


def test_mutual_information_hand_values():
    f = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    coarse = np.array([[0, 0], [9, 9]], dtype=np.uint8)  # a function of f: MI(F, A) = H(A) = ln 2
    assert m.mutual_information(f, coarse, f) == pytest.approx(math.log(2.0) + math.log(4.0))
    indep_f = np.array([[0, 0], [255, 255]], dtype=np.uint8)
    indep_a = np.array([[0, 255], [0, 255]], dtype=np.uint8)
    assert m.mutual_information(indep_f, indep_a, indep_a) == pytest.approx(0.0, abs=1e-12)


def test_scd_constructed_cases():
    a = 10.0 + np.array([[1.0, -1.0], [1.0, -1.0]])
    b = 10.0 + np.array([[1.0, 1.0], [-1.0, -1.0]])  # centred a and b are orthogonal
    # F = A + B: F - B = A, F - A = B -> 1 + 1
    assert m.scd(a + b, a, b) == pytest.approx(2.0)
    # F = A - B: corr(A, A - 2B) = 4 / sqrt(4 * 20), corr(B, -B) = -1
    assert m.scd(a - b, a, b) == pytest.approx(1.0 / math.sqrt(5.0) - 1.0)
    # F = A: corr(A, A - B) = 4 / sqrt(4 * 8); F - A is constant -> that term counts as 0
    assert m.scd(a, a, b) == pytest.approx(1.0 / math.sqrt(2.0))


def test_pair_metrics_check_shapes():
    with pytest.raises(ValueError):
        m.scd(np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 5)))


# ----------------------------------------------------------------------------------------------
# VIF
# ----------------------------------------------------------------------------------------------


def test_vif_identical_is_one_per_term():
    a = _smooth_image((64, 64), 2)
    b = _smooth_image((64, 64), 3)
    assert m.vif(a, a, a) == pytest.approx(2.0, abs=1e-6)
    # each term separately: VIF(A, F=A) = 1 and VIF(B, F=A) < 1
    mixed = m.vif(a, a, b)
    assert 1.0 < mixed < 2.0 - 1e-3


def test_vif_properties():
    a = _smooth_image((64, 64), 4)
    # a flat fused image carries no information
    assert m.vif(np.full_like(a, 100.0), a, a) == pytest.approx(0.0, abs=1e-12)
    # a flat reference gives 0/0, counted as 1 (the evaluator's convention)
    flat = np.full_like(a, 50.0)
    assert m.vif(a, flat, flat) == pytest.approx(2.0)
    # noise lowers VIF; contrast stretch raises it above 1 (a known property of VIF)
    noisy = a + np.random.default_rng(5).normal(0.0, 20.0, a.shape)
    assert m.vif(noisy, a, a) < 1.6
    assert m.vif(1.5 * a, a, a) > 2.0


def test_vif_rejects_too_small_images():
    small = np.zeros((40, 64))
    with pytest.raises(ValueError):
        m.vif(small, small, small)


# ----------------------------------------------------------------------------------------------
# Qabf
# ----------------------------------------------------------------------------------------------


def test_qabf_identical_images():
    # grey levels in steps of 10: every non-zero Sobel strength is >= 10, so Q_g = Tg exactly
    a = _rng_image((24, 24), 6, step=10)
    expected = 0.9994 * Q_ANGLE_PERFECT
    assert m.qabf(a, a, a) == pytest.approx(expected, rel=1e-9)
    assert 0.97 < expected < 0.98


def test_qabf_half_contrast_hand_value():
    # F = A / 2: strength ratio 0.5 = Dg, so Q_g = Tg / 2; orientations unchanged
    a = _rng_image((24, 24), 7, step=20)
    assert m.qabf(a / 2.0, a, a) == pytest.approx(0.9994 / 2.0 * Q_ANGLE_PERFECT, rel=1e-9)


def test_qabf_flat_fused_and_no_edges():
    a = _rng_image((24, 24), 8, step=10)
    assert m.qabf(np.zeros_like(a), a, a) < 1e-3
    black = np.zeros((8, 8))
    assert math.isnan(m.qabf(black, black, black))
    # zero padding: a flat non-zero image has edges along its border (Sobel strength >= 3 * 3 = 9)
    flat = np.full((8, 8), 3.0)
    assert m.qabf(flat, flat, flat) == pytest.approx(0.9994 * Q_ANGLE_PERFECT, rel=1e-9)


def test_qabf_weights_sources_by_edge_strength():
    a = _rng_image((24, 24), 9, step=10)
    weak = a / 10.0  # same edges, 10x weaker (no offset: zero padding would add border edges)
    # F = A preserves A perfectly and B (weak) at ratio 0.1: Q_g(0.1) ~ 0.0025, so the result is the
    # strength-weighted mean  (10 Q_AA + Q_BA) / 11
    q_ba = 0.9994 / (1.0 + math.exp(-15.0 * (0.1 - 0.5))) * Q_ANGLE_PERFECT
    expected = (10.0 * 0.9994 * Q_ANGLE_PERFECT + q_ba) / 11.0
    assert m.qabf(a, a, weak) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------------------------
# SSIM / PSNR
# ----------------------------------------------------------------------------------------------


def test_ssim_sum_identical_is_two():
    a = _rng_image((16, 16), 10)
    assert m.ssim_sum(a, a, a) == pytest.approx(2.0)


def test_ssim_sum_matches_skimage_with_data_range_2():
    a, b = _smooth_image((32, 40), 11), _smooth_image((32, 40), 12)
    f = np.round((a + b) / 2.0)
    expected = structural_similarity(f, a, data_range=2) + structural_similarity(f, b, data_range=2)
    assert m.ssim_sum(f, a, b) == pytest.approx(expected, rel=1e-9)
    wide = structural_similarity(f, a, data_range=255) + structural_similarity(f, b, data_range=255)
    assert abs(m.ssim_sum(f, a, b) - wide) > 1e-3  # the data range matters


def test_psnr_hand_value_and_skimage():
    zeros = np.zeros((8, 8))
    assert m.psnr(zeros, zeros + 1.0, 255) == pytest.approx(20.0 * math.log10(255.0))
    assert m.psnr(zeros, zeros, 1.0) == math.inf
    x = _rng_image((20, 24, 3), 13)
    y = np.clip(x + np.random.default_rng(14).normal(0, 12, x.shape), 0, 255)
    assert m.psnr(x, y, 255) == pytest.approx(peak_signal_noise_ratio(x, y, data_range=255))


@pytest.mark.parametrize("shape", [(32, 36), (32, 36, 3)])
def test_ssim_gaussian_matches_skimage(shape):
    x = np.random.default_rng(15).random(shape)
    y = np.clip(x + np.random.default_rng(16).normal(0, 0.1, shape), 0, 1)
    channel_axis = -1 if len(shape) == 3 else None
    expected = structural_similarity(
        x,
        y,
        data_range=1.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        channel_axis=channel_axis,
    )
    assert m.ssim(x, y, 1.0) == pytest.approx(expected, rel=1e-9)
    assert m.ssim(x, x, 1.0) == pytest.approx(1.0)


def test_ssim_uniform_window_matches_skimage():
    x = np.random.default_rng(17).random((20, 20)) * 255
    y = np.clip(x + np.random.default_rng(18).normal(0, 30, x.shape), 0, 255)
    expected = structural_similarity(x, y, data_range=255, win_size=7)
    assert m.ssim(x, y, 255, gaussian_weights=False, win_size=7) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------------------------
# fusion_metrics and a real MRI–PET pair
# ----------------------------------------------------------------------------------------------


def test_fusion_metrics_keys_and_grey_conversion():
    a = _smooth_image((48, 48), 19)
    b = _smooth_image((48, 48), 20)
    f = np.maximum(a, b)
    res = m.fusion_metrics(f.astype(np.uint8), a.astype(np.uint8), b.astype(np.uint8))
    assert tuple(res) == m.FUSION_METRIC_NAMES == ("EN", "SD", "SF", "MI", "SCD", "VIF", "Qabf", "SSIM")
    assert all(isinstance(v, float) and math.isfinite(v) for v in res.values())
    # RGB and 0..1 float inputs are converted to the same grey levels first
    rgb = np.repeat(a[..., None], 3, axis=2).astype(np.uint8)
    res2 = m.fusion_metrics(f / 255.0, rgb, b.astype(np.uint8))
    assert res2 == pytest.approx(res)


@pytest.fixture(scope="module")
def mri_pet_pair() -> tuple[np.ndarray, np.ndarray]:
    pil = pytest.importorskip("PIL.Image")
    name = "11.png"
    pet_path, mri_path = FUSION_DATA / "PET" / name, FUSION_DATA / "MRI" / name
    if not (pet_path.exists() and mri_path.exists()):
        pytest.skip(f"fusion test data not found under {FUSION_DATA}")
    with pil.open(pet_path) as pet, pil.open(mri_path) as mri:
        return m.to_grey_u8(np.asarray(pet.convert("RGB"))), m.to_grey_u8(np.asarray(mri.convert("RGB")))


def test_average_fusion_on_mri_pet_pair(mri_pet_pair):
    pet, mri = mri_pet_pair
    res = m.fusion_metrics((pet + mri) / 2.0, pet, mri)
    # Plausible ranges around the published MRI–PET reference points (CDDFuse: EN 4.22, SD 70.7,
    # SF 29.6, MI 2.03, SCD 1.69, VIF 0.71, Qabf 0.71, SSIM 1.49; averaging lowers SD, SF and Qabf).
    ranges = {
        "EN": (3.0, 5.0),
        "SD": (30.0, 80.0),
        "SF": (10.0, 35.0),
        "MI": (1.5, 3.5),
        "SCD": (0.8, 2.0),
        "VIF": (0.5, 1.2),
        "Qabf": (0.3, 0.8),
        "SSIM": (1.0, 1.6),
    }
    for key, (lo, hi) in ranges.items():
        assert lo < res[key] < hi, (key, res[key])
    # values for this pair from an independent transcription of the CDDFuse evaluator
    reference = {
        "EN": 3.9267,
        "SD": 45.6580,
        "SF": 17.8453,
        "MI": 2.5363,
        "SCD": 1.2579,
        "VIF": 1.0087,
        "Qabf": 0.4726,
        "SSIM": 1.2791,
    }
    for key, value in reference.items():
        assert res[key] == pytest.approx(value, abs=2e-4), key


def test_blurred_fusion_scores_lower_than_max_fusion(mri_pet_pair):
    pet, mri = mri_pet_pair
    fused_max = np.maximum(pet, mri)
    blurred = np.round(ndimage.gaussian_filter(fused_max, 1.5))
    assert m.spatial_frequency(blurred) < 0.8 * m.spatial_frequency(fused_max)
    assert m.qabf(blurred, pet, mri) < m.qabf(fused_max, pet, mri) - 0.1


def test_vif_separable_filter_equals_the_2d_window():
    from scipy.signal import convolve2d

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (50, 61)).astype(np.float64)
    img[:20, :30] = 0.0  # a black background must stay exactly black
    for n in (17, 9, 5, 3):
        expected = convolve2d(img, np.rot90(mvif._vif_window(n), 2), mode="valid")
        got = mvif._filter_valid(img, mvif._vif_window_1d(n))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)
        assert (got[: 20 - n + 1, : 30 - n + 1] == 0.0).all()
