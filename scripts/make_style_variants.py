"""Make many training styles from a few paintings, for an arbitrary-style model.

    python scripts/make_style_variants.py OUT_DIR PAINTING... [--hues 3] [--crops 2]

For each painting writes the painting itself, `--hues` hue-rotated versions (the same strokes and
shapes with another palette) and `--crops` crops at half the size (the local style of one region).
scikit-image's texture photos (brick, grass, gravel) are added as further styles with --textures.
Deterministic; the file names say where each variant came from.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

MAX_SIDE = 768


def hue_rotate(rgb: Image.Image, turn: float) -> Image.Image:
    h, s, v = rgb.convert("HSV").split()
    shifted = ((np.asarray(h, np.int32) + int(round(turn * 256))) % 256).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(shifted), s, v)).convert("RGB")


def shrink(img: Image.Image) -> Image.Image:
    scale = MAX_SIDE / max(img.size)
    if scale >= 1:
        return img
    return img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("paintings", nargs="+")
    parser.add_argument("--hues", type=int, default=3)
    parser.add_argument("--crops", type=int, default=2)
    parser.add_argument("--textures", action="store_true", help="add scikit-image's brick, grass, gravel")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    written = 0
    for path in map(Path, args.paintings):
        img = shrink(Image.open(path).convert("RGB"))
        variants = {"": img}
        for k in range(1, args.hues + 1):
            variants[f"_hue{k}"] = hue_rotate(img, k / (args.hues + 1))
        for k in range(args.crops):
            w, h = img.width // 2, img.height // 2
            x, y = int(rng.integers(0, img.width - w + 1)), int(rng.integers(0, img.height - h + 1))
            variants[f"_crop{k}"] = img.crop((x, y, x + w, y + h))
        for suffix, variant in variants.items():
            variant.save(out / f"{path.stem}{suffix}.png")
            written += 1
    if args.textures:
        from skimage import data

        for name in ("brick", "grass", "gravel"):
            Image.fromarray(getattr(data, name)()).convert("RGB").save(out / f"texture_{name}.png")
            written += 1
    print(f"{written} styles written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
