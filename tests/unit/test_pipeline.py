"""The in-process pipeline: dtypes and ranges, layouts, alpha, tiling, stacks, mask/strength, fusion, control.

Two kinds of model are used. The shipped defaults (fixtures `style_model`, `fuse_model`) check that
everything runs end to end with real generators; their weights will change, so those tests assert
properties (dtype, shape, range, exactness where the pipeline guarantees it), never output values.
Small fake models whose effect is known exactly (invert, max, channel swap) pin down the arithmetic:
the range mapping, blending by strength and mask, colour handling.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylefuse.errors import UserError
from stylefuse.pipeline import Cancelled, fuse, stylize, value_range_of
from stylefuse.pipeline.color import chroma, fuse_chroma, luma
from stylefuse.pipeline.resample import resample_region
from stylefuse.pipeline.tiling import plan_axis, tile_options


class FakeStyleModule:
    def __init__(self, op):
        self.op = op
        self.encoded: list[tuple[int, ...]] = []
        self.seen: list[torch.Tensor] = []

    def encode_style(self, ref):
        self.encoded.append(tuple(ref.shape))
        return ref.mean(dim=(2, 3))

    def default_style(self, batch):
        return torch.zeros(batch, 1)

    def forward_code(self, src, code, z=None):
        self.seen.append(src.clone())
        return self.op(src)


class FakeFuseModule:
    def __call__(self, a, b):
        return torch.maximum(a, b)


@dataclass
class FakeModel:
    module: object
    task: str = "style"
    channels: int = 3
    spatial_multiple: int = 4
    receptive_radius: int = 8
    needs_reference: bool = False
    name: str = "fake"
    card: dict = field(default_factory=dict)


def invert_model(channels=3, **kw):
    return FakeModel(FakeStyleModule(lambda x: 1.0 - x), channels=channels, **kw)


def uint8_image(scene, h=48, w=40, seed=0):
    return np.round(scene(h, w, seed) * 255).astype(np.uint8)


def chroma_u8(rgb_u8):
    return chroma(rgb_u8.astype(np.float32) / 255)


# --- the range rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array, expected",
    [
        (np.array([[3, 200]], np.uint8), (0, 255)),
        (np.array([[0, 4095], [17, 100]], np.uint16), (0, 4095)),  # 12-bit data keeps its contrast
        (np.array([[-1024, 3000]], np.int16), (-1024, 3000)),  # CT in HU
        (np.array([[0.2, 0.7]], np.float32), (0, 1)),
        (np.array([[-0.5, 7.25]], np.float64), (-0.5, 7.25)),
        (np.array([[10, 10]], np.int32), (10, 10)),
    ],
)
def test_value_range_rule(array, expected):
    rng = value_range_of(array)
    assert (rng.lo, rng.hi) == expected


def test_value_range_override_and_errors():
    assert value_range_of(np.zeros((2, 2), np.uint16), (0, 65535)).hi == 65535
    with pytest.raises(UserError, match="lo < hi"):
        value_range_of(np.zeros((2, 2), np.uint16), (5, 5))


def test_range_is_mapped_exactly(scene):
    """With an inverting model, out = lo + hi - x exactly: the range rule is what the model sees."""
    model = invert_model()
    u12 = np.random.default_rng(1).integers(100, 4001, (20, 24, 3)).astype(np.uint16)
    u12[0, 0], u12[0, 1] = 100, 4000
    assert np.array_equal(stylize(u12, model), 4100 - u12)
    hu = np.random.default_rng(2).integers(-1024, 3001, (20, 24)).astype(np.int16)
    hu[0, :2] = -1024, 3000
    assert np.array_equal(stylize(hu, model), (1976 - hu.astype(np.int32)).astype(np.int16))
    u8 = uint8_image(scene)
    assert np.array_equal(stylize(u8, model), 255 - u8)
    assert np.array_equal(stylize(u12, model, value_range=(0, 65535)), 65535 - u12)
    wide = (scene(16, 16) * 9 - 2).astype(np.float64)
    assert np.allclose(stylize(wide, model), wide.min() + wide.max() - wide, atol=1e-5)
    stack = np.stack([u12[..., 0] // 40, u12[..., 0]])  # slice 0 is dark: mapped with the stack's range
    out = stylize(stack, model, is_stack=True)
    assert np.array_equal(out[0], stack.min() + stack.max() - stack[0])


@pytest.mark.parametrize(
    "make",
    [
        lambda s: uint8_image(s),
        lambda s: np.round(s(48, 40)[..., 0] * 4095).astype(np.uint16),
        lambda s: np.round(s(48, 40, 1) * 4024 - 1024).astype(np.int16),
        lambda s: s(48, 40, 2),
    ],
    ids=["uint8", "uint16-12bit", "int16-HU", "float32"],
)
def test_dtype_shape_and_range_kept(style_model, scene, make):
    image = make(scene)
    out = stylize(image, style_model)
    assert out.dtype == image.dtype and out.shape == image.shape
    rng = value_range_of(image)
    assert out.min() >= rng.lo and out.max() <= rng.hi
    assert not np.array_equal(out, image)


def test_constant_image_does_not_divide_by_zero(style_model):
    image = np.full((12, 10), 777, np.uint16)
    out = stylize(image, style_model)
    assert out.dtype == np.uint16 and np.all(out == 777)


# --- layouts, alpha, colour -----------------------------------------------------------------------------


def test_alpha_passes_through_bit_identical(style_model, scene):
    rgba = np.concatenate([uint8_image(scene), np.random.default_rng(3).integers(0, 256, (48, 40, 1), np.uint8)], -1)
    out = stylize(rgba, style_model)
    assert np.array_equal(out[..., 3], rgba[..., 3])
    assert not np.array_equal(out[..., :3], rgba[..., :3])
    grey_alpha = np.stack([rgba[..., 0].astype(np.uint16) * 16, rgba[..., 3].astype(np.uint16) * 257], -1)
    out = stylize(grey_alpha, style_model)
    assert out.shape == grey_alpha.shape and np.array_equal(out[..., 1], grey_alpha[..., 1])


def test_alpha_does_not_stretch_the_range():
    rgba = np.zeros((8, 8, 4), np.uint16)
    rgba[..., :3] = np.arange(64, dtype=np.uint16).reshape(8, 8, 1) * 10
    rgba[..., 3] = 65535
    out = stylize(rgba, invert_model())
    assert np.array_equal(out[..., :3], 630 - rgba[..., :3])


def test_grey_in_grey_out(style_model, scene):
    grey = uint8_image(scene)[..., 1]
    out = stylize(grey, style_model)
    assert out.shape == grey.shape and out.dtype == np.uint8
    assert stylize(grey[..., None], style_model).shape == grey.shape + (1,)
    # Into a 3-channel model the grey is replicated; the result comes back as its luma.
    swap = FakeModel(FakeStyleModule(lambda x: torch.cat([x[:, :1] * 0.5, x[:, 1:]], 1)))
    out = stylize(grey.astype(np.float32) / 255, swap)
    seen = swap.module.seen[0]
    assert torch.equal(seen[:, 0], seen[:, 1]) and torch.equal(seen[:, 1], seen[:, 2])
    assert np.allclose(out, grey / 255 * (1 - 0.5 * 0.299), atol=1e-5)


def test_colour_into_grey_model_restyles_luma_only(scene):
    rgb = scene(24, 20)
    out = stylize(rgb, invert_model(channels=1))
    inside = (out > 0.01).all(-1) & (out < 0.99).all(-1)
    assert np.allclose(luma(out)[inside], 1 - luma(rgb)[inside], atol=1e-5)
    assert np.allclose(chroma(out)[inside], chroma(rgb)[inside], atol=1e-5)


def test_preserve_color_keeps_chroma(scene):
    rotate = FakeModel(FakeStyleModule(lambda x: x[:, [2, 0, 1]]))  # a model that changes hues
    rgb = uint8_image(scene)
    plain = stylize(rgb, rotate)
    kept = stylize(rgb, rotate, preserve_color=True)
    inside = (kept > 2).all(-1) & (kept < 253).all(-1)
    assert inside.mean() > 0.5
    assert np.abs(chroma_u8(kept) - chroma_u8(rgb))[inside].max() < 2.5 / 255
    assert np.abs(chroma_u8(plain) - chroma_u8(rgb))[inside].max() > 0.05
    assert np.allclose(luma(kept / 255)[inside], luma(plain / 255)[inside], atol=2 / 255)


def test_preserve_color_with_real_model(style_model, scene):
    rgb = uint8_image(scene)
    out = stylize(rgb, style_model, preserve_color=True)
    inside = (out > 2).all(-1) & (out < 253).all(-1)
    assert np.abs(chroma_u8(out) - chroma_u8(rgb))[inside].max() < 2.5 / 255


def test_five_d_and_tiny_images(style_model):
    tt = np.random.default_rng(4).integers(0, 256, (2, 3, 9, 7, 3), np.uint8)
    assert stylize(tt, style_model).shape == tt.shape
    for shape in [(1, 1), (1, 13), (5, 1, 3), (3, 1, 1)]:
        image = np.random.default_rng(5).random(shape, np.float32)
        assert stylize(image, style_model).shape == shape
    assert stylize(np.zeros((0, 5), np.uint8), style_model).shape == (0, 5)
    assert stylize(np.zeros((0, 8, 8), np.uint16), style_model, is_stack=True).shape == (0, 8, 8)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((4, 4, 4, 4, 4, 1), np.uint8), "dimension"),
        (np.zeros(16, np.uint8), "dimension"),
        (np.zeros((4, 4, 7, 5), np.uint8), "channels"),
        (np.zeros((4, 4), bool), "dtype"),
        (np.zeros((4, 4), np.complex64), "dtype"),
        (np.array([[1, None]], object), "dtype"),
        (np.array([[0.5, np.nan]], np.float32), "NaN"),
        (np.array([[0.5, np.inf]], np.float64), "infinite"),
    ],
)
def test_bad_inputs_are_user_errors(image, message):
    with pytest.raises(UserError, match=message):
        stylize(image, invert_model())


def test_is_stack_overrides_the_guess():
    three = np.random.default_rng(6).integers(0, 256, (3, 8, 3), np.uint8)
    model = invert_model()
    assert np.array_equal(stylize(three, model), 255 - three)  # guessed: one 3 x 8 RGB image
    assert stylize(three, model, is_stack=True).shape == three.shape  # three 8 x 3 grey slices
    with pytest.raises(UserError, match="only a stack"):
        stylize(np.zeros((2, 4, 4, 3), np.uint8), model, is_stack=False)


# --- strength and mask ---------------------------------------------------------------------------------


def test_strength_zero_is_identical(style_model, scene):
    wide = (scene(32, 36) * 9.3 - 2.1).astype(np.float64)  # a range whose float round trip is inexact
    assert np.array_equal(stylize(wide, style_model, strength=0.0), wide)


def test_strength_and_soft_mask_blend_linearly(scene):
    rgb = scene(16, 20)
    assert np.allclose(stylize(rgb, invert_model(), strength=0.5), 0.5, atol=1e-6)
    mask = np.linspace(0, 1, 20, dtype=np.float32)[None].repeat(16, 0)
    out = stylize(rgb, invert_model(), strength=0.5, mask=mask)
    assert np.allclose(out, rgb + 0.5 * mask[..., None] * (1 - 2 * rgb), atol=1e-6)


def test_plain_call_equals_the_blended_path(style_model, scene):
    """Full strength without a mask skips the source's [0, 1] copy and the blend: the same pixels as
    an all-ones mask, which goes through them, in one tile and in several."""
    image = (scene(80, 72) * 255).astype(np.uint8)
    ones = np.ones(image.shape[:2], np.float32)
    for tile in (None, 48):
        assert np.array_equal(stylize(image, style_model, tile_size=tile),
                              stylize(image, style_model, tile_size=tile, mask=ones))


@pytest.mark.parametrize("kind", ["bool", "uint8", "float"])
def test_mask_zero_is_bit_identical(style_model, scene, kind):
    # float64 in an odd range: its round trip through float32 [0, 1] is not exact, so only a
    # pass-through of the input's own values keeps masked-out pixels bit-identical.
    wide = (scene(32, 36).astype(np.float64) * 9.3 - 2.1)
    keep = np.zeros((32, 36), bool)
    keep[:, 18:] = True
    mask = {"bool": keep, "uint8": keep.astype(np.uint8) * 255, "float": keep.astype(np.float32)}[kind]
    out = stylize(wide, style_model, mask=mask)
    assert np.array_equal(out[:, :18], wide[:, :18])
    assert np.abs(out[:, 18:] - wide[:, 18:]).max() > 1e-3


def test_2d_mask_applies_to_every_slice(scene):
    stack = np.stack([scene(12, 10, s)[..., 0] for s in range(3)])
    mask = np.zeros((12, 10), bool)
    mask[:6] = True
    out = stylize(stack, invert_model(), mask=mask)
    assert np.array_equal(out[:, 6:], stack[:, 6:])
    assert np.allclose(out[:, :6], 1 - stack[:, :6], atol=1e-6)


@pytest.mark.parametrize("strength", [float("nan"), -0.1, 1.5, "strong", None])
def test_bad_strength(strength):
    with pytest.raises(UserError, match="strength"):
        stylize(np.zeros((8, 8), np.uint8), invert_model(), strength=strength)


@pytest.mark.parametrize(
    "mask, message",
    [(np.ones((8, 9), bool), r"\(8, 9\)"), (np.ones((8, 8, 3), np.float32), "shape"),
     (np.full((9, 8), 2.0), "mask"), (np.ones((9, 8), np.int64), "dtype")],
)
def test_bad_mask(mask, message):
    with pytest.raises(UserError, match=message):
        stylize(np.zeros((9, 8), np.uint8), invert_model(), mask=mask)


# --- reference -------------------------------------------------------------------------------------------


def test_reference_encoded_once_and_shrunk(scene):
    model = invert_model()
    ref = np.round(scene(700, 1000, 7)[..., 0] * 60000).astype(np.uint16)  # grey, another dtype
    stylize(uint8_image(scene, 100, 90), model, reference=ref, tile_size=32)
    assert model.module.encoded == [(1, 3, 358, 512)]
    assert len(model.module.seen) > 4  # tiled, yet encoded once


def test_reference_with_real_model(style_model, scene):
    image = uint8_image(scene)
    ref_a = np.round(scene(64, 64, 8)[..., ::-1] * 255).astype(np.uint8)
    out = stylize(image, style_model, reference=ref_a)
    assert out.shape == image.shape and out.dtype == np.uint8


def test_missing_reference_and_wrong_task(fuse_model):
    with pytest.raises(UserError, match="reference"):
        stylize(np.zeros((8, 8), np.uint8), invert_model(needs_reference=True))
    with pytest.raises(UserError, match="'fuse' model"):
        stylize(np.zeros((8, 8), np.uint8), fuse_model)


# --- tiling and stacks ----------------------------------------------------------------------------------


def test_tiled_matches_untiled(style_model, scene):
    image = scene(512, 512, 9)
    calls = []
    untiled = stylize(image, style_model, tile_size=None)
    tiled = stylize(image, style_model, tile_size=128, progress=lambda d, t: calls.append((d, t)))
    opts = tile_options(128, None, style_model.receptive_radius, style_model.spatial_multiple)
    per_axis = len(plan_axis(512, 128, opts["overlap"], opts["margin"], style_model.spatial_multiple))
    assert per_axis >= 4 and calls[-1] == (per_axis ** 2, per_axis ** 2)  # really tiled, every tile reported
    assert np.abs(tiled - untiled).max() <= 1 / 255


def test_tile_plan_is_on_the_model_grid():
    for length in [129, 300, 513, 1000]:
        spans = plan_axis(length, 128, 24, 48, 4)
        assert all(s.read.start % 4 == 0 for s in spans)
        assert all(s.blend.start - s.read.start >= 48 or s.read.start == 0 for s in spans)
        assert all(s.read.stop - s.blend.stop >= 46 or s.read.stop == length for s in spans)
        total = np.zeros(length, np.float32)
        for s in spans:
            total[s.blend] += s.weight
        assert np.allclose(total, 1.0, atol=1e-6)


def test_stack_batched_matches_slice_by_slice(style_model):
    stack = np.random.default_rng(10).random((37, 20, 24), np.float32)
    calls = []
    batched = stylize(stack, style_model, batch_size=8, progress=lambda d, t: calls.append((d, t)))
    single = stylize(stack, style_model, batch_size=1)
    assert np.abs(batched - single).max() <= 1e-6
    assert [d for d, _ in calls] == [0, 8, 16, 24, 32, 37] and calls[-1] == (37, 37)


def test_cancel_raises_between_batches(style_model):
    stack = np.zeros((12, 8, 8), np.uint8)
    calls = []
    with pytest.raises(Cancelled):
        stylize(stack, style_model, batch_size=2, progress=lambda d, t: calls.append(d), cancel=lambda: len(calls) > 1)
    assert calls == [0, 2]


# --- fusion ----------------------------------------------------------------------------------------------


def brain_pair(scene, h=40, w=44):
    """A grey 'MRI' and a colour 'PET' with a common black background."""
    mri = np.round(scene(h, w, 11)[..., 1] * 255).astype(np.uint8)
    pet = np.round(scene(h, w, 12) * [1.0, 0.4, 0.1] * 255).astype(np.uint8)
    mri[:, :10] = 0
    pet[:, :10] = 0
    return mri, pet


def test_fuse_grey_and_colour_gives_colour_with_its_chroma(fuse_model, scene):
    mri, pet = brain_pair(scene)
    out = fuse(mri, pet, fuse_model)
    assert out.shape == pet.shape and out.dtype == np.uint8
    inside = (out > 2).all(-1) & (out < 253).all(-1)
    assert inside.mean() > 0.3
    assert np.abs(chroma_u8(out) - chroma_u8(pet))[inside].max() < 2.5 / 255
    assert np.all(out[:, :10] == 0)  # exactly zero where both inputs are


def test_fuse_exact_zero_and_dtype_of_a(fuse_model, scene):
    a = np.round(scene(36, 32, 13)[..., 0] * 4095).astype(np.uint16)
    b = scene(36, 32, 14)[..., 2]
    a[10:20, 5:15], b[10:20, 5:15] = 0, 0
    out = fuse(a, b, fuse_model)
    assert out.dtype == np.uint16 and out.shape == a.shape and out.max() <= a.max()
    assert np.all(out[10:20, 5:15] == 0)


def test_fuse_colour_rules():
    model = FakeModel(FakeFuseModule(), task="fuse", channels=1)
    grey = np.full((4, 4), 0.5, np.float32)
    red = np.broadcast_to(np.array([0.6, 0.3, 0.2], np.float32), (4, 4, 3))
    out = fuse(grey, red, model)
    assert np.allclose(chroma(out), chroma(red), atol=1e-6)
    assert np.allclose(luma(out), 0.5, atol=1e-6)
    cb_cr = fuse_chroma(np.array([[0.5, 0.9], [0.6, 0.2]]), np.array([[0.7, 0.5], [0.4, 0.5]]))
    assert np.allclose(cb_cr, [[0.7, 0.9], [0.5, 0.2]])


def test_fuse_shape_mismatch_and_resample(fuse_model):
    a = np.random.default_rng(15).integers(0, 256, (32, 40), np.uint8)
    b = np.random.default_rng(16).integers(0, 256, (24, 30), np.uint8)
    with pytest.raises(UserError, match="32x40.*24x30"):
        fuse(a, b, fuse_model)
    out = fuse(a, b, fuse_model, resample=True)
    assert out.shape == a.shape and out.dtype == a.dtype
    with pytest.raises(UserError, match="differ"):
        fuse(np.zeros((3, 8, 8), np.uint8), np.zeros((4, 8, 8), np.uint8), fuse_model, resample=True)


@pytest.mark.parametrize(("in_shape", "out_shape"), [((23, 31), (40, 17)), ((200, 150), (37, 61)), ((10, 9), (30, 27))])
def test_resample_region_matches_whole_image_antialiased_resize(in_shape, out_shape):
    """Regions equal torch's whole-image antialiased bilinear resize, enlarging and shrinking."""
    image = np.random.default_rng(17).random((1, *in_shape, 2), np.float32)
    whole = F.interpolate(torch.from_numpy(image).permute(0, 3, 1, 2), size=out_shape, mode="bilinear",
                          align_corners=False, antialias=True).permute(0, 2, 3, 1).numpy()
    rows, cols = slice(5, out_shape[0] - 3), slice(3, out_shape[1] - 2)
    region = resample_region(lambda r, c: image[:, r, c], in_shape, out_shape, rows, cols)
    assert np.allclose(region, whole[:, rows, cols], atol=1e-5)


