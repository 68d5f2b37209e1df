"""The python-backend request handling (`stylefuse_triton.backend.process`) without a server: fast checks."""

import numpy as np
import pytest

from stylefuse import pipeline
from stylefuse.errors import UserError


def test_fusion_stack_with_one_reference_and_ranges(fuse_model):
    from stylefuse_triton.backend import process

    rng = np.random.default_rng(0)
    a = rng.integers(0, 4000, (3, 20, 24, 1)).astype(np.uint16)
    b = rng.integers(0, 255, (1, 20, 24, 1)).astype(np.uint8)
    name, out = process(
        fuse_model,
        {"SOURCE_UINT16": a, "REFERENCE_UINT8": b, "VALUE_RANGE": np.tile(np.float32([[0, 4095]]), (3, 1))},
    )
    want = pipeline.fuse(
        a, np.repeat(b, 3, axis=0), model=fuse_model, is_stack=True, value_range=((0, 4095), (0, 255))
    )
    assert name == "OUTPUT_UINT16" and out.shape == (3, 20, 24, 1)
    np.testing.assert_array_equal(out, want)


def test_style_stack_is_one_stack(style_model):
    from stylefuse_triton.backend import process

    ct = np.random.default_rng(1).integers(-1000, 1400, (2, 16, 16, 1)).astype(np.int16)
    _, out = process(style_model, {"SOURCE_INT16": ct, "STRENGTH": np.full((2, 1), 0.5, np.float32)})
    np.testing.assert_array_equal(out, pipeline.stylize(ct, model=style_model, strength=0.5, is_stack=True))


@pytest.mark.parametrize(
    "inputs, requested, message",
    [
        (
            {
                "SOURCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
                "REFERENCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
                "MASK": np.ones((1, 8, 8), np.float32),
            },
            (),
            "style models",
        ),
        (
            {
                "SOURCE_UINT8": np.zeros((2, 8, 8, 3), np.uint8),
                "REFERENCE_UINT8": np.zeros((3, 8, 8, 3), np.uint8),
            },
            (),
            "give 1 or 2",
        ),
        ({"SOURCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8)}, (), "no reference image"),
        (
            {
                "SOURCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
                "REFERENCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
                "VALUE_RANGE": np.float32([[1, 1]]),
            },
            (),
            "lo < hi",
        ),
        (
            {
                "SOURCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
                "REFERENCE_UINT8": np.zeros((1, 8, 8, 3), np.uint8),
            },
            ("OUTPUT_FP32",),
            "request OUTPUT_UINT8",
        ),
    ],
)
def test_fusion_request_errors(fuse_model, inputs, requested, message):
    from stylefuse_triton.backend import process

    with pytest.raises(UserError, match=message):
        process(fuse_model, inputs, requested)
