"""Where training computes: the rank's device, batches moved onto it, and mixed precision (CUDA only).

`--device` is resolved by `stylefuse.runner.device.resolve_device` (the one place that reads
"auto|cpu|cuda|cuda:N"); under torchrun a CUDA choice becomes cuda:LOCAL_RANK on every rank.
"""

import contextlib

import torch

from ..errors import UserError
from ..runner.device import resolve_device


def training_device(device: str, local_rank: int | None = None) -> torch.device:
    """The device one process trains on; `local_rank` (torchrun) picks the rank's own GPU."""
    dev = resolve_device(device)
    if dev.type != "cuda":
        return dev
    if local_rank is None:  # always an explicit index: torch.cuda.set_device and DDP's device_ids need one
        return torch.device("cuda", dev.index or 0)
    if local_rank >= torch.cuda.device_count():
        raise UserError(
            f"LOCAL_RANK {local_rank} but this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return torch.device("cuda", local_rank)


def check_amp(amp: bool, device: torch.device) -> None:
    """--amp is CUDA mixed precision; on another device it is a one-line error, not a silent no-op."""
    if amp and device.type != "cuda":
        raise UserError(
            f"--amp (mixed precision) needs a CUDA device, but training runs on {device}; "
            "drop --amp or use --device cuda"
        )


def to_device(batch, device: torch.device):
    """A batch (tuple of tensors, None allowed) on `device`."""
    return tuple(t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) else t for t in batch)


def device_generator(gen: torch.Generator, device: torch.device) -> torch.Generator:
    """The same random stream (same seed) as a generator the losses can draw from on `device`."""
    if device.type == "cpu":
        return gen
    return torch.Generator(device=device).manual_seed(gen.initial_seed())


def autocast(amp: bool, device: torch.device):
    """fp16 autocast on CUDA with --amp; otherwise nothing."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def grad_scaler(amp: bool, device: torch.device):
    """A GradScaler for --amp on CUDA (disabled, i.e. a pass-through, otherwise)."""
    enabled = amp and device.type == "cuda"
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)
