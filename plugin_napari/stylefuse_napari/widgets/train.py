"""The Train style dock widget: a new style model from an image layer, usable at once."""

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, LineEdit, Select, SpinBox
from napari.layers import Image

from .common import RunBar, follow_layers, guarded, layer_choices


class TrainWidget(Container):
    def __init__(self, viewer: napari.viewer.Viewer):
        self.viewer = viewer
        self.style = ComboBox(
            label="style",
            choices=layer_choices(viewer, Image),
            tooltip="the painting (or any picture) whose style the model learns",
        )
        self.content = Select(
            label="content layers",
            choices=layer_choices(viewer, Image),
            tooltip="pictures the model learns to restyle (stacks give one sample per slice)",
        )
        self.samples = CheckBox(text="also the bundled sample images", value=True)
        self.model_name = LineEdit(label="model name", value="my-style")
        self.steps = SpinBox(label="steps", value=300, min=1, max=100_000)
        self.crop = SpinBox(label="crop", value=128, min=16, max=1024, step=16)
        self.batch = SpinBox(label="batch", value=4, min=1, max=64)
        self.bar = RunBar("Train", self.start)
        super().__init__(
            widgets=[
                self.style,
                self.content,
                self.samples,
                self.model_name,
                self.steps,
                self.crop,
                self.batch,
                self.bar,
            ]
        )
        follow_layers(viewer, self)
        self.model_folder = None

    def start(self):
        from ..training import TrainRequest, train_style

        def launch():
            request = TrainRequest(
                name=self.model_name.value.strip(),
                style=self.style.value,
                content=list(self.content.value),
                samples=bool(self.samples.value),
                steps=int(self.steps.value),
                crop=int(self.crop.value),
                batch=int(self.batch.value),
            )
            return train_style(request, on_done=self._trained, on_end=self.bar.ended)

        job = guarded(launch)
        if job is not None:
            self.bar.started(job)
        return job

    def _trained(self, folder) -> None:
        self.model_folder = folder
