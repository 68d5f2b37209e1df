"""Paint the training photos with the synthesis engine: the paired targets of `stylefuse train --targets`.

    python scripts/make_synthesis_targets.py OUT_DIR --style PAINTING --content DIR... \
        [--split first-half] [--long-side 320] [--seed 0]

For every content photo (the same `--split` of each folder that training uses, so held-out photos
stay unseen) writes OUT_DIR/<photo stem>.png: the photo shrunk to `--long-side` and painted by
`stylefuse.pipeline.stylize(method="synthesis")` at that size (the painting is seen at the photo's
working scale, as in the pipeline). Grey photos are painted as RGB, since training feeds the
generator RGB. Resumable (existing outputs are skipped, each file appears atomically), deterministic
(fixed seed, one torch thread), with progress on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stylefuse.data import list_images, load_image_tensor, take_part
from stylefuse.io import write_image
from stylefuse.pipeline import stylize


def content_files(folders: list[str], split: str) -> list[Path]:
    """The photos `stylefuse train --content FOLDERS --split SPLIT` trains on, in that order."""
    return [
        f
        for p in folders
        for f in (take_part(list_images([p]), split) if Path(p).is_dir() else list_images([p]))
    ]


def shrink(chw: torch.Tensor, long_side: int) -> torch.Tensor:
    """C x H x W shrunk (antialiased) so its long side is `long_side`; never enlarged."""
    h, w = chw.shape[-2:]
    scale = long_side / max(h, w)
    if scale >= 1:
        return chw
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(chw[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]


def target_for(photo: Path, painting: np.ndarray, long_side: int) -> np.ndarray:
    """H x W x 3 uint8: the photo at `long_side`, painted."""
    content = shrink(load_image_tensor(photo, 3), long_side).permute(1, 2, 0).contiguous().numpy()
    painted = stylize(
        content, reference=painting, method="synthesis", synthesis_size=max(content.shape[:2]), palette=False
    )
    return np.round(np.clip(painted, 0, 1) * 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="folder for the targets (<photo stem>.png)")
    parser.add_argument("--style", required=True, help="the painting")
    parser.add_argument("--content", nargs="+", required=True, help="content photos or folders")
    parser.add_argument("--split", default="first-half", help="all | first-half | second-half of each folder")
    parser.add_argument("--long-side", type=int, default=320, help="long side (px) the photos are painted at")
    parser.add_argument("--limit", type=int, default=0, help="stop after this many photos (0: all)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: the same bits on any machine)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    painting = load_image_tensor(Path(args.style), 3).permute(1, 2, 0).contiguous().numpy()
    files = content_files(args.content, args.split)
    if args.limit:
        files = files[: args.limit]
    names = [f.stem for f in files]
    if len(set(names)) != len(names):  # RoadScene and TNO name differently, but a clash would overwrite
        print("warning: photos with the same stem in different folders; the later one wins", file=sys.stderr)
    t0, done = time.time(), 0
    for i, photo in enumerate(files, 1):
        dest = out / f"{photo.stem}.png"
        if dest.exists():
            print(f"[{i}/{len(files)}] {dest.name} exists, skipped", file=sys.stderr)
            continue
        start = time.time()
        target = target_for(photo, painting, args.long_side)
        tmp = dest.with_name(f".{dest.stem}.tmp.png")
        write_image(tmp, target)
        tmp.replace(dest)  # a killed run leaves no half-written target to be skipped later
        done += 1
        print(
            f"[{i}/{len(files)}] {dest.name} {target.shape[1]}x{target.shape[0]} {time.time() - start:.1f}s "
            f"(total {time.time() - t0:.0f}s)",
            file=sys.stderr,
            flush=True,
        )
    print(f"{done} target(s) written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
