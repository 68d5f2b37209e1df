"""Make multi-focus training pairs from sharp photos: each photo becomes two images, each sharp in
one region and Gaussian-blurred in the complementary one (a smooth random boundary).

    python scripts/make_focus_pairs.py OUT_DIR PHOTO_OR_FOLDER... [--split first-half]

Writes OUT_DIR/a/NAME.png and OUT_DIR/b/NAME.png (same file name = same pair), ready for
`stylefuse train --task fuse --pairs OUT_DIR/a:OUT_DIR/b`. Deterministic (seeded by the file name).
"""

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from stylefuse.data.sources import list_images, take_part


def focus_pair(photo: Image.Image, seed: int) -> tuple[Image.Image, Image.Image]:
    rng = np.random.default_rng(seed)
    w, h = photo.size
    radius = float(rng.uniform(2.0, 5.0))
    blurred = photo.filter(ImageFilter.GaussianBlur(radius))
    # A smooth random region: a low-resolution noise field, upsampled and thresholded softly.
    field = Image.fromarray((rng.random((4, 4)) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    soft = np.asarray(field, np.float32) / 255.0
    mask = np.clip((soft - np.median(soft)) * 8.0 + 0.5, 0.0, 1.0)[..., None]
    sharp, blur = np.asarray(photo, np.float32), np.asarray(blurred, np.float32)
    if sharp.ndim == 2:
        sharp, blur = sharp[..., None], blur[..., None]
    a = mask * sharp + (1 - mask) * blur
    b = (1 - mask) * sharp + mask * blur
    to_image = lambda x: Image.fromarray(np.squeeze(np.clip(x + 0.5, 0, 255).astype(np.uint8)))  # noqa: E731
    return to_image(a), to_image(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--split", default="all", help="all | first-half | second-half of each folder")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    (out / "a").mkdir(parents=True, exist_ok=True)
    (out / "b").mkdir(parents=True, exist_ok=True)
    count = 0
    for src in args.photos:
        files = take_part(list_images([src]), args.split) if Path(src).is_dir() else [Path(src)]
        for f in files:
            name = f"{Path(src).name}_{f.stem}.png"
            seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
            a, b = focus_pair(Image.open(f).convert("L"), seed)
            a.save(out / "a" / name)
            b.save(out / "b" / name)
            count += 1
    print(f"{count} multi-focus pairs written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
