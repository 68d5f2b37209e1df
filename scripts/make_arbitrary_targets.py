"""Synthesis targets for an arbitrary-style model: many (training photo, training painting) pairs.

    python scripts/make_arbitrary_targets.py OUT_DIR --styles STYLE_DIR_OR_FILES... \
        --content DIR... [--split first-half] [--per-photo 6] [--long-side 256]

Each content photo (the `--split` of each folder that training uses) is painted with `--per-photo`
of the styles, chosen round robin so every style gets about the same number of photos, and written
to OUT_DIR/<style stem>/<photo stem>.png: the layout `stylefuse train --targets OUT_DIR` reads as
per-style targets when several `--style` images are given (each target trains with its own
painting as the reference). The painting step is `make_synthesis_targets.target_for` (the pipeline's
synthesis at the photo's working size, no palette step). Resumable, deterministic, one torch thread.
Never give it a held-out painting (the benchmark's starry_night) or gcompris' paintings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_synthesis_targets import content_files, target_for  # noqa: E402

from stylefuse.data import list_images, load_image_tensor  # noqa: E402
from stylefuse.io import write_image  # noqa: E402

REFUSED = ("starry", "gcompris")


def assignments(n_photos: int, n_styles: int, per_photo: int) -> list[list[int]]:
    """Style indices per photo: photo i gets styles (i * k + j) mod S, j < k (k = min(per_photo, S))."""
    k = min(per_photo, n_styles)
    return [[(i * k + j) % n_styles for j in range(k)] for i in range(n_photos)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--styles", nargs="+", required=True, help="training paintings (files or folders)")
    parser.add_argument("--content", nargs="+", required=True)
    parser.add_argument("--split", default="first-half")
    parser.add_argument("--per-photo", type=int, default=6)
    parser.add_argument("--long-side", type=int, default=256)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    styles = list_images(args.styles)
    bad = [s for s in styles if any(word in str(s).lower() for word in REFUSED)]
    if bad:
        parser.error(f"held-out or reserved paintings among --styles: {', '.join(map(str, bad))}")
    paintings = [load_image_tensor(s, 3).permute(1, 2, 0).contiguous().numpy() for s in styles]
    files = content_files(args.content, args.split)
    out = Path(args.out_dir)
    t0, jobs = time.time(), assignments(len(files), len(styles), args.per_photo)
    for i, (photo, chosen) in enumerate(zip(files, jobs, strict=True), 1):
        for si in chosen:
            dest = out / styles[si].stem / f"{photo.stem}.png"
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            target = target_for(photo, paintings[si], args.long_side)
            tmp = dest.with_name(f".{dest.stem}.tmp.png")
            write_image(tmp, target)
            tmp.replace(dest)
        print(f"[{i}/{len(files)}] {photo.name} (total {time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
