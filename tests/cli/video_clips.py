"""Short video clips for the video tests, written and read with PyAV itself (not with stylefuse's code).

A clip is a locked-off shot, what a visual-effects plate often is: a photo with a camera's noise
(new every frame), a slight drift of exposure, and a dark ball crossing it; an AAC sine tone beside.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "core" / "stylefuse" / "examples"
SAMPLE_RATE = 22050


def _photo(photo: str):
    """An RGB PIL image: a bundled example by name, or a file."""
    from PIL import Image

    return Image.open(photo if Path(photo).is_file() else EXAMPLES / photo).convert("RGB")


def ball_at(k: int, frames: int, width: int, height: int) -> tuple[float, float, float]:
    """The ball of `scene` in frame k: centre x, centre y, radius (pixels)."""
    return width * (0.15 + 0.7 * k / max(1, frames - 1)), height * 0.6, height / 10


def scene(
    frames: int, width: int, height: int, seed: int = 0, photo: str = "chelsea.png", ball: bool = True
) -> np.ndarray:
    """N x H x W x 3 uint8 frames of the shot (`ball`: with the ball crossing it)."""

    base = np.asarray(_photo(photo).resize((width, height)), np.float32)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    out = np.empty((frames, height, width, 3), np.uint8)
    for k in range(frames):
        light = 0.95 + 0.05 * k / max(1, frames - 1)
        img = base * light + rng.normal(0.0, 3.0, base.shape)
        cx, cy, r = ball_at(k, frames, width, height)
        disc = np.clip(r + 0.5 - np.hypot(xx - cx, yy - cy), 0, 1)[..., None] * ball  # anti-aliased edge
        img = img * (1 - disc) + np.array([40.0, 50.0, 90.0]) * disc
        out[k] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def camera_move(k: int, motion: str, speed: float) -> tuple[float, float, float]:
    """Frame k's view of the scene: (x offset, y offset, scale), for `motion` "pan" (speed: pixels a
    frame to the right) or "zoom" (speed: a frame's scale step, about the centre)."""
    if motion == "pan":
        return speed * k, 0.0, 1.0
    if motion == "zoom":
        return 0.0, 0.0, (1.0 + speed) ** k
    raise ValueError(motion)


def view_coords(k: int, motion: str, speed: float, height: int, width: int) -> np.ndarray:
    """2 x H x W scene coordinates (in the frame's own pixel grid at frame 0) that frame k shows."""
    dx, dy, scale = camera_move(k, motion, speed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    cy, cx = (height - 1) / 2, (width - 1) / 2
    return np.stack([cy + (yy - cy) / scale + dy, cx + (xx - cx) / scale + dx])


def frame_coords(
    k: int, motion: str, speed: float, height: int, width: int, points: np.ndarray
) -> np.ndarray:
    """Where frame k shows the scene `points` (2 x ..., as `view_coords` gives): its inverse."""
    dx, dy, scale = camera_move(k, motion, speed)
    cy, cx = (height - 1) / 2, (width - 1) / 2
    return np.stack([cy + (points[0] - dy - cy) * scale, cx + (points[1] - dx - cx) * scale])


def camera_base(frames: int, width: int, height: int, motion: str, speed: float, photo: str) -> np.ndarray:
    """The scene a `film` camera moves over: the photo, H x (W + what a pan reaches) x 3 float32."""
    reach = int(np.ceil(abs(camera_move(frames - 1, motion, speed)[0]))) + 2
    return np.asarray(_photo(photo).resize((width + reach, height)), np.float32)


def film(
    base: np.ndarray, frames: int, width: int, height: int, motion: str, speed: float, noise: float, seed: int
) -> np.ndarray:
    """N x H x W x 3 uint8 frames of a camera panning or zooming over `base`, with a camera's noise
    (standard deviation `noise` levels, new every frame)."""
    from scipy.ndimage import map_coordinates

    rng = np.random.default_rng(seed)
    out = np.empty((frames, height, width, 3), np.uint8)
    for k in range(frames):
        coords = view_coords(k, motion, speed, height, width)
        img = np.stack([map_coordinates(base[..., c], coords, order=3, mode="nearest") for c in range(3)], -1)
        img += rng.normal(0.0, noise, img.shape)
        out[k] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def moving_scene(
    frames: int, width: int, height: int, motion: str, speed: float, seed: int = 0, photo: str = "chelsea.png"
) -> np.ndarray:
    """A camera panning or zooming over a photo, with a camera's noise: the motion is known exactly,
    so flicker can be measured after compensating it."""
    base = camera_base(frames, width, height, motion, speed, photo)
    return film(base, frames, width, height, motion, speed, 3.0, seed)


def glued_painting(
    frames: int,
    width: int,
    height: int,
    motion: str,
    speed: float,
    photo: str,
    folder: Path,
    stylize,
    fps: int,
) -> np.ndarray:
    """The steadiest a painted clip can be: the whole scene stylized once and filmed by the same camera
    (the painting moves exactly with it), encoded and decoded as a clip. `stylize(src_png, dst_png)`
    paints the scene (the CLI, in the test and the benchmark)."""
    from PIL import Image

    base = camera_base(frames, width, height, motion, speed, photo)
    Image.fromarray(np.clip(np.rint(base), 0, 255).astype(np.uint8)).save(folder / "scene.png")
    stylize(folder / "scene.png", folder / "painted.png")
    painted = np.asarray(Image.open(folder / "painted.png").convert("RGB"), np.float32)
    clip = film(painted, frames, width, height, motion, speed, 0.0, 0)
    return decode(write_clip(folder / "glued.mp4", clip, fps, audio=False))["frames"]


def compensated_flicker(frames: np.ndarray, motion: str, speed: float, margin: int = 8) -> float:
    """Mean |F(t+1) - F(t) moved to where frame t+1 looks|: the change that the clip's own (known)
    motion does not explain. `motion`: "pan"/"zoom" (`moving_scene`'s camera, `speed` as there) or
    "ball" (`scene` with the ball: the background still, the ball moving; what the ball uncovers, new
    to the picture, is left out)."""
    from scipy.ndimage import map_coordinates

    n, h, w = frames.shape[:3]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    total = 0.0
    for k in range(n - 1):
        valid = np.ones((h, w), bool)
        if motion == "ball":
            (x0, y0, r), (x1, y1, _) = ball_at(k, n, w, h), ball_at(k + 1, n, w, h)
            on_ball = np.hypot(xx - x1, yy - y1) <= r + 1.5  # its anti-aliased edge included
            uncovered = ~on_ball & (np.hypot(xx - x0, yy - y0) <= r + 1.5)
            y, x = yy - on_ball * (y1 - y0), xx - on_ball * (x1 - x0)
            valid = ~uncovered
        else:  # frame k+1's pixel shows a scene point; where frame k shows that point
            y, x = frame_coords(k, motion, speed, h, w, view_coords(k + 1, motion, speed, h, w))
        earlier = frames[k].astype(np.float64)
        moved = np.stack([map_coordinates(earlier[..., c], [y, x], order=1) for c in range(3)], -1)
        diff = np.abs(frames[k + 1].astype(np.float64) - moved).mean(-1)
        inner = (slice(margin, h - margin), slice(margin, w - margin))
        total += diff[inner][valid[inner]].mean()
    return total / (n - 1)


def write_clip(
    path: Path,
    frames: np.ndarray,
    fps: int = 12,
    audio: bool = True,
    faststart: bool = False,
) -> Path:
    """H.264 (x264, CRF 18) at `fps`, with a 440 Hz AAC tone as long as the video when `audio`.
    `faststart` puts the MP4's index first (so a cut-off file still opens)."""
    import av

    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        video = container.add_stream("libx264", rate=fps)
        video.height, video.width = frames.shape[1:3]
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "18"}
        sound = container.add_stream("aac", rate=SAMPLE_RATE) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for k, array in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            samples = SAMPLE_RATE * len(frames) // fps
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
            for start in range(0, samples, 1024):
                block = av.AudioFrame.from_ndarray(
                    tone[None, start : start + 1024], format="fltp", layout="mono"
                )
                block.sample_rate, block.pts = SAMPLE_RATE, start
                container.mux(sound.encode(block))
            container.mux(sound.encode())
    return path


def decode(path: Path) -> dict:
    """What a player sees: frames (N x H x W x 3 uint8), their pts, the rate, the audio's packets."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames, pts = [], []
        for frame in container.decode(video):
            frames.append(frame.to_ndarray(format="rgb24"))
            pts.append(float(frame.pts * frame.time_base))
        info = {
            "frames": np.stack(frames),
            "pts": pts,
            "rate": video.average_rate,
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
        }
    with av.open(str(path)) as container:
        if not container.streams.audio:
            info["audio"] = None
            return info
        stream = container.streams.audio[0]
        packets = [p for p in container.demux(stream) if p.size]
        info["audio"] = {
            "codec": stream.codec_context.name,
            "payloads": [bytes(p) for p in packets],
            "seconds": float(sum(p.duration for p in packets) * stream.time_base),
            "end": float(max(p.pts + p.duration for p in packets) * stream.time_base),
        }
    return info


def flicker(frames: np.ndarray) -> float:
    """Mean |F(t+1) - F(t)| of a clip: benchmarks/flicker_quality.py's measure, frames for slices."""
    return float(np.mean(np.abs(np.diff(frames.astype(np.float64), axis=0))))
