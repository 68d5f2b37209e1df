"""Training a style model from layers: layers to temporary files, `stylefuse.training.loop.train` in a job.

The training loop reads files (style and content paths), so the chosen layers are written as TIFF
(stacks as one plane per page) to a temporary folder that is removed when training ends.
"""

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stylefuse.errors import UserError

from . import notify
from .events import events
from .jobs import Job, call_with_progress
from .layers import image_array
from .samples import examples_dir
from .slicing import planes_of

SAMPLE_CONTENT = ("brain_t1.png", "chelsea.png")


@dataclass
class TrainRequest:
    name: str
    style: object  # an image layer
    content: list = field(default_factory=list)  # image layers
    samples: bool = True  # add the bundled sample pictures to the content
    steps: int = 300
    crop: int = 128
    batch: int = 4


def _write_layer(layer, path: Path) -> Path:
    """The layer as a TIFF: a picture, or a stack of its planes (the last two axes)."""
    from stylefuse.io import write_image

    data = image_array(layer, f"layer {layer.name!r}")
    planes = planes_of(data.shape, layer.rgb, layer.ndim - 2, layer.ndim - 1)
    stack = planes.split(data)
    if planes.count == 1:
        return write_image(path, stack[0], is_stack=False)
    return write_image(path, np.ascontiguousarray(stack), is_stack=True)


def train_style(request: TrainRequest, on_done=None, on_end=None) -> Job:
    from stylefuse.registry import validate_model_name
    from stylefuse.training import TrainConfig

    validate_model_name(request.name)
    if request.style is None:
        raise UserError("choose the style image layer")
    image_array(request.style, "style")
    for layer in request.content:
        image_array(layer, "content")
    if not request.content and not request.samples:
        raise UserError(
            "choose content layers or tick 'bundled sample images' (the model needs content to restyle)"
        )

    folder = Path(tempfile.mkdtemp(prefix="stylefuse-train-"))
    style = _write_layer(request.style, folder / "style.tif")
    content = [
        str(_write_layer(layer, folder / f"content_{i}.tif")) for i, layer in enumerate(request.content)
    ]
    if request.samples:
        content += [str(examples_dir() / name) for name in SAMPLE_CONTENT]
    cfg = TrainConfig(
        task="style",
        name=request.name,
        style=[str(style)],
        content=content,
        steps=request.steps,
        crop=request.crop,
        batch=request.batch,
        run_dir=str(folder / "run"),
        checkpoint_every=request.steps + 1,
        command="napari: Train style widget",
    ).validate()

    def steps(should_stop):
        from stylefuse.pipeline import Cancelled
        from stylefuse.training import TrainingInterrupted, train

        try:
            return (
                yield from call_with_progress(
                    lambda progress: train(cfg, progress=progress, should_stop=should_stop),
                    name=f"stylefuse-train-{cfg.name}",
                )
            )
        except TrainingInterrupted as exc:
            raise Cancelled(str(exc)) from None

    def done(model_folder) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        events.models_changed.emit(cfg.name)
        notify.info(
            f"model {cfg.name!r} trained ({cfg.steps} steps) and ready in Style transfer: {model_folder}"
        )
        if on_done is not None:
            on_done(model_folder)

    return Job(f"Training style {cfg.name!r}", cfg.steps, steps, done, on_end).start()
