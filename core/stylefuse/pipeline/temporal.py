"""Steady frames: a stylized video keeps its previous frame, moved along with the picture, where the
input did not change other than by moving.

A feed-forward generator answers a small change of its input (sensor noise, compression noise that
differs frame to frame, a shift by a pixel or two that its stride-4 layers do not follow exactly) with
a larger change of painted texture, and synthesis repaints more still: stylized frame by frame, a
locked-off shot "boils" at 2-14x the input's frame-to-frame change and a 2-pixel pan at 3.4x its
motion-compensated change.

`steady_frames` estimates the motion from each input frame back to the previous one (OpenCV's DIS
optical flow; a motion under MIN_MOTION pixels counts as none, so a still picture is held exactly and
does not soften), carries the previous input and output along it, and holds each output pixel at its
carried value while the input stays within HOLD_BELOW levels of the carried input; it takes the new
stylization where the input changed by TAKE_ABOVE or more (a ramp between): what moves in differently
from the estimate, what comes into view, and a wrong estimate, so nothing ghosts. The signed change
is averaged over BOX x BOX pixels first, which cancels noise but keeps an edge, so the hold comes in
patches. The carrying is bicubic: bilinear, repeated every frame at fractions of a pixel, softened a
held picture to 0.70-0.84 of its detail within 20 frames of a slow pan (bicubic keeps 0.94-1.0; on
validation clips of scikit-image's coffee and astronaut, never on the test clips). A slow drift (light) accumulates until it passes HOLD_BELOW, then the pixel follows it a few levels
behind. The state (the carried input and output, one frame each) is carried in a StackState, so a clip
in chunks gives what the whole clip would.
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
MIN_MOTION = 0.2  # pixels per frame: below it a pixel counts as still (noise moves DIS's estimate a little)


def backward_motion(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """H x W x 2 (dx, dy) per pixel of `current` (H x W x 3 float): where it was in `previous`."""
    import cv2

    def grey(frame: np.ndarray) -> np.ndarray:
        return np.clip(frame @ np.float32([0.299, 0.587, 0.114]), 0, 255).astype(np.uint8)

    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(
        grey(current), grey(previous), None
    )
    flow[np.hypot(flow[..., 0], flow[..., 1]) < MIN_MOTION] = 0.0
    return flow


def carry(frames: list[np.ndarray], flow: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """`frames` (H x W x C float32) moved along `flow` onto the current frame's grid, and where that
    was possible (the source inside the previous frame)."""
    import cv2

    h, w = flow.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    ys = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    moved = [
        cv2.remap(f, xs, ys, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE).reshape(f.shape)
        for f in frames
    ]
    return moved, inside


def steady_frames(
    inputs: np.ndarray,
    outputs: np.ndarray,
    state: StackState,
    hold_below: float = HOLD_BELOW,
    take_above: float = TAKE_ABOVE,
) -> np.ndarray:
    """N x H x W x C frames of `outputs` (stylized `inputs`, uint8) held steady along the picture's
    motion; `state` carries the previous frame between calls."""
    if outputs.dtype != np.uint8 or inputs.shape[:3] != outputs.shape[:3]:
        raise ValueError("steady_frames takes uint8 frames and their stylized frames of one size")
    held = np.empty_like(outputs)
    for k in range(len(inputs)):
        frame_in = inputs[k].astype(np.float32)
        frame_out = outputs[k].astype(np.float32)
        if frame_in.ndim == 2:
            frame_in, frame_out = frame_in[..., None], frame_out[..., None]
        if state.steady is None or state.steady[0].shape != frame_in.shape:
            reference, previous = frame_in, frame_out  # the first frame is its own stylization
        else:
            reference, previous = state.steady
            flow = backward_motion(_rgb(frame_in), _rgb(reference))
            moving = flow.any(axis=-1)
            if moving.any():
                (reference, previous), inside = carry([reference, previous], flow)
            else:
                inside = np.ones(moving.shape, bool)
            change = np.abs(uniform_filter(frame_in - reference, size=(BOX, BOX, 1))).max(axis=-1)
            change = maximum_filter(change, size=BOX)  # a moving edge takes its neighbourhood along
            ramp = (change - np.float32(hold_below)) / np.float32(take_above - hold_below)
            take = np.where(inside, np.clip(ramp, 0.0, 1.0), 1.0)[..., None].astype(np.float32)
            reference = reference + take * (frame_in - reference)
            previous = previous + take * (frame_out - previous)
            previous = np.clip(previous, 0.0, 255.0)  # bicubic overshoots at edges: keep it from piling up
        state.steady = (reference, previous)
        held[k] = np.clip(np.rint(previous), 0, 255).reshape(held[k].shape)
    return held


def _rgb(frame: np.ndarray) -> np.ndarray:
    return frame[..., :3] if frame.shape[-1] >= 3 else np.repeat(frame[..., :1], 3, axis=-1)
