"""`stylefuse train`: flags equivalent to TrainConfig, plus --config, --resume."""

import argparse
import shlex
import sys
from dataclasses import fields

from ..errors import UserError
from .config import PRESETS, TrainConfig

_LIST_FIELDS = {"style", "content", "pairs", "synthetic"}
_HELP = {
    "task": "style or fuse",
    "name": "model name (lands in the user model directory)",
    "style": "style image(s); one image trains a single-style model, several an arbitrary-style one",
    "content": "content images or folders",
    "pairs": "aligned folders DIR_A:DIR_B (same file names), repeatable",
    "split": "all | first-half | second-half of each pair folder (hold the rest out)",
    "adversarial": "bce (cross-entropy, the default) | hinge | lsgan",
    "adv_weight": "weight of the adversarial term in G's loss (0 disables D)",
    "deterministic": "torch.use_deterministic_algorithms(True)",
    "run_dir": "checkpoints, TensorBoard logs, config.json (default: <data dir>/runs/<name>)",
    "preset": "fast: a style model in <= 10 minutes here (steps, crop, loss weights, time budget); flags override it",
    "time_budget_s": "stop training after this many seconds and export what was reached (0: no limit)",
    "texture_weight": "style: weight of the texture term (relative Gram distance of a random net on per-channel standardised images)",
    "no_palette": "style: no palette step (train on the raw photos' colours; the card stores no palette)",
    "style_side": "downscale style images to this long side (px) before cropping, 0 keeps their size (default 512)",
    "widths": "generator channels per level, e.g. 16,32,64 (trunk at 1/8 resolution)",
    "out_dir": "model folder to write (default: <user model dir>/<name>)",
    "synthetic": "fuse: photos or folders to make multi-focus/multi-exposure pairs with a ground truth from",
    "synthetic_skimage": "fuse: comma-separated scikit-image photos for those pairs (benchmark photos refused)",
    "synthetic_fraction": "fuse: share of each batch that is synthetic pairs (default 0.5)",
    "truth_weight": "fuse: weight of the supervised loss (L1 + gradient + SSIM to the truth) on synthetic pairs",
    "fusion_arch": "fuse: blend (default: trunk -> blending weight + residual) or focus (adds a classical focus measure)",
    "focus_radius": "focus: box radius (px) of the local Laplacian energy (default 3)",
    "focus_gain": "focus: > 0 adds gain x focus contrast to the weight's logit (learned; start as the classical rule)",
    "focus_gate": "focus: a learned per-pixel gate on that rule (the trunk can switch it off, e.g. for exposures)",
    "focus_gate_bias": "focus: the gate's initial logit (0: half open, default; 3: ~95%% open)",
    "scd_weight": "fuse: weight of 2 - SCD (sum of the correlations of differences) on the pairs without a truth",
    "exposure_radius": "focus: > 0 adds exposure-pair evidence (local correlation x brightness difference, "
                       "(2 R + 1)^2 windows) that sends the blend to the average on exposure pairs",
    "exposure_smooth": "focus: average the exposure evidence over (2 S + 1)^2 windows (default 64)",
    "exposure_ramp": "focus: LO,HI: smoothed evidence below LO leaves the blend alone, above HI averages (default 0.2,0.4)",
    "two_scale": "focus: blend a low-pass base and the detail with separate weights (base starts as the average)",
}


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="JSON file with the same keys as the flags (flags override it)")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    for f in fields(TrainConfig):
        if f.name == "command":
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.name in _LIST_FIELDS:
            parser.add_argument(flag, nargs="+", action="extend", default=None, help=_HELP.get(f.name))
        elif f.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", default=None, help=_HELP.get(f.name))
        else:
            typ = f.type if f.type in (int, float) else str
            parser.add_argument(flag, type=typ, default=None, help=_HELP.get(f.name))


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then the preset, then the --config file's keys, then flags: the later one wins.

    So a run's saved config.json (preset already resolved into it) reproduces the run exactly.
    """
    from_file = TrainConfig.read_keys(args.config) if args.config else {}
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name, None) is not None}
    preset = given.get("preset", from_file.get("preset", ""))
    if preset and preset not in PRESETS:
        raise UserError(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    values = TrainConfig().__dict__ | PRESETS.get(preset, {}) | from_file | given
    values["command"] = "stylefuse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return TrainConfig(**values)


def run_train(args: argparse.Namespace) -> int:
    from .loop import TrainingInterrupted, train

    cfg = config_from_args(args)
    try:
        out = train(cfg, resume=args.resume)
    except TrainingInterrupted as exc:
        print(f"stylefuse: {exc}; resume with the same command plus --resume", file=sys.stderr)
        return 130
    if out is not None:
        print(f"model {cfg.name!r} written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m stylefuse.training.cli` (what torchrun launches)."""
    parser = argparse.ArgumentParser(prog="stylefuse train")
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_train(args)
    except UserError as exc:
        print(f"stylefuse train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
