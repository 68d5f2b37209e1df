"""`stylefuse train`: one flag per TrainConfig field, plus --config and --resume.

`python -m stylefuse.training.cli` (what torchrun launches) runs this same command through
`stylefuse.cli.main`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:
    from ..training.config import TrainConfig

NAME = "train"
HELP = "train a style or fusion model (see `stylefuse train --help`)"
DESCRIPTION = "Train a style or fusion model."

_LIST_FIELDS = {"style", "content", "pairs", "synthetic"}
_HELP = {
    "task": "style or fuse",
    "name": "model name (lands in the user model directory)",
    "style": "style image(s); one image trains a single-style model, several an arbitrary-style one",
    "content": "content images or folders",
    "pairs": "aligned folders DIR_A:DIR_B (same file names), repeatable",
    "split": "all | first-half | second-half | train | validation of each pair folder "
    "(train: the first half minus its last quarter, which is validation)",
    "adversarial": "bce (cross-entropy, the default) | hinge | lsgan",
    "adv_weight": "weight of the adversarial term in G's loss (0 disables D)",
    "deterministic": "torch.use_deterministic_algorithms(True)",
    "run_dir": "checkpoints, TensorBoard logs, config.json (default: <data dir>/runs/<name>)",
    "preset": "fast: a style model in <= 10 minutes here (steps, crop, loss weights, time budget); flags override it",
    "time_budget_s": "stop training after this many seconds and export what was reached (0: no limit)",
    "texture_weight": "style: weight of the texture term (relative Gram distance of a random net on per-channel standardised images)",
    "targets": "style: folder of synthesis targets (scripts/make_synthesis_targets.py): content photo NAME.* "
    "trains towards TARGETS/NAME.png, photo shrunk to the target's size, same crop/augmentation; "
    "adds the paired terms",
    "paired_weight": "style with --targets: weight of the L1 distance to the target (default 1.0)",
    "band_weight": "style with --targets: weight of the per-band (difference-of-Gaussians) histogram distance "
    "to the target, which keeps the strokes' detail L1 would blur (default 1.0)",
    "mrf_weight": "style: weight of the patch-matching (MRF) texture term: each output patch pulled (L2) to its "
    "nearest painting patch, not fixed in position (default 0: off)",
    "mrf_patch": "style: MRF patch side in px, at 1/2 and full resolution",
    "mrf_highpass": "style: MRF patches of the image minus its Gaussian blur of this sigma (texture, not tone); 0: raw",
    "mrf_match": "style: MRF search by cosine (flat output patches find textured ones) or l2",
    "mrf_stride": "style: stride of the MRF output and painting patch grids",
    "mrf_pooled": "style: MRF searches every style crop of the batch (a single painting), not only the row's own",
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
    "loss_targets": "fuse: intensity/SSIM targets of the real pairs: max (brighter source, SSIM to both) or "
    "saliency (each source weighted by its local gradient energy)",
    "exposure_families": "fuse: tone-curve families of the synthetic exposure pairs, e.g. linear,gamma-gain "
    "(linear, gamma-gain, s-curve; default linear)",
    "exposure_degrade": "fuse: read noise and JPEG quantisation on the synthetic exposure pairs",
    "base_radius": "focus + two-scale: the base is a (2 r + 1)^2 box mean (0: 1/8-resolution block means)",
    "exposure_head": "focus: exposure pairs get a learned weight map of their own instead of the average",
    "residual_scale": "focus: bound of the residual added to the blend (default 0.25; 0: a convex blend)",
    "guided_radius": "focus: > 0 refines the weight map by a guided filter of this radius on each source (as GFF)",
    "guided_eps": "focus: the guided filter's regulariser (default 1e-3)",
    "two_scale": "focus: blend a low-pass base and the detail with separate weights (base starts as the average)",
    "slice_axis": "volumes (NIfTI, DICOM series, TIFF stacks) are sliced along this axis",
    "crop": "side of the square training crops (px)",
    "batch": "crops per step (per process)",
    "steps": "optimisation steps",
    "lr_g": "generator learning rate (Adam)",
    "lr_d": "discriminator learning rate (Adam)",
    "beta1": "Adam beta1 of both optimisers",
    "beta2": "Adam beta2 of both optimisers",
    "d_scales": "scales of the multi-scale PatchGAN discriminator",
    "d_base": "channels of the discriminator's first layer",
    "style_weight": "style: weight of the Gram/mean/std style term",
    "content_weight": "style: weight of the content term",
    "color_weight": "style: weight of the colour term",
    "structure_weight": "style: weight of the structure (edge) term",
    "tv_weight": "style: weight of the total-variation smoothness term",
    "intensity_weight": "fuse: weight of the intensity term",
    "gradient_weight": "fuse: weight of the gradient term",
    "ssim_weight": "fuse: weight of the SSIM term",
    "n_res": "residual blocks at the lowest level (0: the task's default)",
    "seed": "random seed (data order, crops, initial weights)",
    "threads": "torch threads per process (0: all physical cores)",
    "device": "auto | cpu | cuda | cuda:N: where training runs (auto: the first GPU when CUDA works here, "
    "else the CPU; under torchrun a CUDA choice gives each rank cuda:LOCAL_RANK); default auto",
    "amp": "CUDA mixed precision (fp16 autocast + gradient scaling); an error on the CPU",
    "checkpoint_every": "write a checkpoint every N steps",
    "log_every": "write TensorBoard scalars every N steps",
    "val_every": "validate (and log sample images) every N steps",
}


def _help(f) -> str:
    """The field's help, with its default unless the text names one (argparse's own default is None here)."""
    from dataclasses import MISSING

    text = _HELP[f.name]
    if "default" in text or f.default is MISSING or f.default in ("", False):
        return text
    return f"{text} (default: {f.default})"


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    # Imported here, not at the top: the dataclass machinery costs `stylefuse --help` tens of ms.
    from dataclasses import fields

    from ..training.config import TrainConfig

    parser.add_argument("--config", help="JSON file with the same keys as the flags (flags override it)")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the run folder's last checkpoint"
    )
    for f in fields(TrainConfig):
        if f.name == "command":
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.name in _LIST_FIELDS:
            parser.add_argument(flag, nargs="+", action="extend", default=None, help=_help(f))
        elif f.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", default=None, help=_help(f))
        else:
            typ = {"int": int, "float": float}.get(f.type, f.type) if isinstance(f.type, str) else f.type
            parser.add_argument(flag, type=typ if typ in (int, float) else str, default=None, help=_help(f))


add_arguments = add_train_arguments


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then the preset, then the --config file's keys, then flags: the later one wins.

    So a run's saved config.json (preset already resolved into it) reproduces the run exactly.
    """
    from dataclasses import fields

    from ..training.config import PRESETS, TrainConfig

    from_file = TrainConfig.read_keys(args.config) if args.config else {}
    given = {
        f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name, None) is not None
    }
    preset = given.get("preset", from_file.get("preset", ""))
    if preset and preset not in PRESETS:
        raise UserError(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    values = TrainConfig().__dict__ | PRESETS.get(preset, {}) | from_file | given
    values["command"] = "stylefuse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return TrainConfig(**values)


def run_train(args: argparse.Namespace) -> int:
    from ..training.loop import TrainingInterrupted, train

    cfg = config_from_args(args)
    try:
        out = train(cfg, resume=args.resume)
    except TrainingInterrupted as exc:
        print(f"stylefuse: {exc}; resume with the same command plus --resume", file=sys.stderr)
        return 130
    if out is not None:
        print(f"model {cfg.name!r} written to {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        from ..training import loop  # noqa: F401 - a missing [train] extra is named here, not as a traceback
    except ImportError as exc:
        raise UserError(
            f"training is not available in this installation ({exc}); "
            "install with: pip install 'stylefuse[train]'"
        ) from None
    return int(run_train(args) or 0)
