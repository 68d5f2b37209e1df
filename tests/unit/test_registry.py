"""Model names, search path, loading."""

import pytest
import torch

from stylefuse.errors import UserError
from stylefuse.registry import default_model_name, find_model, load_model_folder, validate_model_name


@pytest.mark.parametrize("name", ["../udnie", "a/b", "", ".hidden", "x" * 65, "a..b", "c:\\evil"])
def test_model_names_are_never_paths(name):
    with pytest.raises(UserError, match="invalid model name"):
        validate_model_name(name)


def test_unknown_model_lists_what_exists():
    with pytest.raises(UserError, match="unknown model 'nope'.*udnie"):
        find_model("nope")


def test_wrong_task_is_named():
    with pytest.raises(UserError, match="is a 'style' model, not a 'fuse' model"):
        find_model("udnie", task="fuse")


def test_shipped_defaults():
    assert find_model(default_model_name("style")).task == "style"
    assert find_model(default_model_name("fuse")).task == "fuse"


def test_model_loaded_in_inference_mode_still_runs_outside_it():
    # The pipeline loads models inside inference mode; other callers (export checks, BLS tests) do not.
    with torch.inference_mode():
        model = load_model_folder(find_model("fuse-medical").folder)
    x = torch.rand(1, 1, 16, 16)
    assert model.module(x, x).shape == x.shape


def test_user_models_directory_is_searched(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("STYLEFUSE_MODELS", str(tmp_path))
    shutil.copytree(find_model("fuse-medical").folder, tmp_path / "my-fusion")
    entry = find_model("my-fusion")
    assert entry.origin == "user" and entry.folder == tmp_path / "my-fusion"


def test_listing_models_and_defaults_does_not_import_torch():
    """`stylefuse models` and the default-model rule stay fast: torch loads only with a model."""
    import subprocess
    import sys

    code = (
        "import sys, stylefuse.registry as r; r.list_models(); r.default_model_name('style'); "
        "r.default_model_name('fuse'); print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
