"""Export a generator to TorchScript (and ONNX, `torch.export`) plus its model card, with parity checks.

A model folder always holds `model.pt` (TorchScript: what stylefuse itself loads) and `card.json`;
`formats` adds `model.onnx` (ONNX, opset ONNX_OPSET) and `model.pt2` (`torch.export.save`). Those two
hold the generator's tile call (what the pipeline calls per tile batch): style models
`forward_code(SOURCE__0, CODE__1)`, fusion models `forward(SOURCE__0, REFERENCE__1)`, output
`OUTPUT__0`, all float32 N x C x H x W in [0, 1] (the code N x code_dim), H and W dynamic and at least
the card's `min_side`. The card's `formats` says which files exist and how each was checked.

The folder is written aside and renamed into place, so a failed or interrupted export never
leaves a half-written model behind.
"""

import contextlib
import hashlib
import io
import json
import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from . import __version__
from .export_checks import (  # noqa: F401 - ExportError, check_parity, min_side, PARITY_*: this module's API
    DEVICE_PARITY_TOLERANCE,
    PARITY_SIZES,
    PARITY_TOLERANCE,
    ExportError,
    check_format_parity,
    check_parity,
    min_side,
    on_device,
    tile_inputs,
)
from .folders import swap_into_place
from .models import count_parameters, gflop_per_megapixel
from .models.generator import generator_receptive_radius
from .registry import CARD_FILE, MODEL_FILE, model_formats

# format name (`stylefuse export --format`) -> the file it writes in a model folder
FORMATS = {"torchscript": MODEL_FILE, "onnx": "model.onnx", "export": "model.pt2"}
ONNX_OPSET = 18
# The tile call's tensor names, the same in every artefact and in Triton's generator model (stylefuse_triton.bls).
TILE_INPUTS = {"style": ("SOURCE__0", "CODE__1"), "fuse": ("SOURCE__0", "REFERENCE__1")}
TILE_OUTPUT = "OUTPUT__0"


def script_generator(generator: nn.Module) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(generator.eval())


class TileCall(nn.Module):
    """The generator's tile call with two plain tensor inputs: what ONNX and `torch.export` hold."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator.eval()
        self.style = generator.task == "style"

    def forward(self, source: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        if self.style:
            return self.generator.forward_code(source, second)
        return self.generator(source, second)


def _dynamic_shapes(generator: nn.Module) -> tuple:
    dyn = torch.export.Dim.DYNAMIC
    return ({0: dyn, 2: dyn, 3: dyn}, {0: dyn} if generator.task == "style" else {0: dyn, 2: dyn, 3: dyn})


def _example(generator: nn.Module) -> tuple:
    return tile_inputs(generator, 2, 96, 128, torch.Generator().manual_seed(0))


def export_program(generator: nn.Module):
    """`torch.export.export` of the tile call: batch, H and W dynamic (runtime guards hold the rest)."""
    try:
        with torch.no_grad():
            return torch.export.export(
                TileCall(generator), _example(generator), dynamic_shapes=_dynamic_shapes(generator)
            )
    except Exception as exc:  # torch's export errors are many kinds; say what failed, in one line
        raise ExportError(f"torch.export of the generator failed: {str(exc).splitlines()[0]}") from exc


@contextlib.contextmanager
def _quiet():
    """torch.onnx reports progress on stdout and through logging (e.g. "torchvision is not installed")."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _onnx_modules():
    try:
        import onnx  # noqa: F401  (torch.onnx needs it, and onnxscript, to write the file)
        import onnxruntime
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise ExportError(
            f"ONNX export needs onnx, onnxscript and onnxruntime ({exc.name} is missing): "
            "pip install 'stylefuse[export]'"
        ) from None
    return onnxruntime


def write_onnx(generator: nn.Module, path: Path) -> None:
    """The tile call as one ONNX file (weights inside), tensor names TILE_INPUTS/TILE_OUTPUT.

    Exported from the module, not from `export_program`'s result: re-decomposing that program fails
    on the in-place phase views of the folded upsampling (models/generator.py)."""
    _onnx_modules()
    try:
        with _quiet(), torch.no_grad():
            torch.onnx.export(
                TileCall(generator),
                _example(generator),
                f=str(path),
                input_names=list(TILE_INPUTS[generator.task]),
                output_names=[TILE_OUTPUT],
                dynamic_shapes=_dynamic_shapes(generator),
                opset_version=ONNX_OPSET,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"ONNX export of the generator failed: {str(exc).splitlines()[0]}") from exc


def format_runner(fmt: str, path: Path):
    """A callable (source, second) -> output that runs the artefact `path` of format `fmt` on the CPU."""
    if fmt == "onnx":
        ort = _onnx_modules()
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]

        def run_onnx(*tensors: torch.Tensor) -> torch.Tensor:
            feeds = {n: t.numpy() for n, t in zip(names, tensors, strict=True)}
            return torch.from_numpy(session.run(None, feeds)[0])

        return run_onnx
    if fmt == "export":
        return torch.export.load(str(path)).module()
    raise ValueError(f"no tile-call runner for format {fmt!r}")


def _tile_reference(module) -> Callable:
    if getattr(module, "task", None) == "style" or hasattr(module, "forward_code"):
        return module.forward_code
    return module


