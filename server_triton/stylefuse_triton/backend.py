"""The python-backend model: one request in, the core's `LocalRunner.stylize/fuse` run, one response out.

`process()` is the whole request handling and knows nothing of Triton (tests call it directly);
`TritonPythonModel` wraps it for the python backend. The requests of one `execute` (a dynamically
merged batch) run together: each its own pipeline call, their generator calls merged into forwards of
batch k (see batching.py); a bad one gets its own error while the others succeed. The backend's own
count of forwards is the custom metric `stylefuse_forwards_total{model, merged="k"}` on Triton's
metrics endpoint (and a JSON file per process in $STYLEFUSE_FORWARD_STATS, when set).
"""

import json
import os
from pathlib import Path

import numpy as np

from stylefuse.errors import UserError
from stylefuse.pipeline import prepare
from stylefuse.protocol import (
    MAX_PIXELS,
    MAX_SIDE,
    OUTPUT_NAMES,
    REFERENCE_NAMES,
    SCALAR_INPUTS,
    SOURCE_NAMES,
    wire_dtype,
)
from stylefuse.runner import LocalRunner, check_method

from .batching import ForwardStats, run_together


def _image(
    inputs: dict, names: tuple[str, ...], role: str, required: bool
) -> tuple[str | None, np.ndarray | None]:
    given = [n for n in names if n in inputs]
    if len(given) > 1:
        raise UserError(f"{role}: got {' and '.join(given)}; give exactly one of {', '.join(names)}")
    if not given:
        if required:
            raise UserError(f"no {role}: give one of {', '.join(names)} (N x H x W x C)")
        return None, None
    name, array = given[0], inputs[given[0]]
    if array.ndim != 4:
        raise UserError(
            f"{name} has shape {list(array.shape)}; expected N x H x W x C (4 dimensions with the batch)"
        )
    n, h, w, c = array.shape
    if not 1 <= c <= 4:
        raise UserError(f"{name} has {c} channels; expected 1-4 (grey, grey+alpha, RGB, RGBA)")
    if array.size == 0:
        raise UserError(f"{name} is empty {list(array.shape)}")
    if h > MAX_SIDE or w > MAX_SIDE or n * h * w > MAX_PIXELS:
        raise UserError(
            f"{name} {list(array.shape)} is too large: at most {MAX_SIDE} pixels a side and "
            f"{MAX_PIXELS} pixels (N x H x W) per request; send fewer slices per request"
        )
    if wire_dtype(array.dtype) is None or not name.endswith(wire_dtype(array.dtype)):
        raise UserError(f"{name} has dtype {array.dtype}")
    return name, array


def _scalar(inputs: dict, name: str, default, convert):
    if name not in inputs:
        return default
    values = np.asarray(inputs[name]).reshape(-1)
    if values.size == 0:
        raise UserError(f"{name} is empty")
    if not np.all(values == values[0]) and not (values.dtype.kind == "f" and np.isnan(values).any()):
        raise UserError(f"{name} must be one value per request, got {values.tolist()}")
    return convert(values[0])


def _text(value) -> str:
    """A BYTES element (bytes, or str from some clients) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _pair(inputs: dict, name: str):
    if name not in inputs:
        return None
    values = np.asarray(inputs[name], np.float64)
    if values.ndim != 2 or values.shape[1] != 2:
        raise UserError(f"{name} has shape {list(values.shape)}; expected N x 2 (lo, hi)")
    if not np.all(values == values[0]):
        raise UserError(f"{name} must be one (lo, hi) per request")
    lo, hi = values[0]
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise UserError(f"{name} must be finite with lo < hi, got ({lo}, {hi})")
    return float(lo), float(hi)


def _mask(inputs: dict, n: int, h: int, w: int):
    if "MASK" not in inputs:
        return None
    mask = np.asarray(inputs["MASK"])
    if mask.ndim != 3 or mask.shape[1:] != (h, w) or mask.shape[0] not in (1, n):
        raise UserError(
            f"MASK has shape {list(mask.shape)}; expected [1 or {n}, {h}, {w}] to match the source"
        )
    return mask[0] if mask.shape[0] == 1 else mask


def _own_range(stack: np.ndarray, what: str) -> tuple[float, float]:
    """The pipeline's own range of an N x H x W x C stack (its prepare step: colour channels only)."""
    rng = prepare(stack, True, None, what).rng
    return rng.lo, rng.hi


