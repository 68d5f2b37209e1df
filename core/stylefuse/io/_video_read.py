"""Reading video files through PyAV (the optional extra `video`): frames in chunks, never the whole clip.

A clip is streamed: `VideoReader.chunks(n)` decodes n frames at a time as an N x H x W x 3 uint8
stack with their timestamps, so memory holds one chunk whatever the clip's length. Every problem
(not a video, no video stream, a truncated or corrupt file, PyAV missing) is an ImageFileError with
one line naming the file. A truncated file is caught by counting the packets the container's index
promised: a cut-off MP4 without its index fails to open, one with its index up front ("faststart")
demuxes fewer packets than the index lists.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from ._common import ImageFileError, check_pixels, describe

VIDEO_EXTRA_HINT = "pip install 'stylefuse[video]'"
# What `stylefuse stylize/fuse` reads as video; writing takes the containers H.264 goes into.
VIDEO_READ_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm")


def import_av(path: str | os.PathLike[str] | None = None):
    """PyAV, imported only when a video is touched (it loads FFmpeg's libraries: slow, optional)."""
    try:
        import av
    except ImportError:
        raise ImageFileError(path, f"video files need PyAV, an optional extra: {VIDEO_EXTRA_HINT}") from None
    return av


class VideoReader:
    """One video file opened for streaming: its size, rate, frame count, audio, and frames in chunks."""

    def __init__(self, path: str | os.PathLike[str], max_pixels: int | None = None) -> None:
        self.path = Path(path)
        av = import_av(self.path)
        if not self.path.is_file():
            raise ImageFileError(
                self.path, "no such file" if not self.path.exists() else "not a regular file"
            )
        if self.path.stat().st_size == 0:
            raise ImageFileError(self.path, "the file is empty (0 bytes)")
        try:
            self.container = av.open(str(self.path), "r")
        except PermissionError:
            raise ImageFileError(self.path, "permission denied") from None
        except Exception as exc:  # FFmpeg's own words ("Invalid data found ...") after ours
            words = getattr(exc, "strerror", None) or describe(exc)
            raise ImageFileError(
                self.path, f"cannot read as a video (truncated, corrupt or not a video file: {words})"
            ) from None
        if not self.container.streams.video:
            self.close()
            raise ImageFileError(self.path, "no video stream in this file")
        self.video = self.container.streams.video[0]
        ctx = self.video.codec_context
        self.width, self.height = int(ctx.width), int(ctx.height)
        if self.width <= 0 or self.height <= 0:
            self.close()
            raise ImageFileError(self.path, "the video stream has no picture size (corrupt header?)")
        check_pixels(self.path, (self.height, self.width), max_pixels)
        self.time_base: Fraction = self.video.time_base or Fraction(1, 90000)
        rate = self.video.average_rate or self.video.guessed_rate or self.video.base_rate
        self.rate: Fraction = Fraction(rate) if rate else Fraction(25)
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None

    @property
    def frame_count(self) -> int | None:
        """Frames the container says it holds (its index), else an estimate from the duration; None if unknown."""
        if self.video.frames:
            return int(self.video.frames)
        if self.video.duration:
            return max(1, round(float(self.video.duration * self.time_base * self.rate)))
        if self.container.duration:  # microseconds
            return max(1, round(self.container.duration / 1e6 * float(self.rate)))
        return None

    def seconds(self, pts: int) -> float:
        return float(pts * self.time_base)

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, list[int]]]:
        """Frames as (N x H x W x 3 uint8, their pts in `time_base`), `size` frames at a time (the last fewer)."""
        frames: list[np.ndarray] = []
        stamps: list[int] = []
        step = Fraction(1) / (
            self.rate * self.time_base
        )  # one frame in time_base units (a frame without pts)
        packets = decoded = 0
        try:
            for packet in self.container.demux(self.video):
                if packet.size:
                    packets += 1
                for frame in packet.decode():
                    pts = frame.pts if frame.pts is not None else round(decoded * step)
                    # A frame of another size (rare, mid-stream) is scaled to the first one's.
                    frames.append(frame.to_ndarray(format="rgb24", width=self.width, height=self.height))
                    stamps.append(int(pts))
                    decoded += 1
                    if len(frames) == size:
                        yield np.stack(frames), stamps
                        frames, stamps = [], []
        except ImageFileError:
            raise
        except Exception as exc:
            raise ImageFileError(
                self.path, f"cannot decode frame {decoded + 1} (corrupt or truncated file: {describe(exc)})"
            ) from None
        expected = int(self.video.frames or 0)
        if expected and packets < expected:
            raise ImageFileError(
                self.path,
                f"the file is truncated: its index lists {expected} frames but only {packets} are there",
            )
        if decoded == 0:
            raise ImageFileError(self.path, "no frame could be decoded (corrupt or truncated file)")
        if frames:
            yield np.stack(frames), stamps

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def audio_packets(path: str | os.PathLike[str]) -> Iterator:
    """The first audio stream's packets, demuxed from a second opening of the file (the frames' demuxer
    reads the video stream alone, so audio is copied beside it without holding the clip)."""
    av = import_av(path)
    container = av.open(str(path), "r")
    try:
        stream = container.streams.audio[0]
        expected, seen = int(stream.frames or 0), 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the demuxer's end-of-stream marker
                    continue
                seen += 1
                yield packet
        except Exception as exc:
            raise ImageFileError(
                path, f"cannot read its audio (corrupt or truncated: {describe(exc)})"
            ) from None
        if expected and seen < expected:
            raise ImageFileError(
                path,
                f"the file is truncated: its audio index lists {expected} packets but only {seen} are there",
            )
    finally:
        container.close()
