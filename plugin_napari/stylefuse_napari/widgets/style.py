"""The Style transfer dock widget."""

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, FloatSlider, Label
from napari.layers import Image, Labels, Shapes

from ..events import events
from .common import (
    BackendBox,
    RunBar,
    SlicingBox,
    follow_layers,
    guarded,
    layer_choices,
    refresh_model_choices,
)


class StyleWidget(Container):
    """Restyle an image layer with a model's own style or after a reference layer."""

    def __init__(self, viewer: napari.viewer.Viewer):
        self.viewer = viewer
        self._models: list[str] = []
        self.image = ComboBox(label="image", choices=layer_choices(viewer, Image))
        self.model = ComboBox(label="model", choices=lambda _w=None: self._models)
        self.method = ComboBox(
            label="method",
            choices=["generator", "synthesis"],
            value="generator",
            tooltip="generator: the trained model, fast. synthesis: paints with the style "
            "layer's own patches, seconds per slice, no model (needs 'style from')",
        )
        self.reference = ComboBox(
            label="style from",
            choices=layer_choices(viewer, Image, optional="the model's own style"),
            tooltip="any image layer as the style reference, or the model's trained style",
        )
        self.strength = FloatSlider(label="strength", value=1.0, min=0.0, max=1.0, step=0.05)
        self.mask = ComboBox(
            label="mask",
            choices=layer_choices(viewer, Labels, Shapes, optional="none"),
            tooltip="apply only inside labels > 0 or inside the shapes",
        )
        self.preserve_color = CheckBox(text="keep the image's colours")
        self.slicing = SlicingBox()
        self.backend = BackendBox(on_change=self.refresh_models)
        self.bar = RunBar("Stylize", self.start)
        self.note = Label(value="")
        super().__init__(
            widgets=[
                self.image,
                self.method,
                self.model,
                self.reference,
                self.strength,
                self.mask,
                self.preserve_color,
                self.slicing,
                self.backend,
                self.bar,
                self.note,
            ]
        )
        follow_layers(viewer, self)
        events.models_changed.connect(lambda *_: self.refresh_models())
        self.method.changed.connect(self._method_changed)
        self.refresh_models()

    def _method_changed(self, method: str) -> None:
        self.model.enabled = method == "generator"  # synthesis uses no model

    def refresh_models(self) -> None:
        refresh_model_choices(self, "style")

    def start(self):
        """Start a run from the widget's settings; returns the Job (None if it could not start)."""
        from ..tasks import StyleOptions, stylize_layer

        def launch():
            options = StyleOptions(
                model=self.model.value,
                reference=self.reference.value,
                strength=float(self.strength.value),
                mask=self.mask.value,
                preserve_color=bool(self.preserve_color.value),
                slicing=self.slicing.slicing(),
                method=self.method.value,
            )
            return stylize_layer(
                self.viewer, self.image.value, options, self.backend.backend(), on_end=self.bar.ended
            )

        job = guarded(launch)
        if job is not None:
            self.bar.started(job)
        return job