def process(model, inputs: dict[str, np.ndarray], requested_outputs=()) -> tuple[str, np.ndarray]:
    """Run one request: `inputs` maps tensor names to arrays (with N); returns (output name, N x H x W x C).

    Raises UserError for anything the client can fix.
    """
    unknown = sorted(set(inputs) - set(SOURCE_NAMES + REFERENCE_NAMES) - set(SCALAR_INPUTS))
    if unknown:
        raise UserError(f"unknown input(s) {', '.join(unknown)}")
    src_name, source = _image(inputs, SOURCE_NAMES, "source image", required=True)
    out_name = "OUTPUT_" + src_name.split("_", 1)[1]
    requested = [r for r in (requested_outputs or ()) if r]
    if requested and out_name not in requested:
        raise UserError(
            f"the source is {src_name}: request {out_name} (the output has the source's dtype), "
            f"not {', '.join(requested)}"
        )
    stray = [r for r in requested if r not in OUTPUT_NAMES]
    if stray:
        raise UserError(f"unknown output(s) {', '.join(stray)}")
    n, h, w, _ = source.shape
    stack = n > 1
    ref_name, reference = _image(inputs, REFERENCE_NAMES, "reference image", required=model.task == "fuse")
    value_range = _pair(inputs, "VALUE_RANGE")
    runner = LocalRunner("cpu")  # the model is already loaded where it runs; the runner just runs it

    if model.task == "style":
        strength = _scalar(inputs, "STRENGTH", 1.0, float)
        preserve = _scalar(inputs, "PRESERVE_COLOR", False, bool)
        method = check_method(_scalar(inputs, "METHOD", "generator", _text))
        synthesis_size = _scalar(inputs, "SYNTHESIS_SIZE", None, int)
        if reference is not None and reference.shape[0] == 1:
            reference = reference[0]
        if reference is None and model.needs_reference:
            raise UserError(
                f"style model {model.name!r} has no built-in style: give REFERENCE_* (a style image)"
            )
        result = runner.stylize(
            source if stack else source[0],
            model=model,
            reference=reference,
            strength=strength,
            mask=_mask(inputs, n, h, w),
            preserve_color=preserve,
            method=method,
            is_stack=stack,
            value_range=value_range,
            synthesis_size=synthesis_size,
        )
    else:
        for name in ("MASK", "STRENGTH", "PRESERVE_COLOR", "METHOD", "SYNTHESIS_SIZE"):
            if name in inputs:
                raise UserError(f"{name} is for style models; {model.name!r} is a fusion model")
        if reference.shape[0] not in (1, n):
            raise UserError(f"{ref_name} has {reference.shape[0]} slices and {src_name} {n}; give 1 or {n}")
        if reference.shape[0] != n:
            reference = np.broadcast_to(reference, (n, *reference.shape[1:]))
        ref_range = _pair(inputs, "REFERENCE_VALUE_RANGE")
        pair = None
        if value_range is not None or ref_range is not None:
            pair = (value_range or _own_range(source, "a"), ref_range or _own_range(reference, "b"))
        result = runner.fuse(
            source if stack else source[0],
            reference if stack else reference[0],
            model=model,
            is_stack=stack,
            value_range=pair,
        )
    return out_name, np.array(result.reshape(n, h, w, -1), order="C", copy=True)


def _model_folder(args: dict) -> Path:
    """The version folder holding model.pt + card.json (args['model_repository'] is the model's folder)."""
    base, version = Path(args["model_repository"]), str(args["model_version"])
    for folder in (base / version, base / args["model_name"] / version):
        if (folder / "model.pt").is_file():
            return folder
    raise RuntimeError(f"no model.pt in {base / version}")


