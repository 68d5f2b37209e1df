"""The torch floor is stated once and agrees everywhere: pyproject's `torch>=X` is the newest "since"
of docs/install.md's API table, the docs say so, the installed torch meets it, and each API of the
table exists in it."""

import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.match(r"(\d+(?:\.\d+)*)", text).group(1).split("."))


def _floor() -> str:
    # (a regex, not tomllib: the project supports Python 3.10)
    (floor,) = re.findall(r'^\s*"torch>=([\d.]+)",', (ROOT / "pyproject.toml").read_text(), flags=re.M)
    return floor


def test_floor_is_the_newest_api_of_the_table():
    floor = _floor()
    text = (ROOT / "docs" / "install.md").read_text()
    section = text.split("## Which torch", 1)[1]
    sinces = re.findall(r"^\|[^\n]*\|\s*(\d+\.\d+)\s*\|\s*$", section, flags=re.M)
    assert sinces, "docs/install.md has no API table under 'Which torch'"
    assert max(map(_version, sinces)) == _version(floor)
    assert f"torch>={floor}" in text and "2.13.0" in section


def test_installed_torch_meets_the_floor_and_has_the_apis():
    assert _version(torch.__version__) >= _version(_floor())
    assert issubclass(torch.OutOfMemoryError, RuntimeError)
    assert torch.export.Dim.DYNAMIC is not None
    from torch.nn.utils.parametrizations import spectral_norm  # noqa: F401
