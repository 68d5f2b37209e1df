"""Writing a Triton model repository for stylefuse models (`stylefuse export --triton-repo DIR`).

CPU profile (runs under the pip-installed tritonserver, python backend only):
    DIR/<model>/config.pbtxt            python backend, the wire protocol of `protocol`, warm-up
    DIR/<model>/1/model.py              imports stylefuse_triton.backend (the pipeline model)
    DIR/<model>/1/model.pt, card.json   the TorchScript generator and its card
GPU profile (NVIDIA's Triton container on a GPU host), in addition:
    DIR/<model>-generator/config.pbtxt  platform pytorch_libtorch, KIND_GPU
    DIR/<model>-generator/1/model.pt    the generator's tile call as TorchScript (optionally fp16)
or, with generator_format="onnx" (`--generator-format onnx`):
    DIR/<model>-generator/config.pbtxt  platform onnxruntime_onnx, KIND_GPU
    DIR/<model>-generator/1/model.onnx  the model folder's ONNX tile call (`stylefuse export --format onnx`),
                                        else exported here (same tensor names, checked against the TorchScript)
and the pipeline model reaches it through BLS (its `generator_model` parameter).
"""

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from stylefuse.errors import UserError
from stylefuse.folders import swap_into_place
from stylefuse.protocol import DTYPES, MAX_BATCH_SIZE, MAX_PIXELS, MAX_SIDE, MODEL_PARAMETERS, SCALAR_INPUTS
from stylefuse.registry import (
    CARD_FILE,
    MODEL_FILE,
    default_model_name,
    find_model,
    installed_models,
    list_models,
)

VERSION = "1"
MODEL_PY = '''"""stylefuse pipeline model for Triton's python backend (written by `stylefuse export --triton-repo`).

Needs the `stylefuse` package (with stylefuse_triton) installed in the Python the backend stub runs.
"""

from stylefuse_triton.backend import TritonPythonModel  # noqa: F401
'''
WIRE_DOC = (
    "inputs SOURCE_{UINT8,UINT16,INT16,FP32} N x H x W x C (exactly one), REFERENCE_<same dtypes> "
    "(style image or second image), MASK FP32 N x H x W, STRENGTH FP32 N x 1, PRESERVE_COLOR BOOL N x 1, "
    "VALUE_RANGE / REFERENCE_VALUE_RANGE FP32 N x 2, METHOD BYTES N x 1; output OUTPUT_<source dtype> N x H x W x C"
)


def _dims(dims) -> str:
    return "[ " + ", ".join(str(d) for d in dims) + " ]"


def _tensor(name: str, dtype: str, dims, optional: bool = False) -> str:
    extra = "\n    optional: true" if optional else ""
    return f'  {{\n    name: "{name}"\n    data_type: TYPE_{dtype}\n    dims: {_dims(dims)}{extra}\n  }}'


def _join(items) -> str:
    return ",\n".join(items)


def _parameters(params: dict) -> str:
    items = ",\n".join(
        f'  {{\n    key: "{k}"\n    value: {{ string_value: {json.dumps(str(v))} }}\n  }}'
        for k, v in params.items()
    )
    return f"parameters [\n{items}\n]\n"


def _warmup(name: str, tensors: dict) -> str:
    """tensors: name -> (dtype, dims); random data (a zero style reference gives no style)."""
    inputs = "\n".join(
        f'    inputs {{\n      key: "{k}"\n      value {{\n        data_type: TYPE_{dt}\n'
        f"        dims: {_dims(dims)}\n        random_data: true\n      }}\n    }}"
        for k, (dt, dims) in tensors.items()
    )
    return f'model_warmup [\n  {{\n    name: "{name}"\n    batch_size: 1\n{inputs}\n  }}\n]\n'


def _is_default(name: str, task: str) -> bool:
    try:
        return default_model_name(task) == name
    except UserError:
        return False


def _kinds(name: str) -> str:
    """The pair kinds of this installation's automatic fusion rule for model `name` (comma-separated)."""
    return ",".join(next((m.kinds for m in installed_models() if m.name == name), ()))


