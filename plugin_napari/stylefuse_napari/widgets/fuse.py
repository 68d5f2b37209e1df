"""The Fuse layers dock widget."""

import napari
from magicgui.widgets import CheckBox, ComboBox, Container, Label
from napari.layers import Image

from .common import (
    AUTO_CHOICE,
    BackendBox,
    RunBar,
    SlicingBox,
    follow_layers,
    guarded,
    layer_choices,
    refresh_model_choices,
)


class FuseWidget(Container):
    """Fuse two aligned image layers (MRI + CT/PET/SPECT, two exposures, ...) and show the metrics.

    A grey model fuses the lumas; a colour (functional) layer keeps its chroma (YCbCr), as the
    pipeline does.
    """

    def __init__(self, viewer: napari.viewer.Viewer):
        self.viewer = viewer
        self._models: list[str] = []
        self.a = ComboBox(
            label="layer a",
            choices=layer_choices(viewer, Image),
            tooltip="anatomy (e.g. MRI): the result takes its place, dtype and value range",
        )
        self.b = ComboBox(
            label="layer b",
            choices=layer_choices(viewer, Image),
            tooltip="the other modality (CT, PET, SPECT; colour is kept)",
        )
        self.model = ComboBox(
            label="model",
            choices=lambda _w=None: self._models,
            tooltip="auto: the model whose card lists the pair's kind (medical, infrared-visible, "
            "multi-focus, multi-exposure), as `stylefuse fuse` without --model; or one model",
        )
        self.choice = Label(value="")  # which model auto picked, and why
        self.resample = CheckBox(text="resample b onto a (different sizes)")
        self.slicing = SlicingBox()
        self.backend = BackendBox(on_change=self.refresh_models)
        self.bar = RunBar("Fuse", self.start)
        self.metrics = Label(value="")
        self.metrics_values: dict[str, float] | None = None
        super().__init__(
            widgets=[
                self.a,
                self.b,
                self.model,
                self.choice,
                self.resample,
                self.slicing,
                self.backend,
                self.bar,
                self.metrics,
            ]
        )
        follow_layers(viewer, self)
        self._pick_two()
        self.refresh_models()

    def _pick_two(self) -> None:
        images = [layer for layer in self.viewer.layers if isinstance(layer, Image)]
        if len(images) >= 2 and self.a.value is self.b.value:
            self.a.value, self.b.value = images[0], images[1]

    def refresh_models(self) -> None:
        refresh_model_choices(self, "fuse", auto=True)

    def show_metrics(self, metrics: dict[str, float]) -> None:
        self.metrics_values = dict(metrics)
        self.metrics.value = "fusion metrics (as `stylefuse eval`; mean over slices):\n" + "\n".join(
            f"{name:>5}  {value:.4f}" if value == value else f"{name:>5}  n/a (image too small)"
            for name, value in metrics.items()
        )

    def show_choice(self, why: str) -> None:
        self.choice.value = why

    def start(self):
        from ..tasks import fuse_layers

        def launch():
            return fuse_layers(
                self.viewer,
                self.a.value,
                self.b.value,
                model=None if self.model.value == AUTO_CHOICE else self.model.value,
                resample=bool(self.resample.value),
                slicing=self.slicing.slicing(),
                backend=self.backend.backend(),
                on_metrics=self.show_metrics,
                on_end=self.bar.ended,
                on_choice=self.show_choice,
            )

        self.metrics.value, self.metrics_values, self.choice.value = "", None, ""
        job = guarded(launch)
        if job is not None:
            self.bar.started(job)
        return job
