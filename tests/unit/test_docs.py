"""The README stays a ten-minute read, starts with the two commands, and no doc links to nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    "cli",
    "models",
    "training",
    "serving",
    "napari",
    "gimp",
    "benchmarks",
    "reliability",
    "architecture",
)


def markdown_files() -> list[Path]:
    return [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "CHANGELOG.md",
        *sorted((ROOT / "docs").glob("*.md")),
    ]


def test_readme_is_short_and_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 12 * 1024, "README.md over 12 KB: move detail into docs/"
    head = text.splitlines()[:5]
    assert head[0] == "# stylefuse" and head[2] == "```bash"
    assert head[3].startswith("./scripts/demo ") and head[4].startswith("./scripts/test ")
    for page in PAGES:
        assert f"docs/{page}.md" in text, f"README does not link docs/{page}.md"


def test_every_topic_page_exists_and_benchmarks_hold_the_quality_block():
    for page in PAGES:
        assert (ROOT / "docs" / f"{page}.md").is_file()
    bench = (ROOT / "docs" / "benchmarks.md").read_text()
    assert (
        "<!-- QUALITY:BEGIN" in bench and "<!-- QUALITY:END -->" in bench
    )  # benchmarks/quality.py writes there


def test_relative_links_resolve():
    broken = []
    for md in markdown_files():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", md.read_text()):
            if "://" not in target and not (md.parent / target).exists():
                broken.append(f"{md.relative_to(ROOT)} -> {target}")
    assert not broken, broken
