"""The palette step: histogram matching of a source onto a style's colours (stylefuse.pipeline.palette)."""

import numpy as np
import pytest

from stylefuse.pipeline.palette import (
    BINS,
    apply_curves,
    check_quantiles,
    palette_curves,
    quantiles,
    source_cdf,
)


def _map(src: np.ndarray, style: np.ndarray) -> np.ndarray:
    curves = palette_curves(source_cdf(lambda b: b, [src]), quantiles(style))
    return apply_curves(src, curves)


def test_mapped_source_takes_the_style_distribution():
    rng = np.random.default_rng(0)
    src = rng.random((64, 64, 3), dtype=np.float32) ** 2  # dark-skewed photo
    style = np.stack(
        [rng.beta(5, 2, (80, 50)), rng.beta(2, 5, (80, 50)), rng.uniform(0.4, 0.6, (80, 50))], -1
    )
    out = _map(src, style.astype(np.float32))
    for c in range(3):
        # per-channel quantiles agree with the style's to within a bin and the quantile grid
        np.testing.assert_allclose(
            np.quantile(out[..., c], [0.1, 0.5, 0.9]), np.quantile(style[..., c], [0.1, 0.5, 0.9]), atol=0.02
        )
    # ... while the source's order of pixel values (its structure) is kept, channel by channel
    for c in range(3):
        order = np.argsort(src[..., c].ravel())
        assert (np.diff(out[..., c].ravel()[order]) >= -1e-6).all()


def test_streamed_histogram_equals_the_whole_one():
    rng = np.random.default_rng(1)
    img = rng.random((100, 40, 3)).astype(np.float32)
    whole = source_cdf(lambda b: b, [img])
    bands = source_cdf(lambda r: img[r], [slice(0, 33), slice(33, 90), slice(90, 100)])
    np.testing.assert_allclose(whole, bands)


def test_constant_source_maps_to_the_style_median():
    style = np.linspace(0, 1, 300, dtype=np.float32).reshape(10, 30, 1)
    out = _map(np.full((5, 5, 1), 0.3, np.float32), style)
    np.testing.assert_allclose(out, 0.5, atol=2.0 / 255)


def test_grey_source_against_a_colour_palette_gives_colour():
    grey = np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16, 1)
    style = np.stack([np.full((8, 8), 0.8), np.full((8, 8), 0.2), np.linspace(0, 1, 64).reshape(8, 8)], -1)
    out = _map(grey, style.astype(np.float32))
    assert out.shape == (16, 16, 3)
    np.testing.assert_allclose(out[..., 0], 0.8, atol=1e-5)
    np.testing.assert_allclose(out[..., 1], 0.2, atol=1e-5)


def test_identity_palette_keeps_8bit_values():
    rng = np.random.default_rng(2)
    img = (rng.integers(0, 256, (50, 50, 3)) / 255.0).astype(np.float32)
    out = _map(img, img)
    assert np.abs(out - img).max() <= 1.5 / 255  # quantile grid of 256 points over 2500 pixels


def test_bins_resolve_16_bit_steps_better_than_8_bit():
    assert BINS >= 4096


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 5)),
        np.full((3, 5), np.nan),
        np.array([[0.5, 0.2]] * 3),
        np.full((3, 5), 1.5),
        np.zeros((3, 1)),
    ],
)
def test_bad_card_palettes_are_refused(bad):
    with pytest.raises(ValueError):
        check_quantiles(bad, 3)


def test_empty_sources_are_refused():
    with pytest.raises(ValueError):
        source_cdf(lambda b: b, [])
    with pytest.raises(ValueError):
        quantiles(np.zeros((0, 3), np.float32))


# --- the palette step as the pipeline runs it (stylize) ------------------------------------------


def _with_palette(target: np.ndarray):
    from dataclasses import replace

    from stylefuse.registry import load_model

    model = load_model("udnie")
    return replace(model, card=model.card | {"palette": target.tolist()})


def _colour_gap(img: np.ndarray, target_q: np.ndarray) -> float:
    probs = np.linspace(0, 1, target_q.shape[1])
    return float(
        np.mean([np.abs(np.quantile(img[..., c] / 255.0, probs) - target_q[c]).mean() for c in range(3)])
    )