def test_fuse_resample_shrinks_without_aliasing(fuse_model):
    """A fine checkerboard shrunk 4x onto a's grid averages to grey; point sampling would keep stripes."""
    a = np.full((32, 32), 128, np.uint8)
    b = (np.indices((128, 128)).sum(axis=0) % 2 * 255).astype(np.uint8)
    board = b[None, :, :, None].astype(np.float32) / 255
    shrunk = resample_region(lambda r, c: board[:, r, c], (128, 128), (32, 32), slice(0, 32), slice(0, 32))
    assert np.abs(shrunk - 0.5).max() < 0.02
    assert fuse(a, b, fuse_model, resample=True).shape == a.shape


def test_fuse_stack_tiled_with_progress(fuse_model):
    a = np.random.default_rng(18).random((3, 64, 72), np.float32)
    b = np.random.default_rng(19).random((3, 64, 72), np.float32)
    calls = []
    tiled = fuse(a, b, fuse_model, tile_size=48, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3 * 2 * 2, 3 * 2 * 2)
    assert np.abs(tiled - fuse(a, b, fuse_model, tile_size=None)).max() <= 1 / 255


def test_checking_inputs_does_not_import_torch():
    """The numpy-only parts (value ranges, prepare) load without torch: input checks stay fast."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; from stylefuse.pipeline import prepare, value_range_of; "
            "value_range_of(np.zeros((4, 4), np.uint8)); prepare(np.zeros((4, 4, 3), np.uint8)); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
