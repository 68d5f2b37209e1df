import os
from pathlib import Path

import pytest


def _find_shared_data() -> Path:
    """The project's shared training data: $STYLEFUSE_SHARED_DATA, else `shared/data` beside the
    checkout or beside any folder above it, else the workplace's /work/shared/data."""
    if os.environ.get("STYLEFUSE_SHARED_DATA"):
        return Path(os.environ["STYLEFUSE_SHARED_DATA"])
    repo = Path(__file__).resolve().parents[2]
    for folder in [repo, *repo.parents]:
        if (folder / "shared" / "data" / "styles").is_dir():
            return folder / "shared" / "data"
    return Path("/work/shared/data")


SHARED_DATA = _find_shared_data()


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
