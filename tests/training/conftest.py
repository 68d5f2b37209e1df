import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("STYLEFUSE_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "styles").is_dir():
        pytest.skip(f"shared training data not found at {SHARED_DATA} (set STYLEFUSE_SHARED_DATA)")
    return SHARED_DATA.resolve()


@pytest.fixture
def train_env(tmp_path) -> dict:
    env = dict(os.environ)
    env["STYLEFUSE_MODELS"] = str(tmp_path / "models")
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    env.setdefault("OMP_NUM_THREADS", "2")
    return env
