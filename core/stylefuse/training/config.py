"""The training configuration: one dataclass, equivalent to the command-line flags.

It is saved as `config.json` in every run folder, and `--config FILE` loads one back (flags given
on the command line override the file).
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import UserError

# Presets set several options at once; options given explicitly (flags or --config) override them.
PRESETS: dict[str, dict] = {
    # 128-px crops, loss weights that favour painting texture over exact content, and a hard wall-clock
    # budget so the whole command (data loading and export included) stays within 10 minutes.
    # The texture term replaces the older Gram/mean/std style term (style_weight 0): with it the
    # generator painted periodic stripes that made texture worse than the palette step alone.
    "fast": dict(
        steps=1000,
        time_budget_s=500.0,
        crop=128,
        batch=4,
        style_weight=0.0,
        texture_weight=8.0,
        content_weight=0.5,
        color_weight=2.0,
        tv_weight=1.0,
        adv_weight=0.2,
        checkpoint_every=100,
        val_every=100,
    ),
}


def parse_ramp(text: str) -> list[float]:
    """--exposure-ramp's LO,HI as two floats, 0 <= LO < HI <= 1."""
    try:
        lo, hi = (float(v) for v in str(text).split(","))
    except ValueError:
        raise UserError(f"--exposure-ramp expects LO,HI (e.g. 0.2,0.4), not {text!r}") from None
    if not 0.0 <= lo < hi <= 1.0:
        raise UserError(f"--exposure-ramp needs 0 <= LO < HI <= 1, not {text!r}")
    return [lo, hi]


