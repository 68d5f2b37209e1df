"""How stylefuse writes PNG: the codec and settings, chosen by measurement (issue 20).

    nice -n 10 .venv/bin/python benchmarks/png_write.py [--side 3000]

Writes a photo (scikit-image's astronaut, upscaled to side x side: smooth like a stylized result)
and the speed benchmark's noisy picture, 8-bit and 16-bit RGB, with each candidate; prints the best
of 3 times and the file sizes. Candidates that are not installed are left out (opencv-python-headless
is not a dependency: `pip install opencv-python-headless` to compare it).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import rgb  # noqa: E402


def best_of(fn, n: int = 3) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def candidates(array: np.ndarray) -> dict:
    import imagecodecs
    from PIL import Image

    from stylefuse.io import _png

    def pillow(level: int) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, format="PNG", compress_level=level)
        return buf.getvalue()

    calls = {
        "stylefuse (imagecodecs l1, RLE, Paeth)": lambda: _png.encode(array),
        "imagecodecs l1, Sub": lambda: imagecodecs.png_encode(array, level=1, filter=16),
        "imagecodecs l1, adaptive filters": lambda: imagecodecs.png_encode(array, level=1),
        "imagecodecs l6, adaptive filters": lambda: imagecodecs.png_encode(array, level=6),
    }
    if array.dtype == np.uint8:  # Pillow cannot write 16-bit RGB
        calls["Pillow l1"] = lambda: pillow(1)
        calls["Pillow l6 (its default)"] = lambda: pillow(6)
    try:
        import cv2

        calls["OpenCV default (l1, RLE, Sub)"] = lambda: cv2.imencode(".png", array[..., ::-1])[1].tobytes()
    except ImportError:
        pass
    return calls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=3000, help="image side in pixels (default 3000: 9 MP)")
    args = ap.parse_args()
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((args.side, args.side), Image.BICUBIC))
    for content, image in (("photo", photo), ("noisy", rgb(args.side))):
        for depth, array in (("8-bit", image), ("16-bit", image.astype(np.uint16) * 257)):
            for name, fn in candidates(array).items():
                seconds, out = best_of(fn)
                print(
                    f"| {content} | {depth} RGB | {name} | {seconds:.3f} s | {len(out) / 1e6:.1f} MB |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
