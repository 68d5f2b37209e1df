"""`stylefuse fuse A B -o OUT` without --model: the automatic rule picks the model by the pair's kind and
says so in one line on stderr; --model wins; the Triton runner applies the same rule on the client."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_fusion_kind import photo, scan, u8  # noqa: E402

from stylefuse.cli import main  # noqa: E402
from stylefuse.io import read_image, write_image  # noqa: E402
from stylefuse.pipeline import fuse  # noqa: E402


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    from scipy import ndimage

    folder = tmp_path_factory.mktemp("auto")
    img = photo()
    blurred = u8(ndimage.gaussian_filter(img / 255.0, (3, 3, 0)))
    left = (np.arange(img.shape[1]) < img.shape[1] // 2)[None, :, None]
    arrays = {
        "mri": scan(seed=3),
        "pet": scan(seed=5, colour=True),
        "near": np.where(left, img, blurred),
        "far": np.where(left, blurred, img),
    }
    for name, array in arrays.items():
        write_image(folder / f"{name}.png", array)
    return folder, arrays


def run(capsys, *argv):
    assert main(list(argv)) == 0
    return capsys.readouterr().err


def test_mri_with_pet_picks_the_medical_model(pairs, tmp_path, capsys):
    folder, arrays = pairs
    err = run(capsys, "fuse", str(folder / "mri.png"), str(folder / "pet.png"), "-o", str(tmp_path / "o.png"))
    assert "auto: medical (" in err and "-> fuse-medical" in err and "--model NAME" in err
    expected = fuse(arrays["mri"], arrays["pet"], model="fuse-medical")
    assert np.array_equal(read_image(tmp_path / "o.png").array, expected)


def test_two_photos_of_one_scene_pick_the_general_model_and_model_overrides(pairs, tmp_path, capsys):
    folder, arrays = pairs
    a, b = str(folder / "near.png"), str(folder / "far.png")
    err = run(capsys, "fuse", a, b, "-o", str(tmp_path / "auto.png"))
    assert "auto: multi-focus (same scene" in err and "-> fuse-general" in err
    assert np.array_equal(
        read_image(tmp_path / "auto.png").array, fuse(arrays["near"], arrays["far"], model="fuse-general")
    )
    err = run(capsys, "fuse", a, b, "--model", "fuse-medical", "-o", str(tmp_path / "named.png"))
    assert "auto" not in err
    assert np.array_equal(
        read_image(tmp_path / "named.png").array, fuse(arrays["near"], arrays["far"], model="fuse-medical")
    )
    assert run(capsys, "-q", "fuse", a, b, "-o", str(tmp_path / "quiet.png")) == ""


def test_models_lists_kinds_and_explains_the_rule(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    # fuse-general: infrared/visible and focus pairs; fuse-exposure: exposure pairs (issue 17 part 3)
    assert "infrared-visible,multi-focus" in out and "multi-exposure" in out
    assert "multi-exposure -> fuse-exposure" in out and "fusion without --model (auto)" in out


class FakeTransport:
    """A server's model list (kinds as `stylefuse serve` publishes them) and a record of the requests."""

    url, protocol, address = "grpc://fake:8001", "grpc", "fake:8001"

    def __init__(self):
        self.asked = []

    def list_models(self):
        return [
            {"name": "fuse-general", "task": "fuse", "channels": 1, "has_default_style": False, "default": False,
             "kinds": ["infrared-visible", "multi-focus", "multi-exposure"]},
            {"name": "fuse-medical", "task": "fuse", "channels": 1, "has_default_style": False, "default": True,
             "kinds": ["medical"]},
        ]  # fmt: skip

    def fuse(self, a, b, *, model, **_):
        self.asked.append(model)
        return a


def test_triton_runner_applies_the_rule_on_the_client(pairs):
    from stylefuse.runner import TritonRunner

    _, arrays = pairs
    transport = FakeTransport()
    runner = TritonRunner(transport=transport)
    runner.fuse(arrays["mri"], arrays["pet"])
    runner.fuse(arrays["near"], arrays["far"])
    runner.fuse(arrays["near"], arrays["far"], model="fuse-medical")
    assert transport.asked == ["fuse-medical", "fuse-general", "fuse-medical"]
