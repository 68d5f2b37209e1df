"""The fusion pictures of the quality benchmark: one per kind (the sources, both GFF variants,
stylefuse's default and, for pairs made from a photo, the photo) and the overview of every method."""

from __future__ import annotations

from pathlib import Path

from fusion_common import DEFAULT
from panels import BLANK, save_panel

# picture file -> (title, example keys, names of the two sources): keys are set names or ground-truth tasks
KINDS = {
    "fusion_mri_ct.png": ("medical, MRI-CT", ("MRI_CT",), ("MRI", "CT")),
    "fusion_mri_pet.png": ("medical, MRI-PET", ("MRI_PET",), ("MRI", "PET")),
    "fusion_mri_spect.png": ("medical, MRI-SPECT", ("MRI_SPECT",), ("MRI", "SPECT")),
    "fusion_infrared_visible.png": ("infrared/visible", ("TNO", "RoadScene"), ("infrared", "visible")),
    "fusion_multi_focus.png": ("multi-focus", ("multi-focus",), ("A (centre sharp)", "B (rest sharp)")),
    "fusion_multi_exposure.png": ("multi-exposure", ("multi-exposure",), ("under-exposed", "over-exposed")),
}


def kind_panels(examples: dict, folder: Path) -> list[Path]:
    """One picture per kind that has examples; returns the files written."""
    written = []
    for file, (title, keys, sources) in KINDS.items():
        rows = [row for key in keys for row in examples.get(key, [])]
        if not rows:
            continue
        with_truth = any(truth is not None for *_, truth in rows)
        columns = [*sources, "GFF (11x11)", "GFF-23", DEFAULT] + (["truth (the photo)"] if with_truth else [])
        cells = []
        for label, a, b, results, truth in rows:
            row = [a, b, results.get("GFF"), results.get("GFF-23"), results.get(DEFAULT)]
            cells.append(
                (f"{title}: {label}", row + ([truth if truth is not None else BLANK] if with_truth else []))
            )
        save_panel(folder / file, columns, cells, box=208)
        written.append(folder / file)
    return written


def overview_panel(examples: dict, path: Path) -> Path:
    """Every method on the first example of each kind (docs/images/fusion_panel.png)."""
    methods = ("Average", "LP", "DWT", "GFF", "GFF-23", "Mertens")
    rows = []
    for items in examples.values():
        label, a, b, results, _truth = items[0]
        rows.append((label, [a, b, results.get(DEFAULT)] + [results.get(m, BLANK) for m in methods]))
    save_panel(path, ["A", "B", DEFAULT, *methods], rows, box=176)
    return path