def write_formats(
    generator: nn.Module, folder: Path, formats, reference=None, device: torch.device | str = "cpu"
) -> dict:
    """Write the non-TorchScript `formats` of `generator` into `folder`, each checked against
    `reference` (the TorchScript module the folder holds; default: the eager generator) run on
    `device`. Returns the card's `formats` entries for them."""
    device = torch.device(device)
    reference_module = reference if reference is not None else generator
    reference = _tile_reference(reference_module)
    entries: dict = {}
    wanted = [f for f in FORMATS if f in set(formats) and f != "torchscript"]
    if not wanted:
        return entries
    generator = generator.eval()
    side = min_side(generator)
    base = {
        "inputs": list(TILE_INPUTS[generator.task]),
        "outputs": [TILE_OUTPUT],
        "dtype": "float32",
        "min_side": side,
        "torch": torch.__version__.split("+")[0],
    }
    if generator.task == "style" and bool(generator.has_default_code[0] > 0):
        base["default_code"] = [float(v) for v in generator.default_code[0].tolist()]
    for fmt in wanted:
        path = folder / FORMATS[fmt]
        if fmt == "onnx":
            write_onnx(generator, path)
        else:
            torch.export.save(export_program(generator), str(path))
        run = format_runner(fmt, path)
        # the file is written: the reference may visit the device (back on the CPU for the next format)
        with on_device(device, reference_module):
            parity = check_format_parity(reference, run, generator, fmt, device=device)
        entries[fmt] = {
            "file": FORMATS[fmt],
            **({"opset": ONNX_OPSET} if fmt == "onnx" else {}),
            **base,
            "parity_max_abs": parity,
            **({"parity_device": str(device)} if device.type != "cpu" else {}),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    return entries


def build_card(generator: nn.Module, name: str, extra: dict | None = None) -> dict:
    card = {
        "name": name,
        "format_version": 1,
        "stylefuse_version": __version__,
        "task": generator.task,
        "channels": generator.channels,
        "value_range": [0.0, 1.0],
        "architecture": {"class": type(generator).__name__, "config": dict(generator.config)},
        "parameters": count_parameters(generator),
        "gflop_per_megapixel": round(gflop_per_megapixel(generator), 2),
        "spatial_multiple": generator.multiple,
        "receptive_radius": generator_receptive_radius(generator),
        "has_default_style": bool(getattr(generator, "has_default_code", torch.zeros(1))[0] > 0),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    card.update(extra or {})
    return card


def export_generator(
    generator: nn.Module,
    out_dir: Path,
    name: str | None = None,
    card_extra: dict | None = None,
    formats=("torchscript",),
) -> Path:
    """Write `out_dir/model.pt` + `out_dir/card.json` (+ the other `formats`); replaces an existing
    folder only on success."""
    out_dir = Path(out_dir)
    name = name or out_dir.name
    generator = generator.eval()
    scripted = script_generator(generator)
    parity = check_parity(generator, scripted)
    card = build_card(generator, name, card_extra)
    card["export_parity_max_abs"] = parity
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.save(scripted, str(tmp / MODEL_FILE))
        card["sha256"] = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
        card["formats"] = {
            "torchscript": {"file": MODEL_FILE, "parity_max_abs": parity},
            **write_formats(generator, tmp, formats),
        }
        (tmp / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _eager_from_folder(folder: Path, card: dict):
    """The eager generator rebuilt from a model folder's TorchScript weights, and that TorchScript."""
    from .models import build_generator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = torch.jit.load(str(folder / MODEL_FILE), map_location="cpu").eval()
    generator = build_generator(card["task"], **card["architecture"]["config"])
    # TorchScript's state_dict also holds non-persistent buffers (e.g. a focus hybrid's fixed focus_gain)
    wanted = generator.state_dict()
    generator.load_state_dict({k: v for k, v in old.state_dict().items() if k in wanted})
    return generator.eval(), old


def copy_model_folder(
    src: Path, out_dir: Path, formats=("torchscript",), device: torch.device | str = "cpu"
) -> Path:
    """`stylefuse export MODEL -o DIR [--format ...]`: the model folder (TorchScript + card) copied
    atomically, plus the other `formats`, each checked against the TorchScript (run on `device`)."""
    src, out_dir = Path(src), Path(out_dir)
    extra = [f for f in formats if f != "torchscript"]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for fname in (MODEL_FILE, CARD_FILE):
            shutil.copy2(src / fname, tmp / fname)
        if extra:
            card = json.loads((src / CARD_FILE).read_text())
            generator, scripted = _eager_from_folder(src, card)
            # this code's generator is the one the TorchScript holds
            check_parity(generator, scripted, device=device)
            old = card.get("formats") or {"torchscript": {"file": MODEL_FILE}}
            card["formats"] = {
                "torchscript": old.get("torchscript", {"file": MODEL_FILE}),
                **write_formats(generator, tmp, extra, reference=scripted, device=device),
            }
            (tmp / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def reexport_model_folder(folder: Path) -> Path:
    """Re-script a model folder with this version's generator code, keeping its weights and card.

    TorchScript files carry the forward code they were exported with; after a speed-up of the
    generator's forward (same parameters), this refreshes a trained model without retraining.
    The parity check runs against the eager model and the old file must agree within tolerance.
    The folder's other formats (ONNX, torch.export) are written anew from the same code.
    """
    folder = Path(folder)
    card = json.loads((folder / CARD_FILE).read_text())
    generator, old = _eager_from_folder(folder, card)
    check_parity(generator, old)
    keep = {
        k: v
        for k, v in card.items()
        if k
        not in {
            "sha256",
            "export_parity_max_abs",
            "created",
            "formats",
            "gflop_per_megapixel",
            "stylefuse_version",
        }
    }
    return export_generator(generator, folder, card["name"], keep, formats=model_formats(card))
