"""stylefuse.runner: one interface, one default-model rule, one device option, one method option."""

import numpy as np
import pytest

from stylefuse.errors import UserError
from stylefuse.model_choice import ModelInfo, default_first, default_model
from stylefuse.runner import LocalRunner, TritonRunner, make_runner, resolve_device

MODELS = [
    ModelInfo("arbitrary", "style", 3, False),
    ModelInfo("mondrian", "style", 3, True),
    ModelInfo("udnie", "style", 3, True, default=True),
    ModelInfo("fuse-general", "fuse", 1),
    ModelInfo("fuse-medical", "fuse", 1, default=True),
]


def test_default_model_rule():
    assert default_model("style", MODELS) == "udnie"
    assert default_model("fuse", MODELS) == "fuse-medical"
    unmarked = [ModelInfo(m.name, m.task, m.channels, m.has_default_style) for m in MODELS]
    assert default_model("style", unmarked) == "arbitrary"
    assert default_model("style", unmarked, need_default_style=True) == "mondrian"  # no reference: own style
    assert default_model("style", [MODELS[0]], need_default_style=True) == "arbitrary"  # nothing better
    assert default_first("fuse", MODELS) == ["fuse-medical", "fuse-general"]
    with pytest.raises(UserError, match="no 'fuse' model is installed"):
        default_model("fuse", MODELS[:3])


def test_installed_default_is_the_registry_default():
    from stylefuse.registry import default_model_name

    runner = LocalRunner("cpu")
    for task in ("style", "fuse"):
        assert runner.default_model(task) == default_model_name(task)
        assert runner.model_names(task)[0] == default_model_name(task)


def test_device_option():
    import torch

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(UserError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        for device in ("cuda", "cuda:1", "CUDA:0"):
            with pytest.raises(UserError, match="CUDA is not available") as info:
                LocalRunner(device)
            assert "\n" not in str(info.value)
    with pytest.raises(UserError, match="in-process"):
        make_runner("127.0.0.1:9", device="cpu")


def test_local_runner_is_the_pipeline(style_model, fuse_model, scene):
    from stylefuse.pipeline import fuse, stylize

    image = (scene(24, 28) * 255).round().astype(np.uint8)
    before = image.copy()
    runner = make_runner(None, device="cpu")
    assert isinstance(runner, LocalRunner)
    np.testing.assert_array_equal(
        runner.stylize(image, strength=0.7), stylize(image, model=style_model, strength=0.7)
    )
    # No model: the runner and the pipeline apply the same automatic rule (stylefuse.fusion_kind).
    from stylefuse.fusion_kind import default_fusion_model

    chosen = default_fusion_model(image, image[::-1])
    np.testing.assert_array_equal(runner.fuse(image, image[::-1]), fuse(image, image[::-1], model=chosen))
    np.testing.assert_array_equal(runner.fuse(image, image[::-1]), fuse(image, image[::-1]))
    np.testing.assert_array_equal(
        runner.fuse(image, image[::-1], model=fuse_model.name), fuse(image, image[::-1], model=fuse_model)
    )
    np.testing.assert_array_equal(image, before)


def test_method_option(style_model, scene):
    import inspect

    from stylefuse.pipeline import stylize

    image = (scene(16, 16) * 255).round().astype(np.uint8)
    runner = LocalRunner("cpu")
    with pytest.raises(UserError, match="unknown method"):
        runner.stylize(image, method="magic")
    if "method" not in inspect.signature(stylize).parameters:
        with pytest.raises(UserError, match="not available"):
            runner.stylize(image, method="synthesis")


def test_triton_runner_takes_the_same_arguments():
    import inspect

    for name in ("stylize", "fuse"):
        local = inspect.signature(getattr(LocalRunner, name))
        remote = inspect.signature(getattr(TritonRunner, name))
        assert list(local.parameters) == list(remote.parameters)
        assert [p.default for p in local.parameters.values()] == [
            p.default for p in remote.parameters.values()
        ]


def test_cli_device_cuda_without_cuda_is_one_line(tmp_path, capsys):
    import torch

    from stylefuse.cli import main

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    image = tmp_path / "in.png"
    from stylefuse.io import write_image

    write_image(image, np.zeros((8, 8, 3), np.uint8))
    assert main(["stylize", str(image), "--device", "cuda", "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stylefuse: error:") and "CUDA is not available" in err and "\n" not in err
    assert not (tmp_path / "out.png").exists()


def test_resolve_checks_the_model_once(style_model):
    runner = LocalRunner("cpu")
    assert runner.resolve(None, "style") == "udnie"
    assert runner.resolve("fuse-medical", "fuse") == "fuse-medical"
    with pytest.raises(UserError, match="not a 'style' model"):
        runner.resolve("fuse-medical", "style")
    with pytest.raises(UserError, match="unknown model"):
        runner.resolve("no-such-model", "style")
