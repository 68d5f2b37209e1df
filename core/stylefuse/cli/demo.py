"""`stylefuse demo`: stylize and fuse the bundled examples with the default models; writes PNGs."""

from __future__ import annotations

import argparse

from ..errors import UserError

NAME = "demo"
HELP = "stylize and fuse the bundled examples; writes PNGs"
DESCRIPTION = (
    "Stylize the bundled photo with the default style model and by synthesis with the bundled "
    "painting (Udnie), and fuse the bundled MRI pair (T1 + proton density) with the default "
    "fusion model."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        default="demo_output",
        metavar="DIR",
        help="folder for the results (created if missing; default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: `stylefuse --help` imports nothing it does not need

    from .support import examples_dir, progress

    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output {out_dir} exists and is not a folder")
    ex = examples_dir()
    photo_path, a_path, b_path = ex / "chelsea.png", ex / "brain_t1.png", ex / "brain_pd.png"
    painting_path = ex / "udnie.jpg"
    for p in (photo_path, a_path, b_path, painting_path):
        if not p.is_file():
            raise UserError(f"bundled example {p} is missing; reinstall stylefuse")
    out_dir.mkdir(parents=True, exist_ok=True)

    from ..io import read_image, write_image
    from ..runner import LocalRunner

    runner = LocalRunner()
    style_name = runner.resolve(None, "style", need_default_style=True)
    fuse_name = runner.resolve(None, "fuse")
    photo = read_image(photo_path)
    with progress(f"stylize ({style_name})", args.quiet) as cb:
        stylized = runner.stylize(photo.array, model=style_name, progress=cb)
    painting = read_image(painting_path)
    with progress(f"stylize (synthesis after {painting_path.name})", args.quiet) as cb:
        painted = runner.stylize(photo.array, reference=painting.array, method="synthesis", progress=cb)
    a, b = read_image(a_path), read_image(b_path)
    with progress(f"fuse ({fuse_name})", args.quiet) as cb:
        fused = runner.fuse(a.array, b.array, model=fuse_name, progress=cb)

    written = {
        f"{photo_path.stem}_{style_name}.png": (stylized, photo),
        f"{photo_path.stem}_{painting_path.stem}_synthesis.png": (painted, photo),
        "brain_t1_pd_fused.png": (fused, a),
    }
    for name, (array, like) in written.items():
        write_image(out_dir / name, array, like=like)
    overview = out_dir / "overview.png"
    write_image(
        overview, _overview([photo.array, painting.array, stylized, painted], [a.array, b.array, fused])
    )

    print(
        f"stylized {photo_path.name} with the {style_name!r} style model and by synthesis with the "
        f"patches of {painting_path.name}, fused {a_path.name} + {b_path.name} "
        f"with {fuse_name!r}:"
    )
    for name in [*written, overview.name]:
        print(f"  {out_dir / name}")
    print(f"inputs: {ex} (licences: {ex / 'LICENSES.md'})")
    return 0


def _overview(*rows):
    """One RGB uint8 picture: each row's images side by side at a common height, rows stacked."""
    import numpy as np
    from PIL import Image

    height, gap = 256, 8
    strips = []
    for images in rows:
        tiles = []
        for arr in images:
            im = Image.fromarray(arr).convert("RGB")
            w = max(1, round(im.width * height / im.height))
            tiles.append(np.asarray(im.resize((w, height), Image.Resampling.LANCZOS)))
            tiles.append(np.full((height, gap, 3), 255, np.uint8))
        strips.append(np.concatenate(tiles[:-1], axis=1))
    width = max(s.shape[1] for s in strips)
    canvas = np.full((len(strips) * (height + gap) - gap, width, 3), 255, np.uint8)
    for i, s in enumerate(strips):
        canvas[i * (height + gap) : i * (height + gap) + height, : s.shape[1]] = s
    return canvas
