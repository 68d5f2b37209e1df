"""`TritonTransport`: the pipeline's stylize/fuse calls, sent to a stylefuse Triton server.

Connection (per-thread clients, ping, model list) in `connection`, error mapping and retries in
`errors`, shared memory in `shm`, requests of a few slices in `chunking`; this module builds the
requests of one call and sends them.
"""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..pipeline.inputs import prepare, prepare_pair
from ..pipeline.resample import resample_region
from ..pipeline.runner import check_batch_size
from ..pipeline.weights import check_strength, mask_as_float
from ..protocol import reference_name, wire_dtype
from .chunking import from_wire, per_slice, range_input, run_requests, slices_per_request, to_wire
from .connection import Connection
from .errors import ErrorMapping
from .shm import read_region, write_region


class TritonTransport(Connection, ErrorMapping):
    """stylize/fuse/list_models over a stylefuse Triton server (gRPC, HTTP, system shared memory).

    `model` names a served model; None takes the default by stylefuse.model_choice's rule (what
    stylefuse.runner.TritonRunner does before it calls here).
    """

    def _model(self, model: str | None, task: str, need_default_style: bool = False) -> str:
        """`model` checked against the server's list; None: the default (stylefuse.model_choice's rule)."""
        models = self._models if self._models is not None else self.list_models()
        if model is None:
            from ..model_choice import ModelInfo, default_model

            infos = [
                ModelInfo(m["name"], m["task"], m["channels"], m["has_default_style"], m["default"])
                for m in models
            ]
            return default_model(task, infos, need_default_style, where=f"served by {self.url}")
        found = [m for m in models if m["name"] == model]
        if found and found[0]["task"] != task:
            raise UserError(f"model {model!r} is a {found[0]['task']!r} model, not a {task!r} model")
        return model

    # ------------------------------------------------------------------ one request
    def _infer(
        self, model: str, inputs: dict[str, np.ndarray], output: str, out_shape, out_dtype
    ) -> np.ndarray:
        tc, big = self._tc, ("SOURCE_", "REFERENCE_", "MASK")
        use_shm = self.shared_memory
        nbytes = int(np.prod(out_shape)) * np.dtype(out_dtype).itemsize
        kwargs = self._timeout_kwargs()

        def send():
            # Built anew on every attempt: after a reconnect the shared-memory regions are new ones,
            # registered with the (possibly restarted) server.
            pool = self._pool() if use_shm else None
            infer_inputs = []
            for name, array in inputs.items():
                array = np.ascontiguousarray(array)
                datatype = {
                    np.dtype(np.bool_): "BOOL",
                    np.dtype(object): "BYTES",
                    np.dtype(np.int32): "INT32",
                }.get(array.dtype) or wire_dtype(array.dtype)
                item = tc.InferInput(name, list(array.shape), datatype)
                if use_shm and name.startswith(big):
                    write_region(pool, name, array, item)
                elif self.protocol == "http":
                    item.set_data_from_numpy(array, binary_data=True)
                else:
                    item.set_data_from_numpy(array)
                infer_inputs.append(item)
            requested = tc.InferRequestedOutput(
                output, **({"binary_data": True} if self.protocol == "http" else {})
            )
            out_handle = None
            if use_shm:
                out_region, out_handle, _ = pool.region("OUTPUT", nbytes)
                requested.set_shared_memory(out_region, nbytes)
            return self._client.infer(model, infer_inputs, outputs=[requested], **kwargs), out_handle

        result, out_handle = self._call(send, model)
        if use_shm:
            reply = result.get_output(output)
            shape = list(reply.shape if self.protocol == "grpc" else reply["shape"])
            if shape != list(out_shape):
                raise UserError(
                    f"server {self.url} returned {output} of shape {shape}, expected {list(out_shape)}"
                )
            return read_region(out_handle, out_dtype, out_shape)
        out = result.as_numpy(output)
        if out is None or list(out.shape) != list(out_shape):
            raise UserError(f"server {self.url} returned no {output} of shape {list(out_shape)}")
        return out

    def _run(self, model, slices, per, build, out, progress, cancel):
        def infer(inputs, output, shape, dtype):
            return self._infer(model, inputs, output, shape, dtype)

        run_requests(infer, slices, per, build, out, progress, cancel)

    # ------------------------------------------------------------------ the pipeline's calls
    def stylize(
        self,
        image,
        model: str | None = None,
        reference=None,
        strength: float = 1.0,
        mask=None,
        preserve_color: bool = False,
        is_stack: bool | None = None,
        batch_size: int = 8,
        progress=None,
        cancel=None,
        value_range=None,
        method: str = "generator",
        synthesis_size: int | None = None,
    ) -> np.ndarray:
        """`stylefuse.pipeline.stylize`, run by the server (same arguments, same result)."""
        src = prepare(
            image, is_stack, value_range, "image"
        )  # as the pipeline: NaN/Inf refused before sending
        layout, rng = src.layout, src.rng
        strength = check_strength(strength)
        batch_size = check_batch_size(batch_size)
        masks = mask_as_float(mask, layout)  # float32 [1 or Z] x H x W, checked as the pipeline checks it
        if src.empty:
            return src.array.copy()
        model = self._model(model, "style", need_default_style=reference is None)
        wire = to_wire(src.view, "image")
        extra = {
            "STRENGTH": np.full((1, 1), strength, np.float32),
            "PRESERVE_COLOR": np.full((1, 1), bool(preserve_color), np.bool_),
        }
        if reference is not None:
            ref = prepare(reference, None, None, "reference")
            if ref.empty:
                raise UserError(f"reference image is empty {ref.array.shape}")
            middle = to_wire(ref.view[ref.layout.slices // 2 : ref.layout.slices // 2 + 1], "reference")
            extra[reference_name(middle.dtype)] = middle  # a stack's middle slice, as the pipeline takes it
        out = np.empty(src.view.shape, wire.dtype)
        source_name, output = f"SOURCE_{wire_dtype(wire.dtype)}", f"OUTPUT_{wire_dtype(wire.dtype)}"

        def build(z: slice):
            k = z.stop - z.start
            inputs = {source_name: wire[z], **extra}
            # One range for the whole stack, whatever the batch (and the caller's own range, if given).
            if value_range is not None or (layout.is_stack and rng.hi > rng.lo):
                inputs["VALUE_RANGE"] = range_input(rng.lo, rng.hi, k)
            # Every input of a request has the source's batch size N (Triton refuses a mix):
            # one reference or one mask for all slices goes N times.
            for name in ("STRENGTH", "PRESERVE_COLOR", *(n for n in extra if n.startswith("REFERENCE_"))):
                inputs[name] = per_slice(extra[name], k)
            if method != "generator":
                inputs["METHOD"] = np.array([[method.encode()]] * k, dtype=object)
            if synthesis_size is not None:
                inputs["SYNTHESIS_SIZE"] = np.full((k, 1), synthesis_size, np.int32)
            if masks is not None:
                inputs["MASK"] = masks[z] if masks.shape[0] > 1 else per_slice(masks, k)
            return inputs, output

        per = slices_per_request(batch_size, layout.height, layout.width)
        self._run(model, layout.slices, per, build, out, progress, cancel)
        return from_wire(out, src.dtype).reshape(src.array.shape)

    def fuse(
        self,
        a,
        b,
        model: str | None = None,
        resample: bool = False,
        is_stack: bool | None = None,
        batch_size: int = 8,
        progress=None,
        cancel=None,
        value_range=None,
    ) -> np.ndarray:
        """`stylefuse.pipeline.fuse`, run by the server (same arguments, same result)."""
        pa, pb = prepare_pair(a, b, is_stack, value_range, resample)
        la, lb, ra, rb = pa.layout, pb.layout, pa.rng, pb.rng
        batch_size = check_batch_size(batch_size)
        same_plane = (la.height, la.width) == (lb.height, lb.width)
        channels = (3 if la.colour or lb.colour else 1) + int(la.alpha)
        out_shape = la.shape_with(channels)
        if pa.empty or pb.empty:
            return np.zeros(out_shape, pa.dtype)
        model = self._model(model, "fuse")
        wa = to_wire(pa.view, "a")
        out = np.empty((la.slices, la.height, la.width, channels), wa.dtype)
        source_name, output = f"SOURCE_{wire_dtype(wa.dtype)}", f"OUTPUT_{wire_dtype(wa.dtype)}"
        if same_plane:
            wb = to_wire(pb.view, "b")
            ref_name, ref_range = f"REFERENCE_{wire_dtype(wb.dtype)}", (rb.lo, rb.hi)

            def read_b(z: slice) -> np.ndarray:
                return wb[z]
        else:  # resampled here exactly as the pipeline would (in [0, 1]); sent as float with range (0, 1)
            ref_name, ref_range = "REFERENCE_FP32", (0.0, 1.0)

            def read_b(z: slice) -> np.ndarray:
                return resample_region(
                    lambda rows, cols: pb.unit(z, rows, cols),
                    (lb.height, lb.width),
                    (la.height, la.width),
                    slice(0, la.height),
                    slice(0, la.width),
                )

        def build(z: slice):
            k = z.stop - z.start
            inputs = {source_name: wa[z], ref_name: read_b(z)}
            if value_range is not None or (la.is_stack and ra.hi > ra.lo):
                inputs["VALUE_RANGE"] = range_input(ra.lo, ra.hi, k)
            if value_range is not None or (la.is_stack and ref_range[1] > ref_range[0]) or not same_plane:
                inputs["REFERENCE_VALUE_RANGE"] = range_input(*ref_range, k)
            return inputs, output

        per = slices_per_request(batch_size, la.height, la.width)
        self._run(model, la.slices, per, build, out, progress, cancel)
        return from_wire(out, pa.dtype).reshape(out_shape)
