"""`stylefuse train --preset fast` and the wall-clock budget that bounds it."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stylefuse.errors import UserError
from stylefuse.training.cli import add_train_arguments, config_from_args
from stylefuse.training.config import PRESETS


def parse(argv: list[str]):
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_fast_preset_sets_its_options_and_flags_override_them():
    cfg = parse(["--preset", "fast", "--style", "s.jpg", "--content", "c"])
    for key, value in PRESETS["fast"].items():
        assert getattr(cfg, key) == value
    assert 0 < cfg.time_budget_s <= 600, "the fast preset must bound training to fit in 10 minutes"
    cfg = parse(["--preset", "fast", "--steps", "7", "--style-weight", "9"])
    assert (
        cfg.steps == 7 and cfg.style_weight == 9.0 and cfg.content_weight == PRESETS["fast"]["content_weight"]
    )


def test_config_file_preset_is_applied(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"preset": "fast", "steps": 3}))
    cfg = parse(["--config", str(path)])
    # The file chose the preset; its own keys still win over the preset's (a saved config.json
    # reproduces its run), and flags win over both.
    assert cfg.time_budget_s == PRESETS["fast"]["time_budget_s"] and cfg.steps == 3
    assert parse(["--config", str(path), "--steps", "5"]).steps == 5


def test_unknown_preset_and_bad_widths_are_clear_errors():
    with pytest.raises(UserError, match="--preset must be one of fast"):
        parse(["--preset", "slow"])
    with pytest.raises(UserError, match="--widths"):
        parse(["--task", "style", "--style", "a", "--content", "b", "--widths", "16,x"]).validate()


@pytest.mark.slow
def test_time_budget_stops_early_and_still_exports(shared_data, train_env, tmp_path):
    run_dir = tmp_path / "run"
    args = [
        "--task",
        "fuse",
        "--name",
        "budget-test",
        "--pairs",
        f"{shared_data / 'fusion' / 'MRI_CT' / 'MRI'}:{shared_data / 'fusion' / 'MRI_CT' / 'CT'}",
        "--steps",
        "100000",
        "--time-budget-s",
        "3",
        "--crop",
        "32",
        "--batch",
        "2",
        "--run-dir",
        str(run_dir),
        "--threads",
        "1",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "stylefuse.training.cli", *args],
        env=train_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = json.loads((Path(train_env["STYLEFUSE_MODELS"]) / "budget-test" / "card.json").read_text())
    assert 1 <= card["training"]["steps"] < 100000
    assert card["training"]["wall_time_s"] < 60
