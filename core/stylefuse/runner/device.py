"""Where an in-process run computes: the one `device` option ("auto" | "cpu" | "cuda" | "cuda:N")."""

import re

import torch

from ..errors import UserError

DEVICES = ("auto", "cpu", "cuda", "cuda:N")
_CUDA = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(device: "str | torch.device | None" = "auto") -> torch.device:
    """The torch device for `device`: "auto" is the first GPU when CUDA works here, else the CPU.

    Asking for CUDA where it is absent is a UserError (one line), never a traceback at first use.
    """
    if isinstance(device, torch.device):
        device = str(device)
    text = "auto" if device is None else str(device).strip().lower()
    if text == "auto":
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if text == "cpu":
        return torch.device("cpu")
    match = _CUDA.match(text)
    if match is None:
        raise UserError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if not torch.cuda.is_available():
        raise UserError(
            f"device {text!r} asked for, but CUDA is not available here (torch {torch.__version__}); "
            "use --device cpu or auto"
        )
    index = int(match.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise UserError(
            f"device {text!r} asked for, but this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return torch.device("cuda", index)
