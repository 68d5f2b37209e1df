"""`StackState`: what a stack processed in parts (a video, chunk by chunk) carries from one part to the next.

A generator's slices are independent (the value range of 8-bit data is fixed and the palette's curves
are per slice), so the parts of a stack give what the whole stack gives with nothing carried. Synthesis
paints each slice from the previous slice's patch choices (that is what keeps a volume from flickering):
the state holds them, and the painting's patch banks, so the first frame of a chunk continues the last
frame of the one before, and the banks are built once per clip. A video's stylized frames are held
steady where the input did not change (`stylefuse.pipeline.temporal`): that needs the previous frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class StackState:
    """Pass one instance to every `stylize` call of one stack's parts, in order."""

    synthesis: Any = None  # stylefuse.synthesis.SynthesisState of the last slice painted
    steady: Any = None  # (reference input, held output) of the last frame: pipeline.temporal
