"""The quality benchmark's report: the Markdown lines it prints and collects (benchmarks/results/quality.md),
the targets' PASS/MISS rows, and the writer of the tables into docs/benchmarks.md (--update-readme)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_BEGIN = "<!-- QUALITY:BEGIN (written by benchmarks/quality.py --update-readme) -->"
README_END = "<!-- QUALITY:END -->"


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    readme: list[str] = field(default_factory=list)  # the same without the detail tables
    targets: list[tuple[str, str, str]] = field(default_factory=list)  # (target, measured, PASS|MISS|n/a)
    detail: bool = False  # while True, lines go to the results file only

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)
        if not self.detail:
            self.readme.append(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.say("| " + " | ".join(header) + " |")
        self.say("|" + "---|" * len(header))
        for row in rows:
            self.say("| " + " | ".join(row) + " |")
        self.say()

    def target(self, what: str, measured: str, ok: bool | None) -> None:
        self.targets.append((what, measured, "n/a" if ok is None else ("PASS" if ok else "MISS")))


def fmt(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def update_readme(report: Report, results: Path, readme: Path = ROOT / "docs" / "benchmarks.md") -> None:
    """Replace docs/benchmarks.md's block between the QUALITY markers with this run's tables (headings two levels down)."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        print(f"{readme}: no {README_BEGIN} ... {README_END} block; README left alone", file=sys.stderr)
        return
    body = []
    for line in report.readme:
        if line.startswith("# "):
            continue
        body.append("####" + line[2:] if line.startswith("## ") else line)
    rel = results.resolve().relative_to(ROOT) if results.resolve().is_relative_to(ROOT) else results
    link = os.path.relpath(
        results.resolve(), readme.resolve().parent
    )  # the link works from the page's folder
    body.append(f"Every table, the per-style ones included: [`{rel}`]({link}).")
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + README_BEGIN + "\n" + "\n".join(body).strip() + "\n" + README_END + tail)
    print(f"updated {readme}")
