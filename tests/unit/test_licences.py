"""The licence the package declares is the LICENSE it ships, and every bundled file has a licence line.

pyproject's `license` (an SPDX expression) must match the LICENSE text; the bundled examples and the
shipped models must each be listed, with a licence, in the LICENSES.md beside them; any SPDX header
in the sources must name the project's licence.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "core" / "stylefuse"
# SPDX id -> words the licence text starts with (enough to tell the licences apart)
LICENCE_HEADS = {
    "Apache-2.0": ("Apache License", "Version 2.0, January 2004"),
    "MIT": ("MIT License",),
    "BSD-3-Clause": ("BSD 3-Clause License",),
}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def table_rows(md: Path) -> dict[str, list[str]]:
    """First cell (backticks stripped) -> the row's cells, for every row of the Markdown tables in `md`."""
    rows = {}
    for line in md.read_text().splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_pyproject_licence_is_the_license_file():
    project = pyproject()["project"]
    spdx = project["license"]
    assert isinstance(spdx, str), "license must be an SPDX expression (PEP 639), not a table"
    text = (ROOT / "LICENSE").read_text().lstrip()
    assert spdx in LICENCE_HEADS, f"add {spdx}'s opening words to LICENCE_HEADS"
    for words in LICENCE_HEADS[spdx]:
        assert words in text[:200], f"LICENSE does not read as {spdx}: missing {words!r}"
    for path in project.get("license-files", []):
        assert (ROOT / path).is_file(), f"license-files names {path}, which does not exist"
    assert {"LICENSE", "NOTICE"} <= set(project.get("license-files", []))


def test_every_bundled_example_has_a_licence_line():
    rows = table_rows(PKG / "examples" / "LICENSES.md")
    files = sorted(p.name for p in (PKG / "examples").iterdir() if p.is_file() and p.name != "LICENSES.md")
    assert files
    for name in files:
        assert name in rows, f"examples/{name} has no row in examples/LICENSES.md"
        assert rows[name][-1], f"examples/{name} has an empty licence cell"
    notice = (ROOT / "NOTICE").read_text()
    for name in files:
        assert name in notice, f"NOTICE does not mention the bundled example {name}"


def test_every_shipped_model_has_the_projects_licence():
    spdx = pyproject()["project"]["license"]
    rows = table_rows(PKG / "shipped_models" / "LICENSES.md")
    models = sorted(p.name for p in (PKG / "shipped_models").iterdir() if (p / "card.json").is_file())
    assert models
    for name in models:
        assert name in rows, f"shipped model {name} has no row in shipped_models/LICENSES.md"
        assert rows[name][1] == spdx, (
            f"shipped model {name}: licence {rows[name][1]!r}, the project's is {spdx}"
        )


def test_licence_notes_ship_in_the_wheel():
    data = pyproject()["tool"]["setuptools"]["package-data"]["stylefuse"]
    assert "examples/*" in data and "shipped_models/*.md" in data


def test_spdx_headers_name_the_projects_licence():
    spdx = pyproject()["project"]["license"]
    header = re.compile(r"SPDX-License-Identifier:\s*(\S+)")
    for folder in ("core", "server_triton", "plugin_napari", "gimp_plugin"):
        for path in (ROOT / folder).rglob("*.py"):
            found = header.search(path.read_text(errors="replace")[:2000])
            assert found is None or found.group(1) == spdx, (
                f"{path} says {found.group(1)}, the project is {spdx}"
            )
