"""Style transfer and fusion of layers: the planes of a layer through one runner call, a new layer out.

Each run reads its layers once in the main thread, then works in a Job (see `jobs`): one call of the
core's runner (`stylefuse.runner`, in-process or Triton) on the whole stack of planes, `batch` planes
per model call or request, its progress driving the bar and the job's stop flag cancelling it. The
runner maps the whole stack with one value range and computes a style code once. The result layer is
added at the end only.
"""

from dataclasses import dataclass, field

import numpy as np

from stylefuse.errors import UserError
from stylefuse.limits import check_pixel_count

from .backends import make_backend
from .jobs import Job, call_with_progress
from .layers import image_array, result_kwargs, result_name
from .masks import mask_for
from .slicing import Planes, layer_axes, plane_axes, planes_of


@dataclass
class Slicing:
    """Which axes form the planes: `slice_axis` None means the displayed plane; `batch` planes a call."""

    slice_axis: int | None = None
    batch: int = 4


@dataclass
class StyleOptions:
    model: str | None = None
    reference: object = None  # an image layer, or None for the model's own style
    strength: float = 1.0
    mask: object = None  # a Labels or Shapes layer
    preserve_color: bool = False
    slicing: Slicing = field(default_factory=Slicing)
    method: str = "generator"  # or "synthesis": example-based painting with the reference's own patches


def _planes(viewer, layer, data: np.ndarray, slicing: Slicing) -> Planes:
    displayed = None
    if viewer is not None:
        displayed = layer_axes(tuple(viewer.dims.displayed), viewer.dims.ndim, layer.ndim)
    rows, cols = plane_axes(layer.ndim, displayed, slicing.slice_axis)
    return planes_of(data.shape, layer.rgb, rows, cols)


def _check_size(planes: Planes, layer) -> None:
    """The pipeline's pixel limit for the whole layer, checked before a job starts (batches are small,
    so the pipeline alone would never see that the whole stack is too large)."""
    check_pixel_count((planes.count, *planes.plane), f"layer {layer.name!r}")


def _range(data: np.ndarray, what: str) -> None:
    """The pipeline's value-range rule on the whole layer: refuses NaN, Inf and odd dtypes, naming it."""
    from stylefuse.pipeline import value_range_of

    value_range_of(data, what=what)