@dataclass
class TrainConfig:
    task: str = "style"  # "style" or "fuse"
    name: str = "my-style"  # model name (folder in the user model directory)
    # data
    style: list[str] = field(default_factory=list)  # style images (task style)
    content: list[str] = field(default_factory=list)  # content images or folders (task style)
    pairs: list[str] = field(default_factory=list)  # "DIR_A:DIR_B" aligned folders (task fuse)
    split: str = "all"  # all | first-half | second-half | train | validation of each pair folder
    slice_axis: int = 0  # volumes (NIfTI, DICOM series, TIFF stacks) are sliced along it
    crop: int = 128
    batch: int = 4
    # Paintings larger than this (long side, px) are downscaled before cropping: the texture a
    # model learns is the painting's at the scale results are viewed (the benchmark's 512-px long
    # side); at its full size a 1242-px painting's strokes are 2.4x finer than that. 0: keep size.
    style_side: int = 512
    # Style: train on photos whose colours were first mapped onto the painting's (the pipeline's
    # palette step, `stylefuse.pipeline.palette`), and store the painting's palette in the card.
    no_palette: bool = False
    # optimisation
    steps: int = 2000
    time_budget_s: float = 0.0  # stop (and export) once training has run this long; 0: no limit
    preset: str = ""  # "fast": a style model in <= 10 minutes on a 2-core laptop CPU
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    adversarial: str = "bce"  # bce (the source method) | hinge | lsgan
    adv_weight: float = 0.05  # weight of the adversarial term in G's loss
    d_scales: int = 2
    d_base: int = 16  # channels of the discriminator's first layer
    # style losses
    style_weight: float = 1.0
    content_weight: float = 1.0
    color_weight: float = 1.0
    structure_weight: float = 1.0
    tv_weight: float = 0.0
    texture_weight: float = 0.0  # relative Gram distance on per-channel standardised images
    # style: paired targets made by the synthesis engine (scripts/make_synthesis_targets.py): photo
    # <stem>.* trains towards DIR/<stem>.png, the same crop and augmentation applied to both
    targets: str = ""
    paired_weight: float = 1.0  # with targets: L1 between output and target crop
    band_weight: float = 1.0  # with targets: per-band (DoG) histogram distance to the target
    # style: patch-matching (MRF) texture term, losses/mrf.py: each output patch pulled to its nearest painting patch
    mrf_weight: float = 0.0
    mrf_patch: int = 7  # patch side (px) at 1/2 and full resolution
    mrf_highpass: float = 4.0  # match (image - Gaussian blur of this sigma): texture, not tone; 0: raw
    mrf_match: str = "cosine"  # cosine (direction: flat patches find textured ones) | l2
    mrf_stride: int = 2  # stride of the output and painting patch grids
    mrf_pooled: bool = False  # search every style crop of the batch (one painting), not the row's own
    # fusion losses
    intensity_weight: float = 1.0
    gradient_weight: float = 2.0
    ssim_weight: float = 0.5
    scd_weight: float = 0.0  # fusion: 2 - SCD (correlations of differences) on the real pairs
    loss_targets: str = "max"  # fusion: max | saliency (intensity/SSIM targets; losses/fusion.py)
    # fusion pairs with a ground truth, made on the fly (stylefuse.data.synthetic): multi-focus and
    # multi-exposure copies of real photos, trained with a supervised loss beside the real pairs
    synthetic: list[str] = field(default_factory=list)  # photos or folders (--split applies to folders)
    synthetic_skimage: str = ""  # comma-separated scikit-image photos, e.g. brick,grass
    synthetic_fraction: float = 0.5  # share of each batch that is synthetic (with --synthetic*)
    truth_weight: float = 1.0  # weight of the supervised loss on the synthetic rows
    exposure_families: str = "linear"  # tone-curve families of the exposure pairs (data/tone_curves.py)
    exposure_degrade: bool = False  # exposure pairs: read noise and JPEG-like quantisation
    fusion_arch: str = "blend"  # blend (FusionGenerator) | focus (FocusFusionGenerator: + focus measure)
    focus_radius: int = 3  # focus: box radius (px) of the Laplacian energy
    focus_gain: float = 0.0  # focus: > 0 starts the weight at sigmoid(gain x focus contrast)
    focus_gate: bool = False  # focus: a learned per-pixel gate on that rule (can switch it off)
    focus_gate_bias: float = 0.0  # focus: the gate's initial logit (0 half open, 3 ~95 % open)
    two_scale: bool = False  # focus: separate weights for a low-pass base and the detail
    exposure_radius: int = 0  # focus: > 0 adds exposure-pair evidence over (2 R + 1)^2 windows
    exposure_smooth: int = 64  # focus: that evidence averaged over (2 S + 1)^2 windows
    exposure_ramp: str = "0.2,0.4"  # focus: evidence lo,hi ramped to 0..1 (1: blend -> average)
    base_radius: int = 0  # focus + two_scale: base = (2 r + 1)^2 box mean (0: 1/8-resolution means)
    exposure_head: bool = False  # focus: exposure pairs get a weight map of their own (not the average)
    residual_scale: float = 0.25  # focus: the residual's bound (0: a convex blend of the sources)
    guided_radius: int = 0  # focus: > 0 refines the weight map by a guided filter on each source (GFF's way)
    guided_eps: float = 1e-3  # focus: that filter's regulariser (in [0, 1] grey levels squared)
    # generator size
    widths: str = ""  # channels per level, e.g. "16,32,64" ("": the task's default)
    n_res: int = 0  # residual blocks at the lowest level (0: the task's default)
    # where it computes
    device: str = "auto"  # auto | cpu | cuda | cuda:N (torchrun: cuda:LOCAL_RANK per rank)
    amp: bool = False  # CUDA mixed precision (autocast fp16 + GradScaler); error elsewhere
    # bookkeeping
    seed: int = 0
    deterministic: bool = False
    threads: int = 0  # 0: all physical cores
    checkpoint_every: int = 100
    log_every: int = 10
    val_every: int = 100
    run_dir: str = ""  # default: <user data>/runs/<name>
    out_dir: str = ""  # default: <user model dir>/<name>
    command: str = ""  # the command line that made this run (for the card)

    def validate(self) -> "TrainConfig":
        if self.task not in ("style", "fuse"):
            raise UserError(f"--task must be 'style' or 'fuse', not {self.task!r}")
        if self.task == "style" and (not self.style or not self.content):
            raise UserError("--task style needs --style IMAGE (one or more) and --content IMAGES/FOLDERS")
        if self.task == "fuse" and not (self.pairs or self.synthetic or self.synthetic_skimage):
            raise UserError("--task fuse needs --pairs DIR_A:DIR_B (one or more) or --synthetic photos")
        if self.task == "fuse" and not 0.0 <= self.synthetic_fraction <= 1.0:
            raise UserError(f"--synthetic-fraction must be in [0, 1], not {self.synthetic_fraction}")
        if self.task == "fuse" and self.synthetic_fraction == 1.0 and self.pairs:
            raise UserError("--synthetic-fraction 1 leaves no room for the --pairs: use < 1")
        for p in self.pairs:
            if p.count(":") != 1:
                raise UserError(f"--pairs expects DIR_A:DIR_B, got {p!r}")
        if self.targets and self.task != "style":
            raise UserError("--targets is for --task style (synthesis targets of the content photos)")
        if self.targets and not Path(self.targets).is_dir():
            raise UserError(f"--targets {self.targets} is not a folder")
        if self.paired_weight < 0 or self.band_weight < 0:
            raise UserError("--paired-weight and --band-weight must be >= 0")
        if (
            self.mrf_weight < 0
            or self.mrf_patch < 1
            or self.mrf_stride < 1
            or self.mrf_match not in ("cosine", "l2")
        ):
            raise UserError("--mrf-weight >= 0, --mrf-patch/--mrf-stride >= 1, --mrf-match cosine or l2")
        if self.scd_weight < 0:
            raise UserError(f"--scd-weight must be >= 0, not {self.scd_weight}")
        if self.exposure_radius < 0 or self.exposure_smooth < 0:
            raise UserError("--exposure-radius and --exposure-smooth must be >= 0")
        parse_ramp(self.exposure_ramp)
        if self.loss_targets not in ("max", "saliency"):
            raise UserError(f"--loss-targets must be max or saliency, not {self.loss_targets!r}")
        # imported here: stylefuse.data loads torch, and the CLI's parser (built for --help) reads
        # this module; --help must stay fast
        from ..data.tone_curves import parse_families

        try:
            parse_families(self.exposure_families)
        except ValueError as exc:
            raise UserError(f"--exposure-families: {exc}") from None
        if self.base_radius and not (self.two_scale and 0 < self.base_radius <= 16):
            raise UserError("--base-radius needs --two-scale and 1..16 px (the model's edge padding)")
        if self.exposure_head and not self.exposure_radius:
            raise UserError("--exposure-head needs --exposure-radius > 0")
        if self.residual_scale < 0:
            raise UserError("--residual-scale must be >= 0")
        if self.guided_radius < 0 or self.guided_eps <= 0:
            raise UserError("--guided-radius must be >= 0 and --guided-eps > 0")
        if self.fusion_arch not in ("blend", "focus"):
            raise UserError(f"--fusion-arch must be blend or focus, not {self.fusion_arch!r}")
        if self.slice_axis not in (0, 1, 2):
            raise UserError(f"--slice-axis must be 0, 1 or 2, not {self.slice_axis}")
        if self.style_side and self.style_side < self.crop:
            raise UserError(f"--style-side must be 0 or >= --crop ({self.crop}), not {self.style_side}")
        if self.steps < 1 or self.batch < 1 or self.crop < 16:
            raise UserError("--steps and --batch must be >= 1 and --crop >= 16")
        if self.widths:
            parse_widths(self.widths)
        if self.preset and self.preset not in PRESETS:
            raise UserError(f"--preset must be one of {', '.join(PRESETS)}, not {self.preset!r}")
        if self.time_budget_s < 0:
            raise UserError("--time-budget-s must be >= 0")
        if self.adversarial not in ("bce", "hinge", "lsgan"):
            raise UserError(f"--adversarial must be bce, hinge or lsgan, not {self.adversarial!r}")
        return self

    def generator_config(self) -> dict:
        """Only what differs from the generator's own defaults (so its defaults stay in one place)."""
        cfg: dict = dict(channels=3 if self.task == "style" else 1)
        if self.widths:
            cfg["widths"] = parse_widths(self.widths)
        if self.n_res:
            cfg["n_res"] = self.n_res
        if self.task == "fuse" and self.fusion_arch == "focus":
            cfg["focus_radius"] = self.focus_radius
            if self.focus_gain:
                cfg["focus_gain"] = self.focus_gain
            if self.focus_gate:
                cfg["focus_gate"] = True
                if self.focus_gate_bias:
                    cfg["gate_bias"] = self.focus_gate_bias
            if self.two_scale:
                cfg["two_scale"] = True
            if self.base_radius:
                cfg["base_radius"] = self.base_radius
            if self.exposure_head:
                cfg["exposure_head"] = True
            if self.residual_scale != 0.25:
                cfg["residual_scale"] = self.residual_scale
            if self.guided_radius:
                cfg.update(guided_radius=self.guided_radius, guided_eps=self.guided_eps)
            if self.exposure_radius:
                cfg.update(
                    exposure_radius=self.exposure_radius,
                    exposure_smooth=self.exposure_smooth,
                    exposure_ramp=parse_ramp(self.exposure_ramp),
                )
        return cfg

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UserError(f"unknown training option(s) in config: {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def read_keys(cls, path: str | Path) -> dict:
        """The keys a config file sets explicitly, checked (unknown keys are an error)."""
        try:
            data = json.loads(Path(path).read_text())
            cls.from_dict(data)
            return data
        except (OSError, ValueError) as exc:
            if isinstance(exc, UserError):
                raise
            raise UserError(f"cannot read training config {path}: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        return cls.from_dict(cls.read_keys(path))


def parse_widths(text: str) -> list[int]:
    try:
        widths = [int(part) for part in str(text).split(",")]
    except ValueError:
        widths = []
    if not 1 <= len(widths) <= 5 or min(widths) < 1:
        raise UserError(f"--widths expects 1 to 5 positive channel counts like 16,32,64, got {text!r}")
    return widths
