"""Validation pairs for choosing the synthesis engine's settings (never the benchmark's test pairs).

    python benchmarks/synthesis_validation.py                       # the defaults
    python benchmarks/synthesis_validation.py coherence_limit=0     # one option changed
    python benchmarks/synthesis_validation.py --out /tmp/val        # also writes every output

Photos: scikit-image photos the style benchmark does not use (camera, clock, moon, coins, brick) and
RoadScene frames from the first half of the folder (the style benchmark takes its frames from the
second half). Paintings: the four training paintings (benchmarks/paintings.py); the held-out painting
is never used here. Prints, per case and in the mean, the collage share (benchmarks/collage.py) with
its worst case, content structure and the two texture distances of the style benchmark (identity = 1).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import paintings as pt
from bench_images import resize_long, skimage_photo
from PIL import Image
from style_quality import Scorer

import stylefuse.pipeline.synthesis_style as synthesis_style
from stylefuse.data import paired_files, take_part
from stylefuse.pipeline import stylize
from stylefuse.synthesis import SynthesisOptions

ROOT = Path(__file__).resolve().parents[1]
ROADSCENE = ROOT.parent / "shared" / "data" / "fusion" / "RoadScene"
SKIMAGE_VALIDATION = ("camera", "clock", "moon", "coins", "brick")
ROADSCENE_FRAMES = 3
SIDE = 512


def validation_photos() -> list[tuple[str, np.ndarray]]:
    photos = []
    for name in SKIMAGE_VALIDATION:
        photo = skimage_photo(name)
        if photo.ndim == 2:  # grey photos painted in colour, as a user's colour photo would be
            photo = np.repeat(photo[..., None], 3, axis=2)
        photos.append((name, resize_long(photo, SIDE)))
    if ROADSCENE.is_dir():
        first = take_part(paired_files(ROADSCENE / "ir", ROADSCENE / "vi"), "first-half")
        step = max(1, len(first) // ROADSCENE_FRAMES)
        for _, visible in first[::step][:ROADSCENE_FRAMES]:
            photo = np.asarray(Image.open(visible).convert("RGB"))
            photos.append((Path(visible).stem, resize_long(photo, SIDE)))
    return photos


def object_styles() -> list[tuple[str, np.ndarray]]:
    """Style images full of distinct objects (a logo, a street scene): where pasting shows at once.
    The collage probe; none of them is a benchmark painting or photo."""
    logo = skimage_photo("logo").astype(np.float32)
    alpha = logo[..., 3:] / 255.0
    styles = [("logo", (logo[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8))]
    if ROADSCENE.is_dir():
        first = take_part(paired_files(ROADSCENE / "ir", ROADSCENE / "vi"), "first-half")
        _, visible = first[len(first) // 2 + 1]
        styles.append((Path(visible).stem, np.asarray(Image.open(visible).convert("RGB"))))
    return [(name, resize_long(img, SIDE)) for name, img in styles]


def parse_overrides(items: list[str]) -> dict:
    fields = {f.name: f for f in dataclasses.fields(SynthesisOptions)}
    overrides = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown option {key!r}; options: {', '.join(fields)}")
        overrides[key] = type(getattr(SynthesisOptions(), key))(value)
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overrides", nargs="*", help="SynthesisOptions fields, name=value")
    parser.add_argument("--out", type=Path, help="folder for the outputs (PNG)")
    parser.add_argument("--photos", nargs="*", help="only these validation photos (names)")
    parser.add_argument(
        "--styles", choices=("training", "objects"), default="training", help="paintings or object images"
    )
    args = parser.parse_args()
    options = SynthesisOptions(**parse_overrides(args.overrides))
    # The pipeline builds its options with the defaults; hand it these instead.
    synthesis_style.SynthesisOptions = lambda: options
    scorer = Scorer()
    rows = []
    for photo_name, photo in validation_photos():
        if args.photos and photo_name not in args.photos:
            continue
        if args.styles == "objects":
            styles = object_styles()
        else:
            styles = [(name, resize_long(pt.load_painting(name), SIDE)) for name in pt.TRAINING_PAINTINGS]
        for painting_name, painting in styles:
            start = time.perf_counter()
            out = stylize(photo, reference=painting, method="synthesis")
            seconds = time.perf_counter() - start
            scores = scorer.score(out, photo_name, photo, painting_name, painting, with_collage=True)
            rows.append((photo_name, painting_name, scores))
            print(
                f"{photo_name:>12} x {painting_name:<18} collage {scores['collage']:.3f} content "
                f"{scores['content']:.3f} tex1 {scores['tex1']:.3f} tex2 {scores['tex2']:.3f} {seconds:.1f}s",
                flush=True,
            )
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                Image.fromarray(out).save(args.out / f"{photo_name}_{painting_name}.png")
    collage = [r[2]["collage"] for r in rows]
    worst = rows[int(np.argmax(collage))]
    print(
        f"mean over {len(rows)}: collage {np.mean(collage):.4f} (max {max(collage):.3f}, "
        f"{worst[0]} x {worst[1]}), "
        + ", ".join(f"{k} {np.mean([r[2][k] for r in rows]):.3f}" for k in ("content", "tex1", "tex2"))
    )


if __name__ == "__main__":
    main()
