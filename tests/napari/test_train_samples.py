"""Train style (tiny run, then the model is used at once), cancel of training, and the sample data."""

import numpy as np
import pytest
from conftest import scene_u8
from test_style import dock, run


def test_train_widget_model_is_usable_at_once(viewer, wait_jobs, user_models, notifications):
    style = viewer.add_image(scene_u8(48, 48, seed=7), name="painting")
    content = viewer.add_image(np.stack([scene_u8(40, 40, s)[..., 0] for s in range(3)]), name="stack")
    trainer = dock(viewer, "Train style")
    styler = dock(viewer, "Style transfer")
    trainer.style.value = style
    trainer.content.value = [content]
    trainer.samples.value = False
    trainer.model_name.value = "tiny-style"
    trainer.steps.value, trainer.crop.value, trainer.batch.value = 3, 32, 1
    assert "tiny-style" not in styler.model.choices
    run(trainer, wait_jobs)
    assert (user_models / "tiny-style" / "model.pt").is_file()
    assert trainer.model_folder is not None
    assert "tiny-style" in styler.model.choices  # no restart, no refresh click
    assert any("tiny-style" in m and "trained" in m for m in notifications)

    target = viewer.add_image(scene_u8(32, 32, seed=1), name="photo")
    styler.image.value, styler.model.value = target, "tiny-style"
    run(styler, wait_jobs)
    assert viewer.layers[-1].name == "photo (stylized)" and viewer.layers[-1].data.dtype == np.uint8


def test_train_cancel(viewer, wait_jobs, user_models):
    style = viewer.add_image(scene_u8(48, 48, seed=7), name="painting")
    trainer = dock(viewer, "Train style")
    trainer.style.value = style
    trainer.model_name.value = "never-finished"
    trainer.steps.value, trainer.crop.value, trainer.batch.value = 500, 32, 1
    job = trainer.start()
    job.worker.yielded.connect(lambda *_: job.cancel())
    wait_jobs()
    assert job.outcome == "cancelled"
    assert not (user_models / "never-finished").exists()
    assert trainer.bar.run.enabled


def test_train_needs_a_valid_name(viewer, notifications):
    viewer.add_image(scene_u8(32, 32), name="painting")
    trainer = dock(viewer, "Train style")
    trainer.model_name.value = "../escape"
    assert trainer.start() is None
    assert any("invalid model name" in m for m in notifications)


@pytest.mark.parametrize(
    "key, names",
    [
        ("mni152", ["MNI152 T1"]),
        ("mni152_tissues", ["MNI152 T1", "MNI152 grey matter", "MNI152 white matter"]),
        ("brain_t1_pd", ["brain T1", "brain PD"]),
        ("udnie", ["udnie"]),
    ],
)
def test_sample_data_offline(viewer, key, names):
    if key.startswith("mni"):
        pytest.importorskip("nilearn", reason="the MNI152 samples come from the nilearn wheel")
    viewer.open_sample("stylefuse", key)
    assert [layer.name for layer in viewer.layers] == names
    first = viewer.layers[0]
    if key.startswith("mni"):
        assert first.data.shape == (189, 233, 197) and first.data.dtype == np.uint8
        np.testing.assert_allclose(first.scale, (1, 1, 1))
        assert first.data[94].max() > 0  # a real brain in the middle slice
    if key == "udnie":
        assert first.rgb and first.data.shape == (512, 512, 3)
