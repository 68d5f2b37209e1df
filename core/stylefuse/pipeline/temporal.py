"""Steady frames: a stylized video keeps its previous frame, moved along with the picture, where the
input did not change other than by moving.

A feed-forward generator answers a small change of its input (sensor noise, compression noise that
differs frame to frame, a shift by a pixel or two that its stride-4 layers do not follow exactly) with
a larger change of painted texture, and synthesis repaints more still: stylized frame by frame, a
locked-off shot "boils" at 2-14x the input's frame-to-frame change and a 2-pixel pan at 3.4x its
motion-compensated change.

`steady_frames` estimates the motion from each input frame back to the previous one: OpenCV's DIS
optical flow, and the camera's own motion (an affine fit to the flow, refined by ECC on the pixels
that follow it) wherever the flow is within CAMERA_SNAP pixels of it, since dense flow wanders by
tenths of a pixel in flat, dark, noisy areas and a painting carried by a wandering motion slides off
its picture; a motion under MIN_MOTION pixels counts as none, so a still picture is held exactly
and does not soften. It carries the previous input and output along that motion, and holds each
output pixel at its carried value while the input stays within HOLD_BELOW levels of the carried
input; it takes the new stylization where the input changed by TAKE_ABOVE or more (a ramp between):
what moves differently from the estimate, what comes into view, a wrong estimate, so nothing
ghosts. The signed change is averaged over BOX x BOX pixels first, which cancels noise but keeps an
edge, so the hold comes in patches. The carrying is a cubic B-spline (see `carry`). MIN_MOTION,
CAMERA_SNAP and the spline carrying were chosen on
validation clips (benchmarks/video_flicker.py --split validation); the ECC refinement was added after
its test split showed a dark, noisy pan (scikit-image's rocket) sliding. A slow drift of light
accumulates until it passes HOLD_BELOW, then the pixel follows it a few levels behind. The state (the
carried input and output, one frame each) is carried in a StackState, so a clip in chunks gives what
the whole clip would.
"""

from __future__ import annotations

import os

import numpy as np

from .stack_state import StackState

# Levels of 255, of the input's change averaged over BOX x BOX (which cancels noise but not an edge):
# up to HOLD_BELOW the output is held (a camera's and H.264's noise stays under it), from TAKE_ABOVE
# it takes the new frame's stylization (motion), a ramp between.
HOLD_BELOW = 3.0
TAKE_ABOVE = 12.0
BOX = 5  # pixels
CAMERA_SNAP = 1.0  # pixels: a flow this close to the camera's motion is taken as the camera's
FLOW_SIDE = 480  # pixels: the motion of larger frames is estimated on frames scaled down to this
MIN_MOTION = 0.2  # pixels per frame: below it a pixel counts as still (noise moves DIS's estimate a little)


def backward_motion(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """H x W x 2 (dx, dy) per pixel of `current` (H x W x C float): where it was in `previous`.

    Estimated on grey frames of at most FLOW_SIDE pixels a side (the flow of a larger frame scaled
    up: a motion field is smooth, and DIS costs 4x the time at 2x the side)."""
    import cv2

    h, w = current.shape[:2]
    scale = min(1.0, FLOW_SIDE / max(h, w))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))

    def grey(frame: np.ndarray) -> np.ndarray:
        small = frame if scale == 1.0 else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        small = small.reshape(small.shape[:2] + (-1,))  # cv2 drops a single channel's axis
        luma = small[..., :3] @ np.float32([0.299, 0.587, 0.114]) if small.shape[-1] >= 3 else small[..., 0]
        return np.clip(luma, 0, 255).astype(np.uint8)

    now, before = grey(current), grey(previous)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(now, before, None)
    camera = camera_motion(flow, now, before, CAMERA_SNAP * scale)
    if camera is not None:
        camera[_length2(camera) < (MIN_MOTION * scale) ** 2] = 0.0  # a still camera is still
        near = _length2(flow - camera) < (CAMERA_SNAP * scale) ** 2
        flow[near] = camera[near]
    if scale != 1.0:
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(1.0 / scale)
    flow[_length2(flow) < MIN_MOTION**2] = 0.0
    return flow


def _length2(flow: np.ndarray) -> np.ndarray:
    return flow[..., 0] * flow[..., 0] + flow[..., 1] * flow[..., 1]