def torch_threads_per_instance(instances: int) -> int:
    """torch threads of each of `instances` backend processes: the cores this process may use, shared
    out (0 = torch's default, all of them, for one instance).

    N instances x all cores' threads would oversubscribe: N OpenMP pools spinning on the same cores,
    each forward slowed by the others'. The affinity mask, not os.cpu_count(), is what a container
    or `taskset` leaves us.
    """
    if instances <= 1:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // instances)


def preferred_batch(profile: str, instances: int) -> int | None:
    """The batch an instance takes from a deep queue: on the CPU profile, its share of a full burst
    (MAX_BATCH_SIZE / instances, rounded up); None (as large as possible) otherwise.

    On the CPU a merged forward costs the same per image as single ones (it saves no arithmetic) and
    every request of it waits for the whole batch. Without a preferred size Triton's batcher hands
    the whole queue to the first free instance, so one instance computes a batch of up to 8 while the
    others idle: a 8-client run measured p99 = 4.2 x p50 that way. Taking only a share leaves the rest
    of the queue to the next free instance. On the GPU (the generator's own model) bigger batches pay.
    """
    if profile != "cpu" or instances <= 1:
        return None
    return max(1, -(-MAX_BATCH_SIZE // instances))


def dynamic_batching(preferred: int | None) -> str:
    """The pipeline model's dynamic_batching block.

    With a preferred size the queue delay is 0: Triton's batcher honours preferred sizes only while
    the oldest queued request has waited less than the delay, and behind a busy instance it always
    has, so any delay would hand the whole queue to one instance again. Waiting to fill a batch buys
    nothing on the CPU anyway. Without one (a single instance), 1 ms lets a burst's requests merge.
    """
    if preferred:
        return (
            f"dynamic_batching {{\n  preferred_batch_size: [ {preferred} ]\n"
            "  max_queue_delay_microseconds: 0\n}\n"
        )
    return "dynamic_batching {\n  max_queue_delay_microseconds: 1000\n}\n"


def pipeline_config(
    name: str,
    card: dict,
    profile: str = "cpu",
    generator_model: str | None = None,
    instances: int = 1,
    torch_threads: int = 0,
) -> str:
    """config.pbtxt of the client-facing pipeline model (python backend)."""
    inputs = [_tensor(f"SOURCE_{d}", d, (-1, -1, -1), True) for d in DTYPES]
    inputs += [_tensor(f"REFERENCE_{d}", d, (-1, -1, -1), True) for d in DTYPES]
    inputs += [
        _tensor(n, "STRING" if dt == "BYTES" else dt, dims, True) for n, (dt, dims) in SCALAR_INPUTS.items()
    ]
    outputs = [_tensor(f"OUTPUT_{d}", d, (-1, -1, -1)) for d in DTYPES]
    P = MODEL_PARAMETERS  # noqa: N806 - the protocol's parameter names
    params = {
        P["task"]: card["task"],
        P["channels"]: int(card["channels"]),
        P["has_default_style"]: "true"
        if card.get("task") == "style" and card.get("has_default_style")
        else "false",
        # this installation's default of the task (stylefuse.model_choice): clients pick it when none is named
        P["default"]: "true" if _is_default(name, card["task"]) else "false",
        "stylefuse_model": name,
        **({P["kinds"]: _kinds(name)} if card.get("task") == "fuse" and _kinds(name) else {}),
        P["role"]: "pipeline",
        "max_pixels": MAX_PIXELS,
        "max_side": MAX_SIDE,
        "wire_protocol": WIRE_DOC,
        "torch_threads": torch_threads,
    }
    if generator_model:
        params["generator_model"] = generator_model
    text = (
        f'name: "{name}"\nbackend: "python"\nmax_batch_size: {MAX_BATCH_SIZE}\n'
        f"input [\n{_join(inputs)}\n]\noutput [\n{_join(outputs)}\n]\n"
        + dynamic_batching(preferred_batch(profile, instances))
        + f"instance_group [\n  {{\n    count: {instances}\n    kind: KIND_CPU\n  }}\n]\n"
        "version_policy: { latest: { num_versions: 1 } }\n" + _parameters(params)
    )
    if not generator_model:  # with BLS the generator may still be loading: it warms up itself
        warm = {"SOURCE_UINT8": ("UINT8", (16, 16, 3))}
        if card["task"] == "fuse":
            warm["REFERENCE_UINT8"] = ("UINT8", (16, 16, 3))
        elif not card.get("has_default_style"):
            warm["REFERENCE_UINT8"] = ("UINT8", (64, 64, 3))
        text += _warmup("uint8_rgb_16x16", warm)
    return text


def generator_signature(card: dict) -> dict:
    """The generator model's tensors: name -> (dtype, dims after N); output last."""
    # here, not at the top: bls imports torch, which `stylefuse serve` (a CPU repository) does not
    # need before tritonserver starts (its import took 6 s of a restart at load average 17)
    from .bls import GENERATOR_INPUTS, GENERATOR_OUTPUT

    c = int(card["channels"])
    first, second = GENERATOR_INPUTS[card["task"]]
    second_dims = (
        (int(card["architecture"]["config"]["code_dim"]),) if card["task"] == "style" else (c, -1, -1)
    )
    return {
        first: ("FP32", (c, -1, -1)),
        second: ("FP32", second_dims),
        GENERATOR_OUTPUT: ("FP32", (c, -1, -1)),
    }


def generator_config(name: str, card: dict, fp16: bool = False, generator_format: str = "torchscript") -> str:
    sig = generator_signature(card)
    names = list(sig)
    inputs = [_tensor(n, *sig[n]) for n in names[:-1]]
    warm = {
        n: (dt, tuple(64 if d == -1 else d for d in dims)) for n, (dt, dims) in sig.items() if n != names[-1]
    }
    onnx = generator_format == "onnx"
    platform, filename = ("onnxruntime_onnx", "model.onnx") if onnx else ("pytorch_libtorch", MODEL_FILE)
    params = (
        {}
        if onnx
        else {
            "INFERENCE_MODE": "true",
            "DISABLE_OPTIMIZED_EXECUTION": "false",
            "precision": "fp16" if fp16 else "fp32",
        }
    )
    return (
        f'name: "{name}"\nplatform: "{platform}"\nmax_batch_size: {MAX_BATCH_SIZE}\n'
        f"input [\n{_join(inputs)}\n]\noutput [\n{_tensor(names[-1], *sig[names[-1]])}\n]\n"
        "dynamic_batching { }\n"
        "instance_group [\n  {\n    count: 1\n    kind: KIND_GPU\n  }\n]\n"
        "version_policy: { latest: { num_versions: 1 } }\n"
        f'default_model_filename: "{filename}"\n'
        + (_parameters(params) if params else "")
        + _warmup("fp32_64x64", warm)
    )


def onnx_generator(folder: Path, card: dict) -> bytes | Path:
    """The model folder's ONNX tile call if its card lists one, else one exported now (and checked)."""
    from stylefuse.export import FORMATS, ExportError, copy_model_folder

    path = folder / FORMATS["onnx"]
    if "onnx" in (card.get("formats") or {}) and path.is_file():
        return path
    with tempfile.TemporaryDirectory(prefix="stylefuse-onnx-") as tmp:
        try:
            copy_model_folder(folder, Path(tmp) / "m", formats=("onnx",))
        except ExportError as exc:
            raise UserError(f"cannot export {folder.name!r} to ONNX: {exc}") from None
        return (Path(tmp) / "m" / FORMATS["onnx"]).read_bytes()


def script_generator_graph(folder: Path, card: dict, fp16: bool = False):
    """TorchScript of the generator's tile call with plain tensor inputs (what pytorch_libtorch can call)."""
    import torch
    from torch import nn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        g = torch.jit.load(str(folder / MODEL_FILE), map_location="cpu").eval()
    if fp16:
        g = g.half()

    class StyleTile(nn.Module):
        def __init__(self, g, half: bool):
            super().__init__()
            self.g, self.half_precision = g, half

        def forward(self, source: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
            if self.half_precision:
                return self.g.forward_code(source.half(), code.half()).float()
            return self.g.forward_code(source, code)

    class FuseTile(nn.Module):
        def __init__(self, g, half: bool):
            super().__init__()
            self.g, self.half_precision = g, half

        def forward(self, source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
            if self.half_precision:
                return self.g(source.half(), reference.half()).float()
            return self.g(source, reference)

    wrapper = (StyleTile if card["task"] == "style" else FuseTile)(g, fp16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(wrapper.eval())


def _write_model(root: Path, name: str, files: dict[str, bytes | Path], config: str) -> None:
    """Write root/name atomically: built beside, then renamed over any older one."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
    try:
        (tmp / VERSION).mkdir()
        (tmp / "config.pbtxt").write_text(config)
        for fname, content in files.items():
            if isinstance(content, Path):
                shutil.copy2(content, tmp / VERSION / fname)
            else:
                (tmp / VERSION / fname).write_bytes(content)
        swap_into_place(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_repository(
    root,
    models=None,
    profile: str = "cpu",
    fp16: bool = False,
    instances: int = 1,
    torch_threads: int = 0,
    generator_format: str = "torchscript",
) -> list[str]:
    """Write (or update) a Triton model repository at `root` for `models` (default: all installed).

    Returns the names of the models written.
    """
    if profile not in ("cpu", "gpu"):
        raise UserError(f"unknown profile {profile!r}: use cpu or gpu")
    if generator_format not in ("torchscript", "onnx"):
        raise UserError(f"unknown generator format {generator_format!r}: use torchscript or onnx")
    if generator_format == "onnx" and profile != "gpu":
        raise UserError(
            "--generator-format onnx is for the gpu profile (the cpu one runs the generator in python)"
        )
    if generator_format == "onnx" and fp16:
        raise UserError("fp16 is for the TorchScript generator (pytorch_libtorch); the ONNX one runs in fp32")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise UserError(f"Triton repository {root} exists and is not a folder")
    entries = [find_model(m) for m in models] if models else list_models()
    if not entries:
        raise UserError("no models to export; train one with `stylefuse train`")
    try:
        return _write_models(root, entries, profile, fp16, instances, torch_threads, generator_format)
    except OSError as exc:  # a full disk, a read-only folder: each model folder is written aside, so
        # the repository holds only complete models (old or new), never a half-written one
        raise UserError(
            f"cannot write the Triton repository {root}: {exc.strerror or exc}; models already "
            "there are unchanged (free some space or choose another folder)"
        ) from None


def _write_models(
    root: Path,
    entries,
    profile: str,
    fp16: bool,
    instances: int,
    torch_threads: int,
    generator_format: str = "torchscript",
) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in entries:
        files = {
            MODEL_FILE: entry.folder / MODEL_FILE,
            CARD_FILE: entry.folder / CARD_FILE,
            "model.py": MODEL_PY.encode(),
        }
        generator = None
        if profile == "gpu":
            import io

            import torch

            generator = f"{entry.name}-generator"
            if generator_format == "onnx":
                generator_files = {"model.onnx": onnx_generator(entry.folder, entry.card)}
            else:
                buffer = io.BytesIO()
                torch.jit.save(script_generator_graph(entry.folder, entry.card, fp16), buffer)
                generator_files = {MODEL_FILE: buffer.getvalue()}
            _write_model(
                root,
                generator,
                generator_files,
                generator_config(generator, entry.card, fp16, generator_format),
            )
            written.append(generator)
        _write_model(
            root,
            entry.name,
            files,
            pipeline_config(entry.name, entry.card, profile, generator, instances, torch_threads),
        )
        written.append(entry.name)
    return written
