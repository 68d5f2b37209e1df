"""One interface for every entry point: `make_runner(server, device)` -> a Runner.

    runner = make_runner(None)                      # in-process, device "auto"
    runner = make_runner("127.0.0.1:8001")          # a stylefuse Triton server (gRPC; http://... for HTTP)
    out = runner.stylize(image, model=None, reference=None, strength=1.0, ...)
    fused = runner.fuse(a, b, model=None, resample=False, ...)
    runner.models("style"); runner.default_model("fuse")

Both runners take the same arguments and give the same result (tests/golden checks it bit for bit).
"""

from ..errors import UserError
from ..model_choice import ModelInfo, default_model
from .base import DEFAULT_METHOD, METHODS, Runner, check_method
from .device import resolve_device
from .local import LocalRunner
from .triton import TritonRunner


def make_runner(
    server: str | None = None,
    device: str | None = "auto",
    *,
    protocol: str | None = None,
    shared_memory: bool = False,
    timeout: float = 60.0,
) -> Runner:
    """A TritonRunner for `server` (a URL), else a LocalRunner on `device`.

    `device` is for in-process runs; a server decides its own (asking for one with a server is an error).
    """
    if server:
        if device not in (None, "auto"):
            raise UserError(
                f"--device {device} is for in-process runs; the server at {server} chooses its own"
            )
        return TritonRunner(server, protocol=protocol, shared_memory=shared_memory, timeout=timeout)
    return LocalRunner(device)


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "LocalRunner",
    "ModelInfo",
    "Runner",
    "TritonRunner",
    "check_method",
    "default_model",
    "make_runner",
    "resolve_device",
]
