"""The training configuration: one dataclass, equivalent to the command-line flags.

It is saved as `config.json` in every run folder, and `--config FILE` loads one back (flags given
on the command line override the file).
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import UserError


@dataclass
class TrainConfig:
    task: str = "style"                       # "style" or "fuse"
    name: str = "my-style"                    # model name (folder in the user model directory)
    # data
    style: list[str] = field(default_factory=list)    # style images (task style)
    content: list[str] = field(default_factory=list)  # content images or folders (task style)
    pairs: list[str] = field(default_factory=list)    # "DIR_A:DIR_B" aligned folders (task fuse)
    split: str = "all"                        # all | first-half | second-half of each pair folder
    slice_axis: int = 0                       # volumes (NIfTI, DICOM series, TIFF stacks) are sliced along it
    crop: int = 128
    batch: int = 4
    # optimisation
    steps: int = 2000
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    adversarial: str = "bce"                  # bce (the source method) | hinge | lsgan
    adv_weight: float = 0.05                  # weight of the adversarial term in G's loss
    d_scales: int = 2
    d_base: int = 16                          # channels of the discriminator's first layer
    # style losses
    style_weight: float = 1.0
    content_weight: float = 1.0
    color_weight: float = 1.0
    structure_weight: float = 1.0
    tv_weight: float = 0.0
    # fusion losses
    intensity_weight: float = 1.0
    gradient_weight: float = 2.0
    ssim_weight: float = 0.5
    # generator size
    width: int = 0                            # 0: the task's default
    body: int = 0
    n_res: int = 0
    # bookkeeping
    seed: int = 0
    deterministic: bool = False
    threads: int = 0                          # 0: all physical cores
    checkpoint_every: int = 100
    log_every: int = 10
    val_every: int = 100
    run_dir: str = ""                         # default: <user data>/runs/<name>
    out_dir: str = ""                         # default: <user model dir>/<name>
    command: str = ""                         # the command line that made this run (for the card)

    def validate(self) -> "TrainConfig":
        if self.task not in ("style", "fuse"):
            raise UserError(f"--task must be 'style' or 'fuse', not {self.task!r}")
        if self.task == "style" and (not self.style or not self.content):
            raise UserError("--task style needs --style IMAGE (one or more) and --content IMAGES/FOLDERS")
        if self.task == "fuse" and not self.pairs:
            raise UserError("--task fuse needs --pairs DIR_A:DIR_B (one or more)")
        for p in self.pairs:
            if p.count(":") != 1:
                raise UserError(f"--pairs expects DIR_A:DIR_B, got {p!r}")
        if self.slice_axis not in (0, 1, 2):
            raise UserError(f"--slice-axis must be 0, 1 or 2, not {self.slice_axis}")
        if self.steps < 1 or self.batch < 1 or self.crop < 16:
            raise UserError("--steps and --batch must be >= 1 and --crop >= 16")
        if self.adversarial not in ("bce", "hinge", "lsgan"):
            raise UserError(f"--adversarial must be bce, hinge or lsgan, not {self.adversarial!r}")
        return self

    def generator_config(self) -> dict:
        if self.task == "style":
            cfg = dict(channels=3, width=24, body=48, n_res=4)
        else:
            cfg = dict(channels=1, width=16, body=32, n_res=3)
        for key in ("width", "body", "n_res"):
            if getattr(self, key):
                cfg[key] = getattr(self, key)
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
    def load(cls, path: str | Path) -> "TrainConfig":
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            if isinstance(exc, UserError):
                raise
            raise UserError(f"cannot read training config {path}: {exc}") from None
