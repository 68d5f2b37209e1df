#!/usr/bin/env python
"""Screenshot of napari with the stylefuse plugin docked and a real result on the sample MRI.

    .venv/bin/python scripts/napari_screenshot.py [--out docs/images/napari_plugin.png] [--slices 24]

Opens the MNI152 T1 sample (nilearn wheel), docks Style transfer and Fuse layers, stylizes the
volume with the default style (in-process) through the widget, shows input and result side by side
and saves the whole window. Needs a display: without $DISPLAY it starts Xvfb itself (pyvirtualdisplay,
installed with pytest-xvfb; apt package xvfb).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "images" / "napari_plugin.png"))
    parser.add_argument(
        "--slices",
        type=int,
        default=24,
        help="axial slices around the middle to stylize (0: the whole 189-slice volume)",
    )
    parser.add_argument("--size", default="1400x860", help="window size WxH")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    display = None
    if not os.environ.get("DISPLAY"):
        from pyvirtualdisplay import Display

        display = Display(visible=False, size=(width + 100, height + 100), color_depth=24)
        display.start()
    try:
        return _shoot(args, width, height)
    finally:
        if display is not None:
            display.stop()


def _shoot(args, width: int, height: int) -> int:
    import napari
    import numpy as np
    from qtpy.QtWidgets import QApplication

    from stylefuse_napari import jobs

    viewer = napari.Viewer(title="stylefuse in napari")
    viewer.window._qt_window.resize(width, height)
    viewer.open_sample("stylefuse", "mni152")
    t1 = viewer.layers["MNI152 T1"]
    if args.slices:
        middle, half = t1.data.shape[0] // 2, args.slices // 2
        t1.data = np.ascontiguousarray(t1.data[middle - half : middle + half])
    viewer.window.add_plugin_dock_widget("stylefuse", "Fuse layers")
    dock, style = viewer.window.add_plugin_dock_widget("stylefuse", "Style transfer", tabify=True)
    dock.raise_()
    style.image.value = t1
    start = time.time()
    job = style.start()
    if job is None:
        print("could not start the style transfer", file=sys.stderr)
        return 1
    while jobs.active():
        QApplication.processEvents()
        time.sleep(0.05)
    if job.outcome != "done":
        print(f"style transfer {job.outcome}", file=sys.stderr)
        return 1
    print(f"stylized {t1.data.shape} in {time.time() - start:.1f} s")
    viewer.grid.enabled = True
    viewer.dims.set_point(0, t1.data.shape[0] // 2)
    viewer.layers.selection.active = viewer.layers[-1]
    viewer.reset_view()
    for _ in range(20):
        QApplication.processEvents()
        time.sleep(0.05)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(str(out), canvas_only=False)
    print(f"wrote {out}")
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
