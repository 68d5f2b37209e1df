"""Pieces every dock widget shares: layer pickers, the backend chooser, the run/cancel bar."""

from magicgui.widgets import ComboBox, Container, Label, LineEdit, PushButton, SpinBox

from .. import notify
from ..backends import DEFAULT_URL, DEVICES, IN_PROCESS, PROTOCOLS, TRITON, make_backend

AUTO_AXIS = "displayed plane"


def layer_choices(viewer, *kinds, optional: str | None = None):
    """A `choices` callable: (name, layer) for the viewer's layers of `kinds`, after an optional None."""

    def choices(_widget=None):
        found = [(layer.name, layer) for layer in viewer.layers if isinstance(layer, kinds)]
        return ([(optional, None)] if optional is not None else []) + found

    return choices


def follow_layers(viewer, container: Container) -> None:
    """Refresh the container's choices when layers come, go or change order."""
    for name in ("inserted", "removed", "moved", "reordered"):
        emitter = getattr(viewer.layers.events, name, None)
        if emitter is not None:
            emitter.connect(lambda *_: container.reset_choices())


def guarded(action):
    """Run `action()`; a failure becomes an error notification (and returns None)."""
    try:
        return action()
    except Exception as exc:
        notify.error(notify.explain(exc))
        return None


class SlicingBox(Container):
    """Which planes a stack is cut into, and how many go through the model per call."""

    def __init__(self):
        self.axis = ComboBox(
            label="slices along",
            choices=[AUTO_AXIS, "axis 0", "axis 1", "axis 2", "axis 3"],
            value=AUTO_AXIS,
            tooltip="stacks are processed plane by plane: the displayed "
            "plane, or planes across the chosen axis",
        )
        self.batch = SpinBox(label="slices per batch", value=4, min=1, max=256)
        super().__init__(widgets=[self.axis, self.batch], labels=True)
        self.margins = (0, 0, 0, 0)

    def slicing(self):
        from ..tasks import Slicing

        axis = None if self.axis.value == AUTO_AXIS else int(self.axis.value.split()[-1])
        return Slicing(slice_axis=axis, batch=int(self.batch.value))


class BackendBox(Container):
    """In-process (default) or a Triton server at a URL, with a connection test."""

    def __init__(self, on_change=None):
        self.kind = ComboBox(label="backend", choices=[IN_PROCESS, TRITON], value=IN_PROCESS)
        self.url = LineEdit(
            label="server",
            value=DEFAULT_URL,
            tooltip="host:port of a Triton server (stylefuse serve): 8001 for gRPC, 8000 for HTTP",
        )
        self.protocol = ComboBox(label="protocol", choices=list(PROTOCOLS), value="grpc")
        self.device = ComboBox(
            label="device",
            choices=list(DEVICES),
            value="auto",
            tooltip="where an in-process run computes: auto = a CUDA GPU when there is one, else the CPU",
        )
        self.test = PushButton(text="Test connection")
        self.status = Label(value="")
        super().__init__(
            widgets=[self.kind, self.device, self.url, self.protocol, self.test, self.status], labels=True
        )
        self.margins = (0, 0, 0, 0)
        self._on_change = None
        self._kind_changed()
        self._on_change = on_change  # set after the first call: the owner is still being built
        self.kind.changed.connect(self._kind_changed)
        self.url.changed.connect(self._changed)
        self.protocol.changed.connect(self._changed)
        self.device.changed.connect(self._changed)
        self.test.changed.connect(self.test_connection)

    def backend(self):
        return make_backend(self.kind.value, self.url.value, self.protocol.value, self.device.value)

    def _kind_changed(self, *_):
        remote = self.kind.value == TRITON
        for widget in (self.url, self.protocol, self.test):
            widget.visible = remote
        self.device.visible = not remote
        self._changed()

    def _changed(self, *_):
        self.status.value = ""
        if self._on_change is not None and self.kind.value == IN_PROCESS:
            self._on_change()

    def test_connection(self, *_) -> bool:
        """Ping the backend; the answer goes to the status line (and a notification on failure)."""
        try:
            text = self.backend().describe()
        except Exception as exc:
            self.status.value = "not reachable"
            notify.error(f"cannot reach the server: {notify.explain(exc)}")
            return False
        self.status.value = text
        if self._on_change is not None:
            self._on_change()
        return True


class RunBar(Container):
    """Run and Cancel buttons and a one-line status."""

    def __init__(self, run_text: str, on_run):
        self.run = PushButton(text=run_text)
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = Label(value="")
        super().__init__(widgets=[self.run, self.cancel, self.status], layout="vertical", labels=False)
        self.margins = (0, 0, 0, 0)
        self.job = None
        self.run.changed.connect(lambda *_: on_run())
        self.cancel.changed.connect(lambda *_: self.stop())

    def started(self, job) -> None:
        self.job = job
        self.run.enabled, self.cancel.enabled = False, True
        self.status.value = "running…"

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.value = "cancelling…"

    def ended(self, outcome: str) -> None:
        self.run.enabled, self.cancel.enabled = True, False
        self.status.value = outcome


AUTO_CHOICE = "auto (by image kind)"  # fusion: the core's automatic rule (stylefuse.fusion_kind)


def refresh_model_choices(widget, task: str, auto: bool = False) -> None:
    """Refill `widget.model` with the backend's models for `task` (after `AUTO_CHOICE`, the default, when
    `auto`), keeping the current choice if it is still offered (asks a Triton server only when the
    backend changes or is tested)."""
    models = guarded(lambda: widget.backend.backend().model_names(task))
    if models is None:
        return
    previous = widget.model.value
    widget._models = ([AUTO_CHOICE] if auto else []) + list(models)
    widget.model.reset_choices()
    if previous in widget._models:
        widget.model.value = previous
