"""Writing video files through PyAV: H.264 frames encoded as they come, the source's audio copied.

`write_video(path, like)` yields a `VideoWriter`; each `write(frames, pts)` encodes a chunk at once,
so the clip is never held whole. The video is H.264 (libx264, 4:2:0, CRF 18: visually lossless at a
fraction of the size) with the source's frame rate and each frame's own timestamp; the source's first
audio stream is copied packet by packet (no re-encoding), interleaved with the frames by time. The file
is written under a temporary name beside `path` and renamed only when complete: an error or Ctrl-C
leaves nothing under the output name.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ._common import ImageFileError, check_output_folder, current_umask, describe, full_suffix
from ._video_read import VideoReader, audio_packets, import_av

# Output suffix -> FFmpeg muxer: the containers that hold H.264 and most audio codecs as they are.
VIDEO_WRITE_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
CRF = 18  # x264's constant quality: 18 is visually lossless; the default 23 smears painted texture


class VideoWriter:
    """An open output container: H.264 at `like`'s rate and time base, and `like`'s audio stream copied."""

    def __init__(self, name: str, muxer: str, like: VideoReader, path: Path) -> None:
        av = import_av(path)
        self.av, self.like, self.path = av, like, path
        self.container = av.open(name, "w", format=muxer)
        # 4:2:0 chroma needs even sides: an odd frame gets its last row/column repeated once.
        self.width, self.height = like.width + like.width % 2, like.height + like.height % 2
        stream = self.container.add_stream("libx264", rate=like.rate)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.codec_context.time_base = like.time_base  # frames keep the source's own timestamps
        stream.time_base = like.time_base
        stream.options = {"crf": str(CRF)}
        self.stream = stream
        self.audio_out = None if like.audio is None else self.container.add_stream_from_template(like.audio)
        self._audio = None if like.audio is None else audio_packets(like.path)
        self._pending = None  # the next audio packet, read ahead of the frames' time
        self.frames = 0
        self.finished = False
        self.end = 0.0  # seconds: the end of the last frame written

    def write(self, frames: np.ndarray, stamps: list[int]) -> None:
        """Encode N x H x W x 3 uint8 frames with their pts (in the source's time base)."""
        step = 1.0 / float(self.like.rate)
        for array, pts in zip(frames, stamps, strict=True):
            if array.shape[:2] != (self.height, self.width):
                pad = ((0, self.height - array.shape[0]), (0, self.width - array.shape[1]), (0, 0))
                array = np.pad(array, pad, mode="edge")
            frame = self.av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
            frame.pts, frame.time_base = pts, self.like.time_base
            try:
                packets = self.stream.encode(frame)
            except Exception as exc:  # e.g. a source whose timestamps go backwards
                raise ImageFileError(
                    self.path, f"cannot encode frame {self.frames + 1} (pts {pts}): {describe(exc)}"
                ) from None
            self._mux(packets)
            self.frames += 1
            self.end = max(self.end, self.like.seconds(pts) + step)
            self._copy_audio(self.like.seconds(pts))

    def finish(self, audio_until: float | None = None) -> None:
        """Flush the encoder, copy the rest of the audio (up to `audio_until` seconds when given)."""
        try:
            packets = self.stream.encode()
        except Exception as exc:
            raise ImageFileError(self.path, f"cannot finish the video: {describe(exc)}") from None
        self._mux(packets)
        self._copy_audio(math.inf if audio_until is None else audio_until)
        self.finished = True

    def _mux(self, packets) -> None:
        try:
            self.container.mux(packets)
        except Exception as exc:
            raise ImageFileError(self.path, f"cannot write the video: {describe(exc)}") from None

    def _copy_audio(self, until: float) -> None:
        """Audio packets that start before `until` seconds, in order (the muxer interleaves them)."""
        while self._audio is not None:
            if self._pending is None:
                self._pending = next(self._audio, None)
                if self._pending is None:
                    self._audio = None
                    return
            packet = self._pending
            if packet.pts is not None and float(packet.pts * packet.time_base) >= until:
                return
            packet.stream = self.audio_out
            try:
                self.container.mux(packet)
            except Exception as exc:
                raise ImageFileError(
                    self.path,
                    f"cannot copy the audio ({self.like.audio.codec_context.name}) into "
                    f"{full_suffix(self.path)}: {describe(exc)}; write .mkv, which holds any audio",
                ) from None
            self._pending = None

    def close(self) -> None:
        if self._audio is not None:
            self._audio.close()  # closes the second opening of the source
        with contextlib.suppress(Exception):
            self.container.close()


def check_video_output(path: str | os.PathLike[str]) -> str:
    """The muxer for `path`'s suffix, or an ImageFileError naming the ones there are."""
    suffix = full_suffix(Path(path))
    if suffix not in VIDEO_WRITE_FORMATS:
        raise ImageFileError(
            path,
            f"cannot write video as {suffix or 'a file without extension'}: use "
            f"{', '.join(VIDEO_WRITE_FORMATS)} (H.264)",
        )
    return VIDEO_WRITE_FORMATS[suffix]


@contextlib.contextmanager
def write_video(path: str | os.PathLike[str], like: VideoReader) -> Iterator[VideoWriter]:
    """A VideoWriter on a temporary file beside `path`, finished and renamed onto `path` only if the
    block succeeds; any error or interrupt removes it and propagates unchanged."""
    path = Path(path)
    muxer = check_video_output(path)
    check_output_folder(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{full_suffix(path)}", dir=path.parent)
    os.close(fd)
    writer = None
    try:
        try:
            writer = VideoWriter(tmp, muxer, like, path)
        except ImageFileError:
            raise
        except Exception as exc:
            raise ImageFileError(path, f"cannot write the video: {describe(exc)}") from None
        yield writer
        if not writer.finished:
            writer.finish()
        writer.close()
        if writer.frames == 0:
            raise ImageFileError(path, "no frames to write")
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt too: never leave a half-written file
        if writer is not None:
            writer.close()
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
