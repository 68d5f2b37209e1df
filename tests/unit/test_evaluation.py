"""stylefuse.evaluation: the fusion scores `stylefuse eval` prints and napari's Fuse layers widget shows."""

import numpy as np
import pytest

from stylefuse.errors import UserError
from stylefuse.evaluation import METRIC_NAMES, evaluate_fusion, grey_levels
from stylefuse.metrics import FUSION_METRIC_NAMES, fusion_metrics


def triple(dtype, z=None, size=48, seed=0):
    rng = np.random.default_rng(seed)
    shape = (size, size) if z is None else (z, size, size)
    base = rng.random(shape)
    scale = {np.uint8: 255, np.uint16: 4095, np.int16: 2000}.get(dtype, 1.0)
    return [
        np.asarray(np.clip(base * (0.5 + 0.25 * k) + 0.1 * k, 0, 1) * scale).astype(dtype) for k in range(3)
    ]


def test_names_are_the_metrics_names():
    assert tuple(METRIC_NAMES) == tuple(FUSION_METRIC_NAMES)


def test_uint8_image_is_the_plain_metrics():
    f, a, b = triple(np.uint8)
    assert evaluate_fusion(f, a, b) == pytest.approx(
        {k: float(v) for k, v in fusion_metrics(f, a, b).items()}
    )


def test_grey_levels_rule():
    assert grey_levels(np.array([0, 257, 65535], np.uint16), (0, 1)).tolist() == [0, 1, 255]
    assert grey_levels(np.array([-1000, 1000], np.int16), (-1000.0, 1000.0)).tolist() == [0, 255]
    assert grey_levels(np.array([3, 3], np.int16), (3.0, 3.0)).tolist() == [0, 0]


def test_stack_is_the_mean_over_slices_and_non_strict_gives_nan():
    f, a, b = triple(np.int16, z=3)
    whole = evaluate_fusion(f, a, b, is_stack=True)
    common = (float(min(x.min() for x in (f, a, b))), float(max(x.max() for x in (f, a, b))))
    per = [fusion_metrics(*(grey_levels(x, common)[k] for x in (f, a, b))) for k in range(3)]
    assert whole == pytest.approx({n: float(np.mean([p[n] for p in per])) for n in METRIC_NAMES})
    small = triple(np.uint8, z=2, size=24)
    with pytest.raises(UserError):
        evaluate_fusion(*small, is_stack=True)  # VIF needs 41 x 41 pixels
    loose = evaluate_fusion(*small, is_stack=True, strict=False)
    assert np.isnan(loose["VIF"]) and np.isfinite(loose["EN"])