def _photo(seed=3, shape=(96, 128)):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    base = np.stack([xx / shape[1], yy / shape[0], 0.5 + 0.3 * np.sin(xx / 9.0)], -1)
    return np.clip(255 * (0.2 + 0.5 * base) + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def test_stylize_maps_colours_to_the_cards_palette_and_leaves_the_input_alone():
    from dataclasses import replace

    from stylefuse.pipeline import stylize

    img = _photo()
    before = img.copy()
    target = np.stack([np.linspace(0.6, 1.0, 256), np.linspace(0.0, 0.3, 256), np.linspace(0.2, 0.5, 256)])
    model = _with_palette(target.astype(np.float32))
    with_palette = stylize(img, model=model)
    without = stylize(img, model=model, palette=False)
    kept = stylize(img, model=model, preserve_color=True)
    assert _colour_gap(with_palette, target) < 0.5 * _colour_gap(without, target)
    no_card_palette = replace(model, card={k: v for k, v in model.card.items() if k != "palette"})
    np.testing.assert_array_equal(without, stylize(img, model=no_card_palette))  # a card without one: skipped
    np.testing.assert_array_equal(kept, stylize(img, model=model, preserve_color=True, palette=False))
    np.testing.assert_array_equal(img, before)


def test_palette_is_one_curve_for_the_whole_image_so_tiles_agree():
    from stylefuse.pipeline import stylize

    img = _photo(shape=(300, 280))
    target = np.stack([np.linspace(0.1, 0.9, 256) ** p for p in (0.5, 1.0, 2.0)]).astype(np.float32)
    model = _with_palette(target)
    whole = stylize(img, model=model, tile_size=None).astype(int)
    tiled = stylize(img, model=model, tile_size=128).astype(int)
    assert np.abs(whole - tiled).max() <= 1


def test_reference_palette_comes_from_the_reference():
    from stylefuse.pipeline import stylize

    img = _photo()
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = np.linspace(150, 250, 64).astype(np.uint8)
    out = stylize(img, model="arbitrary", reference=red)
    plain = stylize(img, model="arbitrary", reference=red, palette=False)
    assert out[..., 0].mean() - out[..., 1:].mean() > plain[..., 0].mean() - plain[..., 1:].mean() + 30


@pytest.mark.parametrize("grey", [False, True])
def test_byte_table_equals_the_float_curves(grey):
    from stylefuse.pipeline.palette import ByteTable

    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (40, 50, 1 if grey else 3)).astype(np.uint8)
    target = quantiles(rng.random((30, 30, 3)).astype(np.float32) ** 3)
    unit = img.astype(np.float32) / 255.0
    curves = palette_curves(source_cdf(lambda b: b, [unit]), target)
    expected = apply_curves(unit, curves)
    table = ByteTable(np.repeat(np.arange(256, dtype=np.float32)[None] / 255.0, img.shape[-1], 0))
    table_cdf = table.cdf([img[:17], img[17:]])
    np.testing.assert_allclose(table_cdf, source_cdf(lambda b: b, [unit]), atol=1e-12)
    table.set_curves(palette_curves(table_cdf, target))
    np.testing.assert_allclose(table.apply(img), expected, atol=1e-6)


def test_stylize_8_bit_and_float_sources_get_the_same_palette():
    from stylefuse.pipeline import stylize

    img = _photo()
    target = np.stack([np.linspace(0.6, 1.0, 256), np.linspace(0.0, 0.3, 256), np.linspace(0.2, 0.5, 256)])
    model = _with_palette(target.astype(np.float32))
    as_bytes = stylize(img, model=model).astype(np.float32) / 255.0
    as_float = stylize(img.astype(np.float32) / 255.0, model=model, value_range=(0.0, 1.0))
    # the 8-bit run rounds the generator's result to bytes before the second pass: ~1 LSB apart
    diff = np.abs(as_bytes - as_float)
    assert diff.max() <= 1.5 / 255 and diff.mean() <= 0.5 / 255


def test_a_stack_gets_the_same_palette_whole_or_slice_by_slice():
    from stylefuse.pipeline import stylize

    rng = np.random.default_rng(7)
    stack = np.stack([_photo(seed=s, shape=(64, 80)) for s in range(3)]).astype(np.uint16) * 200
    stack[1] += rng.integers(0, 300, stack[1].shape, dtype=np.uint16)
    target = np.stack([np.linspace(0.5, 1.0, 256), np.linspace(0.0, 0.4, 256), np.linspace(0.1, 0.9, 256)])
    model = _with_palette(target.astype(np.float32))
    rng_ = (0.0, float(stack.max()))

    def same(whole, apart):
        # batched model calls differ from single ones by float rounding, which a curve step can turn
        # into a few 16-bit levels on a handful of pixels; a per-stack curve moved values by hundreds
        diff = np.abs(whole.astype(np.int64) - apart.astype(np.int64))
        assert diff.max() <= 16 and (diff > 0).mean() < 1e-3

    whole = stylize(stack, model=model, is_stack=True, value_range=rng_)
    same(
        whole,
        np.stack(
            [stylize(stack[i : i + 1], model=model, is_stack=True, value_range=rng_)[0] for i in range(3)]
        ),
    )
    grey = stack[..., 0]
    whole = stylize(grey, model=model, is_stack=True, value_range=rng_)
    same(
        whole,
        np.stack(
            [stylize(grey[i : i + 1], model=model, is_stack=True, value_range=rng_)[0] for i in range(3)]
        ),
    )