def _steps(planes: Planes, call):
    """The job's generator: one runner call in a helper thread; its progress (tiles) scaled to planes."""

    def whole(should_stop):
        def run(progress):
            def report(done: int, total: int) -> None:
                progress(done * planes.count // max(total, 1))

            return call(report, should_stop)

        return (yield from call_with_progress(run))

    return whole


def stylize_layer(viewer, layer, options: StyleOptions, backend=None, on_end=None) -> Job:
    """Start styling `layer`; the result appears as a new layer named after it."""
    backend = backend or make_backend()
    data = image_array(layer, "image")
    backend.check()
    planes = _planes(viewer, layer, data, options.slicing)
    _check_size(planes, layer)
    _range(data, f"layer {layer.name!r}")  # NaN/Inf/dtype refused now, naming the layer, before the job
    stack = planes.split(data)
    reference = image_array(options.reference, "style reference") if options.reference is not None else None
    mask = mask_for(options.mask, planes.shape)
    mask_planes = planes.split(mask) if mask is not None else None
    name = result_name([layer.name], options.reference.name if options.reference is not None else "stylized")
    if options.method == "synthesis" and reference is None:
        from stylefuse.errors import UserError

        raise UserError(
            "synthesis paints with a painting's own patches: choose an image layer under 'style from'"
        )
    settings = dict(
        model=options.model,
        reference=reference,
        strength=options.strength,
        preserve_color=options.preserve_color,
        is_stack=True,
    )
    if options.method != "generator":  # the generator is every runner's default
        settings["method"] = options.method

    def call(progress, should_stop):
        return backend.stylize(
            stack,
            mask=mask_planes,
            batch_size=options.slicing.batch,
            progress=progress,
            cancel=should_stop,
            **settings,
        )

    def done(result: np.ndarray) -> None:
        out = planes.join(result)
        viewer.add_image(out, **result_kwargs(layer, name, rgb=layer.rgb))

    return Job(f"Style transfer of {layer.name!r}", planes.count, _steps(planes, call), done, on_end).start()


def fuse_layers(
    viewer,
    a,
    b,
    model: str | None = None,
    resample: bool = False,
    slicing: Slicing | None = None,
    backend=None,
    on_metrics=None,
    on_end=None,
    on_choice=None,
) -> Job:
    """Start fusing `b` into `a`; the result (a's place, dtype and range) appears as a new layer.
    `model` None: the core's automatic rule picks it for this pair; `on_choice(why)` hears which."""
    backend = backend or make_backend()
    slicing = slicing or Slicing()
    data_a, data_b = image_array(a, "first layer (a)"), image_array(b, "second layer (b)")
    planes_a = _planes(viewer, a, data_a, slicing)
    planes_b = planes_of(data_b.shape, b.rgb, *_same_axes(planes_a, a, b))
    _check_size(planes_a, a)
    _check_size(planes_b, b)
    if planes_a.lead != planes_b.lead or (planes_a.plane != planes_b.plane and not resample):
        hint = "" if planes_a.lead != planes_b.lead else "; tick 'resample' to resize b onto a"
        raise UserError(
            f"layers differ in shape: {a.name!r} is {_describe(a)}, {b.name!r} is {_describe(b)}{hint}"
        )
    stack_a, stack_b = planes_a.split(data_a), planes_b.split(data_b)
    backend.check()
    name = result_name([a.name, b.name], "fused")
    for data, layer in ((data_a, a), (data_b, b)):  # NaN/Inf/dtype refused now, naming the layer
        _range(data, f"layer {layer.name!r}")
    if model is None:  # chosen once for the whole stack, before the job, so the user sees it at once
        model, why = backend.fuse_choice(stack_a, stack_b, None, is_stack=True)
        if on_choice is not None:
            on_choice(why)

    def call(progress, should_stop):
        return backend.fuse(
            stack_a,
            stack_b,
            model=model,
            resample=resample,
            is_stack=True,
            batch_size=slicing.batch,
            progress=progress,
            cancel=should_stop,
        )

    run = _steps(planes_a, call)

    def steps(should_stop):
        result = yield from run(should_stop)
        metrics = None
        if result is not None and on_metrics is not None:
            metrics = _fusion_metrics(result, stack_a, stack_b)
        return result, metrics

    def done(outcome) -> None:
        result, metrics = outcome
        rgb = result.ndim == 4 and result.shape[-1] in (3, 4)
        viewer.add_image(planes_a.join(result), **result_kwargs(a, name, rgb=rgb))
        if on_metrics is not None and metrics is not None:
            on_metrics(metrics)

    return Job(f"Fusion of {a.name!r} and {b.name!r}", planes_a.count, steps, done, on_end).start()


def _same_axes(planes_a: Planes, a, b) -> tuple[int, int]:
    """b's plane axes: the same ones as a's (layers are aligned on their last axes)."""
    offset = a.ndim - b.ndim
    rows, cols = planes_a.order[-2] - offset, planes_a.order[-1] - offset
    if rows < 0 or cols < 0:
        raise UserError(f"layers differ in shape: {a.name!r} is {_describe(a)}, {b.name!r} is {_describe(b)}")
    return rows, cols


def _describe(layer) -> str:
    shape = " x ".join(map(str, layer.data.shape))
    return f"{shape}{' RGB' if layer.rgb else ''}"


def _fusion_metrics(result, stack_a, stack_b) -> dict[str, float]:
    """`stylefuse eval`'s eight scores (`stylefuse.evaluation`), means over the planes.

    A score that cannot be computed (VIF needs 41 x 41 pixels) is NaN; the widget shows "n/a".
    """
    from stylefuse.evaluation import evaluate_fusion

    if stack_b.shape[1:3] != stack_a.shape[1:3]:  # b was resampled onto a: compare with a on both sides
        stack_b = stack_a
    return evaluate_fusion(result, stack_a, stack_b, is_stack=True, strict=False)
