"""The quality benchmark's own functions (benchmarks/classical_fusion.py, benchmarks/style_metrics.py):
classical fusion methods, exposure fusion, and the style scores."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import classical_fusion as cf  # noqa: E402
import style_metrics as sm  # noqa: E402


def make_scene(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A float RGB picture in [0, 1]: smooth gradients, a disc with sharp edges, some noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / np.array([height - 1, width - 1])[:, None, None]
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(float)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], axis=-1)
    return np.clip(rgb + rng.normal(0.0, 0.04, rgb.shape), 0.0, 1.0)


def grey_scene(h=67, w=90, seed=0) -> np.ndarray:
    return make_scene(h, w, seed).mean(axis=-1).astype(np.float64)


def u8(img: np.ndarray) -> np.ndarray:
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("method", ["Average", "Max", "LP", "DWT", "GFF"])
def test_fusing_an_image_with_itself_returns_it(method):
    if method == "DWT":
        pytest.importorskip("pywt")
    x = grey_scene()
    fused = cf.GREY_METHODS[method](x, x)
    assert fused.shape == x.shape
    np.testing.assert_allclose(fused, x, atol=1e-9)


def test_pyramid_and_gff_keep_the_sharp_source_where_the_other_is_blurred():
    from scipy import ndimage

    x = grey_scene(96, 128, seed=3)
    blurred = ndimage.gaussian_filter(x, 3)
    left = np.zeros_like(x, dtype=bool)
    left[:, :64] = True
    a, b = np.where(left, x, blurred), np.where(left, blurred, x)
    inner = (slice(8, -8), slice(8, -8))
    err_avg = np.abs(cf.average(a, b) - x)[inner].mean()
    for method in (cf.laplacian_pyramid, cf.gff):
        assert np.abs(method(a, b) - x)[inner].mean() < 0.5 * err_avg


def test_fuse_ycbcr_keeps_the_colour_inputs_chroma_and_black_background():
    colour = make_scene(40, 50, seed=1)
    colour[:5] = 0.0
    grey = make_scene(40, 50, seed=2).mean(axis=-1)
    grey[:5] = 0.0
    fused = cf.fuse_ycbcr(cf.laplacian_pyramid, grey, colour)
    assert fused.shape == (40, 50, 3)
    assert (fused[:5] == 0).all()
    from stylefuse.pipeline.color import chroma

    np.testing.assert_allclose(chroma(fused)[10:, 10:], chroma(colour)[10:, 10:], atol=0.02)
    assert cf.fuse_ycbcr(cf.average, grey, grey).shape == (40, 50)


def test_mertens_of_identical_well_exposed_images_is_the_image():
    x = u8(0.2 + 0.6 * make_scene(48, 64, seed=4))
    fused = cf.mertens([x, x])
    np.testing.assert_allclose(fused, x / 255.0, atol=1e-6)


def test_mertens_prefers_the_well_exposed_source():
    x = 0.25 + 0.5 * make_scene(48, 64, seed=5)
    dark = np.clip(x * 0.15, 0, 1)
    fused = cf.mertens([u8(x), u8(dark)])
    assert np.abs(fused - x).mean() < 0.5 * np.abs(dark - x).mean()


def test_texture_distance_is_zero_to_itself_and_grows_with_a_different_texture():
    img = u8(make_scene(64, 80, seed=6))
    assert sm.texture_distance(img, img) == pytest.approx(0.0, abs=1e-9)
    noise = np.random.default_rng(0).integers(0, 256, img.shape, dtype=np.uint8)
    assert sm.texture_distance(noise, img) > 0.1


def test_texture_distance_ignores_a_global_colour_change():
    img = u8(make_scene(64, 80, seed=7))
    shifted = u8(np.clip(img / 255.0 * [0.7, 0.9, 0.5] + [0.2, 0.05, 0.3], 0, 1))
    noise = np.random.default_rng(1).integers(0, 256, img.shape, dtype=np.uint8)
    assert sm.texture_distance(shifted, img) < 0.2 * sm.texture_distance(noise, img)


def test_texture_net_is_not_the_training_loss_net():
    from stylefuse.losses.random_features import DEFAULT_WIDTHS

    net = sm.texture_net()
    assert tuple(c.out_channels for c in net.convs) != tuple(DEFAULT_WIDTHS)
    assert all(c.kernel_size == (5, 5) for c in net.convs) and sm.TEXTURE_SEED != 1234


def test_histogram_transfer_matches_the_style_histogram():
    content = u8(make_scene(60, 70, seed=8))
    style = u8(make_scene(50, 40, seed=9) ** 2 * [1.0, 0.6, 0.3])
    out = sm.histogram_transfer(content, style)
    assert out.shape == content.shape and out.dtype == np.uint8
    assert sm.colour_distance(out, style) < 0.01 < sm.colour_distance(content, style)


def test_colour_distance_is_the_wasserstein_distance():
    from scipy.stats import wasserstein_distance

    a = u8(make_scene(30, 40, seed=10))
    b = u8(make_scene(20, 25, seed=11) * 0.5)
    expected = np.mean(
        [wasserstein_distance(a[..., c].ravel() / 255.0, b[..., c].ravel() / 255.0) for c in range(3)]
    )
    assert sm.colour_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert sm.colour_distance(a, a) == 0.0


def test_content_structure_is_one_for_the_content_and_lower_when_edges_are_lost():
    from scipy import ndimage

    img = u8(make_scene(64, 64, seed=12))
    assert sm.content_structure(img, img) == pytest.approx(1.0)
    blurred = np.round(ndimage.gaussian_filter(img.astype(float), (3, 3, 0))).astype(np.uint8)
    assert sm.content_structure(blurred, img) < 0.8
