"""Signals between widgets: a newly trained model shows up in the model lists at once."""

from psygnal import Signal


class _Events:
    models_changed = Signal(str)  # the name of the model that was added or replaced


events = _Events()
