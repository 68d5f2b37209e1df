"""The in-process pipeline: the value-range rule, dtypes and shapes kept, numpy-only input checks.

Shared fake models are in pipeline_helpers.py, fixtures (`style_model`, `fuse_model`, `scene`) in tests/conftest.py.
"""

import numpy as np
import pytest
from pipeline_helpers import invert_model, uint8_image

from stylefuse.errors import UserError
from stylefuse.pipeline import stylize, value_range_of


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


def test_checking_inputs_does_not_import_torch():
    """The numpy-only parts (value ranges, prepare) load without torch: input checks stay fast."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from stylefuse.pipeline import prepare, value_range_of; "
        "value_range_of(np.zeros((4, 4), np.uint8)); prepare(np.zeros((4, 4, 3), np.uint8)); "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
