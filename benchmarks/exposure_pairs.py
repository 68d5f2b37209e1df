"""Multi-exposure pairs with a ground truth, from several families of tone curves (issue 17).

A pair is two 8-bit copies of one photo, one under- and one over-exposed, made by a tone curve, then
sensor noise and JPEG compression; the truth is the photo. Families (x = the photo in [0, 1]):

    linear-ev        linear EV shifts in linear light: L = x^g (g 2.0-2.4), under = (L 2^-ev)^(1/g),
                     over = clip(L 2^ev)^(1/g), ev 1-3 stops each; the curve of the training generator
                     (core/stylefuse/data/synthetic.py `exposure_pair`)
    gamma-gain       clip(k x^gamma): under gamma 1.5-2.4, k 0.45-0.8; over gamma 0.45-0.7, k 1.3-2.0
                     (the issue's ranges)
    gamma-gain-wide  the same with wider ranges: under gamma 1.2-3.2, k 0.3-0.9; over gamma 0.3-0.8,
                     k 1.15-2.8
    camera-crf       an S-shaped camera response (log-logistic, as film and camera curves are: a toe
                     and a soft shoulder, no hard clip) of the exposure L 2^-+ev, L = x^2.2:
                     f(E) = 1 / (1 + (c / E)^n), n 0.8-1.6 (contrast), c 0.12-0.25 (mid-grey), ev 1-3

Every family draws its parameters from the mild half of its ranges ("moderate" pairs) or the harsh
half ("strong" pairs: more stops, steeper gammas, larger gains). Then, on each copy: Poisson-Gaussian
noise y + sqrt(a y + b) N(0, 1) (a 5e-5..5e-4 shot, b 1e-6..1e-5 read; added to the recorded value, not
the raw one, because in-camera processing has already applied the curve to what a user gets), 8-bit
rounding and a JPEG round trip at quality 80-95 (Pillow, 4:2:0 for colour).

Which families a model saw in training is read from its card (`seen_by`): the training config's
`exposure_families` (the names of stylefuse.data.tone_curves: "linear" is linear-ev here, "gamma-gain"
the same; its "s-curve", a tanh on gamma-encoded values, is not one of these families), else, for a
model trained with synthetic pairs, linear-ev (what core/stylefuse/data/synthetic.py made first).
Draws are deterministic: one numpy generator per (family, photo name, draw index, strength).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

SEED = 1717  # the base seed of every pair; change it to draw a fresh set of pairs
Curve = Callable[[np.ndarray, "Draw"], tuple[np.ndarray, np.ndarray, str]]


@dataclass
class Draw:
    """Draws parameters from the mild or the harsh half of a (mild, harsh) range."""

    rng: np.random.Generator
    strong: bool

    def __call__(self, mild: float, harsh: float) -> float:
        mid = (mild + harsh) / 2.0
        lo, hi = (mid, harsh) if self.strong else (mild, mid)
        return float(self.rng.uniform(min(lo, hi), max(lo, hi)))

    def plain(self, lo: float, hi: float) -> float:
        """A parameter that does not make the pair harder (drawn from the whole range)."""
        return float(self.rng.uniform(lo, hi))


def linear_ev(x: np.ndarray, d: Draw) -> tuple[np.ndarray, np.ndarray, str]:
    g, ev_u, ev_o = d.plain(2.0, 2.4), d(1.0, 3.0), d(1.0, 3.0)
    lin = x**g
    under = (lin * 2.0**-ev_u) ** (1 / g)
    over = np.clip(lin * 2.0**ev_o, 0.0, 1.0) ** (1 / g)
    return under, over, f"g {g:.2f}, -{ev_u:.1f}/+{ev_o:.1f} EV"


def _gamma_gain(ranges: tuple[tuple[float, float], ...]) -> Curve:
    (gu, ku, go, ko) = ranges

    def curve(x: np.ndarray, d: Draw) -> tuple[np.ndarray, np.ndarray, str]:
        g_u, k_u, g_o, k_o = d(*gu), d(*ku), d(*go), d(*ko)
        under = np.clip(k_u * x**g_u, 0.0, 1.0)
        over = np.clip(k_o * x**g_o, 0.0, 1.0)
        return under, over, f"under {k_u:.2f} x^{g_u:.2f}, over {k_o:.2f} x^{g_o:.2f}"

    return curve


def s_curve(x: np.ndarray, d: Draw) -> tuple[np.ndarray, np.ndarray, str]:
    n, c, ev_u, ev_o = d.plain(0.8, 1.6), d.plain(0.12, 0.25), d(1.0, 3.0), d(1.0, 3.0)
    lin = x**2.2

    def response(e: np.ndarray) -> np.ndarray:
        # (c / E)^n overflows at E = 0; there the response is 0 (the toe)
        with np.errstate(divide="ignore", over="ignore"):
            return 1.0 / (1.0 + (c / np.maximum(e, 1e-12)) ** n)

    return (
        response(lin * 2.0**-ev_u),
        response(lin * 2.0**ev_o),
        f"n {n:.2f}, c {c:.2f}, -{ev_u:.1f}/+{ev_o:.1f} EV",
    )


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    curve: Curve


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("linear-ev", "linear EV shift (linear light)", linear_ev),
        Family(
            "gamma-gain",
            "gamma x gain, clipped (issue's ranges)",
            _gamma_gain(((1.5, 2.4), (0.8, 0.45), (0.7, 0.45), (1.3, 2.0))),
        ),
        Family(
            "gamma-gain-wide",
            "gamma x gain, clipped, wider ranges",
            _gamma_gain(((1.2, 3.2), (0.9, 0.3), (0.8, 0.3), (1.15, 2.8))),
        ),
        Family("camera-crf", "S-shaped camera response (log-logistic)", s_curve),
    )
}


TRAINING_NAMES = {"linear": "linear-ev", "gamma-gain": "gamma-gain"}  # tone_curves name -> family here


def seen_by(card: dict) -> tuple[set[str], list[str]]:
    """(families here the model's training made, training families that are none of these)."""
    config = card.get("training", {}).get("config", {})
    declared = config.get("exposure_families")
    if declared is None:
        return ({"linear-ev"} if config.get("synthetic") or config.get("synthetic_skimage") else set()), []
    names = declared.split(",") if isinstance(declared, str) else list(declared)
    names = [n.strip() for n in names if n.strip()]
    return {TRAINING_NAMES[n] for n in names if n in TRAINING_NAMES}, [
        n for n in names if n not in TRAINING_NAMES
    ]


def sensor(y: np.ndarray, rng: np.random.Generator, strong: bool) -> np.ndarray:
    """Poisson-Gaussian noise, 8-bit rounding and a JPEG round trip of one copy in [0, 1]."""
    d = Draw(rng, strong)
    shot, read = d(5e-5, 5e-4), d(1e-6, 1e-5)
    noisy = y + np.sqrt(shot * np.clip(y, 0.0, 1.0) + read) * rng.standard_normal(y.shape)
    u8 = np.round(np.clip(noisy, 0.0, 1.0) * 255.0).astype(np.uint8)
    quality = int(rng.integers(80, 96))
    buf = io.BytesIO()
    Image.fromarray(u8).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())))


@dataclass(frozen=True)
class ExposurePair:
    family: str
    strong: bool
    under: np.ndarray  # uint8, the photo's shape
    over: np.ndarray
    params: str


def exposure_pair(
    photo: np.ndarray, photo_name: str, family: str, strong: bool, draw: int = 0
) -> ExposurePair:
    """One pair of `family` from a uint8 photo (H, W) or (H, W, 3); deterministic in its arguments."""
    seq = np.random.SeedSequence(
        [SEED, list(FAMILIES).index(family), zlib.crc32(photo_name.encode()), draw, int(strong)]
    )
    rng = np.random.default_rng(seq)
    x = np.asarray(photo, dtype=np.float64) / 255.0
    under, over, params = FAMILIES[family].curve(x, Draw(rng, strong))
    return ExposurePair(family, strong, sensor(under, rng, strong), sensor(over, rng, strong), params)
