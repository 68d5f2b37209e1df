"""Fixtures shared by the unit tests."""

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def ct_file(tmp_path) -> Path:
    pydicom_data = pytest.importorskip("pydicom.data")
    path = tmp_path / "in" / "CT_small.dcm"
    path.parent.mkdir()
    shutil.copy(pydicom_data.get_testdata_file("CT_small.dcm"), path)
    return path
