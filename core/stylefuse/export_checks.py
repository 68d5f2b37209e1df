"""The parity checks of `stylefuse.export`: each written artefact against the eager generator or the
TorchScript it came from, on several sizes (odd ones, a batch, the smallest side), on a chosen device.

Inputs are always drawn on the CPU with fixed seeds, so every device sees the same ones; the
artefacts are written from CPU weights (device-neutral), only the reference visits the device.
"""

import contextlib

import torch
from torch import nn

PARITY_SIZES = ((64, 64), (257, 311), (130, 97))
PARITY_TOLERANCE = 1e-4
# Checks on a GPU: cuDNN picks other algorithms (TF32 among them) than the CPU, so results agree to
# the project's CPU/GPU bound (docs/gpu.md), not to the CPU-only one.
DEVICE_PARITY_TOLERANCE = 1e-3


class ExportError(RuntimeError):
    pass


def _tolerance(tolerance: float, device: torch.device) -> float:
    return tolerance if device.type == "cpu" else max(tolerance, DEVICE_PARITY_TOLERANCE)


@contextlib.contextmanager
def on_device(device: torch.device, *modules):
    """`modules` moved to `device` for the block and back to the CPU after it (the artefacts are
    written from CPU weights, so they load anywhere)."""
    if device.type == "cpu":
        yield
        return
    try:
        for m in modules:
            m.to(device)
        yield
    finally:
        for m in modules:
            m.to("cpu")


def check_parity(
    generator: nn.Module,
    scripted: torch.jit.ScriptModule,
    sizes=PARITY_SIZES,
    tolerance: float = PARITY_TOLERANCE,
    device: torch.device | str = "cpu",
) -> float:
    """Max abs difference eager vs TorchScript over several sizes (odd ones included), both run on
    `device` (the inputs are drawn on the CPU, so every device sees the same ones)."""
    device = torch.device(device)
    tolerance = _tolerance(tolerance, device)
    gen = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.inference_mode(), on_device(device, generator, scripted):
        for h, w in sizes:
            src = torch.rand(1, generator.channels, h, w, generator=gen)
            ref = torch.rand(1, generator.channels, max(h, 64), max(w, 64), generator=gen)
            if generator.task == "fuse":
                ref = torch.rand(1, generator.channels, h, w, generator=gen)
            src, ref = src.to(device), ref.to(device)
            diff = (generator(src, ref) - scripted(src, ref)).abs().max().item()
            worst = max(worst, diff)
    if not worst <= tolerance:
        raise ExportError(f"TorchScript output differs from eager by {worst:.3g} (> {tolerance})")
    return worst


def min_side(generator: nn.Module) -> int:
    """The smallest H and W the ONNX and `torch.export` artefacts take: from there on the trunk's
    padding is always mirrored (smaller inputs are edge-replicated, a branch the export does not hold)."""
    edge, m = int(generator.edge_pad), int(generator.multiple)
    side = 1
    for s in range(1, edge + 3 * m):
        if s <= edge + (m - s % m) % m:
            side = s + 1
    return side


def tile_inputs(generator: nn.Module, n: int, h: int, w: int, gen: torch.Generator) -> tuple:
    source = torch.rand(n, generator.channels, h, w, generator=gen)
    if generator.task == "style":
        return source, torch.randn(n, generator.config["code_dim"], generator=gen)
    return source, torch.rand(n, generator.channels, h, w, generator=gen)


def parity_cases(generator: nn.Module) -> list[tuple[int, int, int]]:
    """(batch, H, W): the TorchScript parity sizes, a batch of 2, and the smallest size taken."""
    side = min_side(generator)
    return [(1, h, w) for h, w in PARITY_SIZES] + [(2, 45, 33), (1, side, side + 3)]


def check_format_parity(
    reference,
    run,
    generator: nn.Module,
    fmt: str,
    tolerance: float = PARITY_TOLERANCE,
    device: torch.device | str = "cpu",
) -> float:
    """Max abs difference of the artefact `run` (on the CPU) vs `reference` (the TorchScript or eager
    generator's tile call, already on `device`) over the parity cases: odd sizes, a batch of 2, the
    smallest side."""
    device = torch.device(device)
    tolerance = _tolerance(tolerance, device)
    gen = torch.Generator().manual_seed(1)
    worst = 0.0
    with torch.inference_mode():
        for n, h, w in parity_cases(generator):
            tensors = tile_inputs(generator, n, h, w, gen)
            got = run(*tensors)
            if tuple(got.shape) != (n, generator.channels, h, w):
                raise ExportError(f"{fmt} output has shape {tuple(got.shape)} for input {n}x{h}x{w}")
            expected = reference(*(t.to(device) for t in tensors)).cpu()
            worst = max(worst, (expected - got).abs().max().item())
    if not worst <= tolerance:
        raise ExportError(f"{fmt} output differs from TorchScript by {worst:.3g} (> {tolerance})")
    return worst
