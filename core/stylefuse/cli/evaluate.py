"""`stylefuse eval`: the no-reference fusion metrics of fused images against their two sources."""

from __future__ import annotations

import argparse

from ..errors import UserError
from .options import add_device_option, note

NAME = "eval"
HELP = "fusion metrics of fused images against their sources"
DESCRIPTION = (
    "The eight no-reference fusion metrics (EN, SD, SF, MI, SCD, VIF, Qabf, SSIM; higher is better) "
    "of each fused image against its two sources. Images are read as 8-bit grey levels (16-bit ones "
    "scaled by 1/257, others by the triple's common range); stacks are averaged over slices."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("triples", nargs="*", metavar="FUSED A B", help="one or more triples of files")
    p.add_argument("--fused-dir", metavar="DIR", help="folder of fused images ...")
    p.add_argument(
        "--a-dir", metavar="DIR", help="... and the folders of their sources, matched by file name"
    )
    p.add_argument(
        "--b-dir", metavar="DIR", help="the folder of the second sources (with --fused-dir, --a-dir)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_device_option(
        p,
        "checked like every command's --device (one flag for a whole script); the metrics are "
        "NumPy and run on the CPU whatever it says",
    )


def _triple_metrics(paths: tuple[str, str, str]) -> dict:
    from ..evaluation import evaluate_fusion
    from .support import read_input, shape_text, spatial_shape

    datas = [
        read_input(p, what) for p, what in zip(paths, ("fused image", "source A", "source B"), strict=True)
    ]
    shapes = [spatial_shape(d) for d in datas]
    if len(set(shapes)) != 1:
        raise UserError(
            "eval needs three images of one size: "
            + ", ".join(f"{p} is {shape_text(s)}" for p, s in zip(paths, shapes, strict=True))
        )
    try:  # the scores napari's Fuse layers widget shows too (stylefuse.evaluation)
        return evaluate_fusion(*(d.array for d in datas), is_stack=datas[0].is_stack)
    except UserError as exc:
        raise UserError(f"{paths[0]}: {exc}") from None


def _dir_triples(fused_dir: str, a_dir: str, b_dir: str) -> list[tuple[str, str, str]]:
    from pathlib import Path  # here, not at the top: `stylefuse --help` imports nothing it does not need

    from .support import full_suffix, image_suffixes

    dirs = {"--fused-dir": fused_dir, "--a-dir": a_dir, "--b-dir": b_dir}
    for flag, d in dirs.items():
        if d is None:
            raise UserError("--fused-dir, --a-dir and --b-dir go together; " + flag + " is missing")
        if not Path(d).is_dir():
            raise UserError(f"{flag} {d} is not a folder")
    suffixes = image_suffixes()

    def stem(p: Path) -> str:
        return p.name[: len(p.name) - len(full_suffix(p))]

    def images(d: str) -> list[Path]:
        return sorted(p for p in Path(d).iterdir() if p.is_file() and full_suffix(p) in suffixes)

    fused = images(fused_dir)
    if not fused:
        raise UserError(f"--fused-dir {fused_dir} holds no image files")
    by_stem = {flag: {stem(p): p for p in images(d)} for flag, d in dirs.items() if flag != "--fused-dir"}
    triples = []
    for f in fused:
        partners = []
        for flag in ("--a-dir", "--b-dir"):
            match = Path(dirs[flag]) / f.name
            if not match.is_file():
                match = by_stem[flag].get(stem(f))
            if match is None:
                raise UserError(
                    f"no source for {f.name} in {flag} {dirs[flag]} (sources are matched by file name)"
                )
            partners.append(str(match))
        triples.append((str(f), partners[0], partners[1]))
    return triples


def run(args: argparse.Namespace) -> int:
    import json  # here, not at the top: `stylefuse --help` imports nothing it does not need

    from ..metrics import FUSION_METRIC_NAMES
    from .support import format_table

    # Resolved like stylize's and fuse's (`--device cuda` without CUDA is the same one-line error),
    # but cpu/auto skip it: resolving imports torch (~1 s), which the NumPy metrics never need.
    if str(args.device).strip().lower() not in ("cpu", "auto"):
        from ..runner.device import resolve_device

        device = resolve_device(args.device)
        if device.type != "cpu":
            note(f"--device {device}: the fusion metrics are NumPy and run on the CPU")
    if len(args.triples) % 3:
        raise UserError(f"eval takes files in triples FUSED A B; got {len(args.triples)} file(s)")
    triples = [tuple(args.triples[i : i + 3]) for i in range(0, len(args.triples), 3)]
    if args.fused_dir or args.a_dir or args.b_dir:
        triples += _dir_triples(args.fused_dir, args.a_dir, args.b_dir)
    if not triples:
        raise UserError("nothing to evaluate: give FUSED A B files or --fused-dir/--a-dir/--b-dir")
    results = [{"fused": t[0], "a": t[1], "b": t[2], "metrics": _triple_metrics(t)} for t in triples]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    rows = [[r["fused"]] + [f"{r['metrics'][k]:.4f}" for k in FUSION_METRIC_NAMES] for r in results]
    if len(results) > 1:
        rows.append(
            ["mean"]
            + [f"{sum(r['metrics'][k] for r in results) / len(results):.4f}" for k in FUSION_METRIC_NAMES]
        )
    print(format_table(("fused",) + tuple(FUSION_METRIC_NAMES), rows, right=[False] + [True] * 8))
    return 0