def camera_motion(
    flow: np.ndarray, now: np.ndarray, before: np.ndarray, snap: float, step: int = 4
) -> np.ndarray | None:
    """The affine motion most of `flow` follows (a pan, a zoom, a tilt of the camera), as a flow field;
    None when under half of the picture follows one. Fitted to the flow (RANSAC), then refined on the
    grey frames `now` and `before` themselves (ECC), on the pixels whose flow is within `snap` of the
    fit: dense flow is biased by a few tenths of a pixel in dark, noisy, flat areas, and a held
    painting carried by a biased motion slides off its picture."""
    import cv2

    h, w = flow.shape[:2]
    ys, xs = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    src = np.stack([xs.ravel(), ys.ravel()], -1).astype(np.float32)
    dst = src + flow[ys.ravel(), xs.ravel()]
    model, inliers = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=0.5)
    if model is None or inliers.mean() < 0.5:
        return None
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)

    def as_flow(affine: np.ndarray) -> np.ndarray:
        moved_x = affine[0, 0] * gx + affine[0, 1] * gy + affine[0, 2]
        moved_y = affine[1, 0] * gx + affine[1, 1] * gy + affine[1, 2]
        return np.stack([moved_x - gx, moved_y - gy], -1).astype(np.float32)

    # Refined on the pixels that follow the camera only (not on a ball crossing the shot).
    follows = _length2(flow - as_flow(model)) < snap * snap
    try:
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
        _, model = cv2.findTransformECC(
            now.astype(np.float32), before.astype(np.float32), model.astype(np.float32), cv2.MOTION_AFFINE,
            criteria, follows.astype(np.uint8), 5,
        )  # fmt: skip
    except cv2.error:  # did not converge: the flow's fit stands
        pass
    return as_flow(model)


def carry(frames: list[np.ndarray], flow: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """`frames` (H x W x C float32) moved along `flow` onto the current frame's grid, and where that
    was possible (the source inside the previous frame). Cubic B-spline interpolation (scipy.ndimage,
    a channel per thread: it releases the GIL): a held picture is resampled every frame it moves,
    and OpenCV's bicubic (Keys, a = -0.75) rings after ~50 frames of a slow pan, bilinear softens
    within 20, while the spline stays within 0.86-1.0 of the detail of a painting glued to the scene
    over 96 frames (validation clips)."""
    from concurrent.futures import ThreadPoolExecutor

    from scipy.ndimage import map_coordinates

    h, w = flow.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    ys = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    coords = np.stack([ys, xs])
    planes = [np.ascontiguousarray(f[..., c]) for f in frames for c in range(f.shape[-1])]

    def one(plane: np.ndarray) -> np.ndarray:
        return map_coordinates(plane, coords, order=3, mode="nearest", output=np.float32)

    with ThreadPoolExecutor(max_workers=min(len(planes), os.cpu_count() or 1)) as pool:
        moved_planes = list(pool.map(one, planes))
    ends = np.cumsum([f.shape[-1] for f in frames])
    moved = [np.stack(moved_planes[end - f.shape[-1] : end], -1) for f, end in zip(frames, ends, strict=True)]
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
            flow = backward_motion(frame_in, reference)
            moving = (flow[..., 0] != 0) | (flow[..., 1] != 0)
            if moving.any():
                (reference, previous), inside = carry([reference, previous], flow)
            else:
                inside = np.ones(moving.shape, bool)
            change = _local_change(frame_in - reference)
            ramp = (change - np.float32(hold_below)) / np.float32(take_above - hold_below)
            take = np.where(inside, np.clip(ramp, 0.0, 1.0), 1.0)[..., None].astype(np.float32)
            reference = reference + take * (frame_in - reference)
            previous = previous + take * (frame_out - previous)
            previous = np.clip(previous, 0.0, 255.0)  # the spline overshoots at edges: keep it from piling up
        state.steady = (reference, previous)
        held[k] = np.clip(np.rint(previous), 0, 255).reshape(held[k].shape)
    return held


def _local_change(difference: np.ndarray) -> np.ndarray:
    """H x W: the largest over channels of |the signed difference averaged over BOX x BOX|, then the
    largest over BOX x BOX (a moving edge takes its neighbourhood along). OpenCV's box filter and
    dilation, with scipy.ndimage's default edge (mirrored): 5x the speed of scipy on a 640 x 360 frame."""
    import cv2

    averaged = cv2.blur(difference, (BOX, BOX), borderType=cv2.BORDER_REFLECT).reshape(difference.shape)
    change = np.abs(averaged[..., 0])
    for c in range(1, averaged.shape[-1]):
        np.maximum(change, np.abs(averaged[..., c]), out=change)
    return cv2.dilate(change, np.ones((BOX, BOX), np.uint8), borderType=cv2.BORDER_REFLECT)
