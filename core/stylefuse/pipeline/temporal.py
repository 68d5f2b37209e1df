"""Steady frames: a stylized video keeps its previous frame where the input did not change.

A feed-forward generator answers a small change of its input (sensor noise, compression noise that
differs frame to frame) with a larger change of painted texture, and synthesis repaints more still: a
locked-off shot stylized frame by frame "boils" at 2-14x the input's frame-to-frame change.
`steady_frames` holds each output pixel at its previous value while its input stays within HOLD_BELOW
levels of the input it was painted from, and takes the new stylization where the input moved by
TAKE_ABOVE or more (a ramp between). The signed change is averaged over BOX x BOX pixels first, which
cancels noise but keeps an edge, so the hold comes in patches. Moving content is never held, so
nothing ghosts; a slow drift (light) accumulates until it passes HOLD_BELOW, then the pixel follows it
a few levels behind; content of very low contrast that moves slowly can be held a few frames too long.
The state (the reference input and the held output, one frame each) is carried in a StackState, so a
clip in chunks gives what the whole clip would.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter

from .stack_state import StackState

# Levels of 255, of the input's change averaged over BOX x BOX (which cancels noise but not an edge):
# up to HOLD_BELOW the output is held (a camera's and H.264's noise stays under it), from TAKE_ABOVE
# it takes the new frame's stylization (motion), a ramp between.
HOLD_BELOW = 3.0
TAKE_ABOVE = 12.0
BOX = 5  # pixels


def steady_frames(
    inputs: np.ndarray,
    outputs: np.ndarray,
    state: StackState,
    hold_below: float = HOLD_BELOW,
    take_above: float = TAKE_ABOVE,
) -> np.ndarray:
    """N x H x W x C frames of `outputs` (stylized `inputs`, uint8) with still areas held; `state`
    carries the previous frame between calls."""
    if outputs.dtype != np.uint8 or inputs.shape[:3] != outputs.shape[:3]:
        raise ValueError("steady_frames takes uint8 frames and their stylized frames of one size")
    held = np.empty_like(outputs)
    for k in range(len(inputs)):
        frame_in = inputs[k].astype(np.float32)
        frame_out = outputs[k].astype(np.float32)
        if state.steady is None or state.steady[0].shape != frame_in.shape:
            reference, previous = frame_in, frame_out  # the first frame is its own stylization
        else:
            reference, previous = state.steady
            change = np.abs(uniform_filter(frame_in - reference, size=(BOX, BOX, 1))).max(axis=-1)
            change = maximum_filter(change, size=BOX)  # a moving edge takes its neighbourhood along
            ramp = (change - np.float32(hold_below)) / np.float32(take_above - hold_below)
            take = np.clip(ramp, 0.0, 1.0)[..., None]
            reference = reference + take * (frame_in - reference)
            previous = previous + take * (frame_out - previous)
        state.steady = (reference, previous)
        held[k] = np.clip(np.rint(previous), 0, 255)
    return held
