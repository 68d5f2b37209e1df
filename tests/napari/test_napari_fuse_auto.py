"""The Fuse widget's model choice: "auto (by image kind)" first and chosen, running the core's rule
(stylefuse.fusion_kind, as `stylefuse fuse` without --model); a model chosen by hand wins."""

import numpy as np
from conftest import scene_u8
from scipy import ndimage
from test_style import dock, run

from stylefuse.pipeline import fuse

AUTO = "auto (by image kind)"


def focus_pair(h: int = 96, w: int = 112) -> tuple[np.ndarray, np.ndarray]:
    """Two photos of one scene, the left half sharp in one and the right half in the other."""
    photo = scene_u8(h, w, seed=4)
    blurred = np.round(ndimage.gaussian_filter(photo.astype(np.float64), (2, 2, 0))).astype(np.uint8)
    left = (np.arange(w) < w // 2)[None, :, None]
    return np.where(left, photo, blurred), np.where(left, blurred, photo)


def fuse_widget_on_a_focus_pair(viewer):
    """The two photos as layers and the Fuse widget docked with them as A and B."""
    near, far = focus_pair()
    a = viewer.add_image(near, name="near", rgb=True)
    b = viewer.add_image(far, name="far", rgb=True)
    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = a, b
    return near, far, widget


def test_auto_is_the_default_choice_and_picks_the_photo_model(viewer, wait_jobs):
    near, far, widget = fuse_widget_on_a_focus_pair(viewer)
    assert widget.model.value == AUTO
    assert list(widget.model.choices)[:1] == [AUTO]
    assert {"fuse-medical", "fuse-general"} <= set(widget.model.choices)
    run(widget, wait_jobs)
    assert widget.choice.value.startswith("auto: multi-focus") and widget.choice.value.endswith(
        "fuse-general"
    )
    result = viewer.layers[-1]
    expected = fuse(near, far, model="fuse-general")
    assert np.abs(result.data.astype(np.int64) - expected).max() <= 1
    assert np.array_equal(fuse(near, far), expected)  # the pipeline's own default: the same rule


def test_a_model_chosen_by_hand_wins(viewer, wait_jobs):
    near, far, widget = fuse_widget_on_a_focus_pair(viewer)
    widget.model.value = "fuse-medical"
    run(widget, wait_jobs)
    assert widget.choice.value == ""
    expected = fuse(near, far, model="fuse-medical")
    assert np.abs(viewer.layers[-1].data.astype(np.int64) - expected).max() <= 1