def _release_freed_memory():
    """glibc keeps freed activation buffers (hundreds of MB for a 1 Mpx tile) in its arenas; give them back."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except (OSError, AttributeError):
        return lambda: None
    return lambda: libc.malloc_trim(0)


def _stats_file(model: str) -> Path | None:
    folder = os.environ.get("STYLEFUSE_FORWARD_STATS")
    return Path(folder) / f"{model}-{os.getpid()}.json" if folder else None


def _forward_metrics(pb_utils, model: str):
    """A callback counting forwards in Triton's custom metrics, or None where the backend has none."""
    try:
        forwards = pb_utils.MetricFamily(
            name="stylefuse_forwards_total",
            description="generator forwards run by the stylefuse backend, by "
            "requests merged into the forward",
            kind=pb_utils.MetricFamily.COUNTER,
        )
        rows = pb_utils.MetricFamily(
            name="stylefuse_forward_rows_total",
            description="tile rows (batch N) through the stylefuse backend's forwards",
            kind=pb_utils.MetricFamily.COUNTER,
        )
        row_metric = rows.Metric(labels={"model": model})
    except Exception:  # noqa: BLE001 - an older python backend: the JSON file and the log only
        return None
    metrics: dict[int, object] = {}

    def on_forward(merged: int, batch_rows: int) -> None:
        if merged not in metrics:
            metrics[merged] = forwards.Metric(labels={"model": model, "merged": str(merged)})
        metrics[merged].increment(1)
        row_metric.increment(batch_rows)

    return on_forward


class TritonPythonModel:
    """Triton python backend entry point (see each repository model's 1/model.py)."""

    def initialize(self, args):
        import torch
        import triton_python_backend_utils as pb_utils  # only importable inside the backend stub

        from stylefuse.registry import load_model_folder

        self.pb = pb_utils
        self.trim = _release_freed_memory()
        config = json.loads(args["model_config"])
        params = {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}
        threads = int(params.get("torch_threads", "0") or 0)
        if threads > 0:
            torch.set_num_threads(threads)
        folder = _model_folder(args)
        # The model's own folder in the repository Triton serves from: TorchScript is loaded from there only.
        self.model = load_model_folder(
            folder,
            params.get("stylefuse_model") or args["model_name"],
            repository=Path(args["model_repository"]),
        )
        generator = params.get("generator_model")
        if generator:  # GPU profile: the generator is its own pytorch_libtorch model, reached by BLS
            from .bls import bls_model

            self.model = bls_model(self.model, generator, pb_utils)
        self.stats = ForwardStats(
            _stats_file(args["model_name"]), _forward_metrics(pb_utils, args["model_name"])
        )

    def _error(self, message: str, invalid: bool = True):
        pb = self.pb
        code = getattr(pb.TritonError, "INVALID_ARG" if invalid else "INTERNAL", None)
        try:
            error = pb.TritonError(message, code) if code is not None else pb.TritonError(message)
        except TypeError:  # older python backends: no error codes
            error = pb.TritonError(message)
        return pb.InferenceResponse(output_tensors=[], error=error)

    def execute(self, requests):
        jobs, errors = [], {}
        for i, request in enumerate(requests):
            try:
                inputs = {tensor.name(): tensor.as_numpy() for tensor in request.inputs()}
                requested = list(request.requested_output_names() or ())
            except Exception as exc:  # noqa: BLE001
                inputs, requested, errors[i] = {}, [], exc
            jobs.append(lambda model, inputs=inputs, requested=requested: process(model, inputs, requested))
        results = run_together(self.model, self.stats, [jobs[i] for i in range(len(jobs)) if i not in errors])
        responses = []
        it = iter(results)
        for i in range(len(requests)):
            result, exc = (None, errors[i]) if i in errors else next(it)
            responses.append(self._response(result, exc))
        self.stats.save()
        self.trim()
        return responses

    def _response(self, result, exc):
        pb = self.pb
        if exc is None:
            name, out = result
            return pb.InferenceResponse(output_tensors=[pb.Tensor(name, out)])
        if isinstance(exc, UserError):
            return self._error(f"stylefuse: {exc}")
        if isinstance(exc, MemoryError):
            return self._error(
                "stylefuse: not enough memory on the server for this request; send fewer or smaller slices",
                invalid=False,
            )
        # never let one request take the others down
        return self._error(f"stylefuse: internal error: {type(exc).__name__}: {exc}", invalid=False)

    def finalize(self):
        self.model = None
