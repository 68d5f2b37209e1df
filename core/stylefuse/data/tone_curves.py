"""Exposure pairs from several families of tone curves, with sensor noise and 8-bit/JPEG quantisation.

A model trained on one way of making exposure pairs learns that curve: trained on linear EV shifts it
scored 17.3 dB on gamma x gain pairs where plain averaging scores 20.0 (issue 17). The families:

- "linear": the photo in linear light (display gamma 2.0-2.4) scaled by 2^-EV and 2^+EV (1-3 stops
  each, clipped at white), back to gamma: what the project trained on first;
- "gamma-gain": under = clip(g x^gamma), gamma 1.5-2.4, g 0.45-0.8; over = clip(g x^gamma),
  gamma 0.45-0.7, g 1.3-2.0 (the issue's ranges, x the photo in [0, 1]);
- "s-curve": linear-light EV shifts as in "linear", then an S-shaped camera response
  0.5 + 0.5 tanh(k (v - 0.5)) / tanh(k / 2) on the gamma-encoded value v (k 2-5): the shape of real
  cameras' response curves, a family the shipped model never saw.

`degrade` adds what real captures carry: Gaussian read noise (sd 0-3 grey levels) and, half of the
time, JPEG quantisation (quality 60-95); both copies are rounded to 8 bits.
Every draw comes from an explicit torch.Generator (batches are functions of (seed, step, rank)).
"""

import io
import math

import numpy as np
import torch

EXPOSURE_FAMILIES = ("linear", "gamma-gain", "s-curve")
EXPOSURE_EV = (1.0, 3.0)  # stops under and over (drawn independently)
GAMMA = (2.0, 2.4)  # display gamma to linear light and back
UNDER_GAMMA_GAIN = ((1.5, 2.4), (0.45, 0.8))
OVER_GAMMA_GAIN = ((0.45, 0.7), (1.3, 2.0))
S_CURVE_K = (2.0, 5.0)
NOISE_SD = (0.0, 3.0 / 255.0)
JPEG_QUALITY = (60, 95)


def _uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand((), generator=gen).item()


def linear_ev(photo: torch.Tensor, ev_under: float, ev_over: float, gamma: float) -> tuple[torch.Tensor, ...]:
    """Copies `ev_under` stops under- and `ev_over` stops over-exposed (linear light, clipped at white)."""
    linear = photo.clamp(0.0, 1.0) ** gamma
    under = (linear * 2.0**-ev_under).clamp(0.0, 1.0) ** (1.0 / gamma)
    over = (linear * 2.0**ev_over).clamp(0.0, 1.0) ** (1.0 / gamma)
    return under, over


def gamma_gain(
    photo: torch.Tensor, under: tuple[float, float], over: tuple[float, float]
) -> tuple[torch.Tensor, ...]:
    """clip(g x^gamma) for (gamma, g) = `under` and `over`."""
    x = photo.clamp(0.0, 1.0)
    return tuple((g * x**gm).clamp(0.0, 1.0) for gm, g in (under, over))


def s_response(v: torch.Tensor, k: float) -> torch.Tensor:
    """An S-shaped camera response on [0, 1] (0 -> 0, 0.5 -> 0.5, 1 -> 1; steeper in the middle for larger k)."""
    return 0.5 + 0.5 * torch.tanh(k * (v - 0.5)) / math.tanh(k / 2.0)


def s_curve(
    photo: torch.Tensor, ev_under: float, ev_over: float, gamma: float, k: float
) -> tuple[torch.Tensor, ...]:
    return tuple(s_response(c, k) for c in linear_ev(photo, ev_under, ev_over, gamma))


def exposure_family_pair(photo: torch.Tensor, family: str, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    """(under, over) copies of a C x H x W photo in [0, 1] by one family, its parameters drawn from `gen`."""
    if family == "linear":
        return linear_ev(
            photo, _uniform(gen, *EXPOSURE_EV), _uniform(gen, *EXPOSURE_EV), _uniform(gen, *GAMMA)
        )
    if family == "gamma-gain":
        under = (_uniform(gen, *UNDER_GAMMA_GAIN[0]), _uniform(gen, *UNDER_GAMMA_GAIN[1]))
        over = (_uniform(gen, *OVER_GAMMA_GAIN[0]), _uniform(gen, *OVER_GAMMA_GAIN[1]))
        return gamma_gain(photo, under, over)
    if family == "s-curve":
        evs = (_uniform(gen, *EXPOSURE_EV), _uniform(gen, *EXPOSURE_EV))
        return s_curve(photo, *evs, _uniform(gen, *GAMMA), _uniform(gen, *S_CURVE_K))
    raise ValueError(f"unknown exposure family {family!r}: use {', '.join(EXPOSURE_FAMILIES)}")


def jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """C x H x W in [0, 1] through an 8-bit JPEG encode/decode (grey or RGB)."""
    from PIL import Image

    u8 = (x.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    arr = u8[0].numpy() if u8.shape[0] == 1 else u8.permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality))
    out = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float32) / 255.0
    t = torch.from_numpy(out.copy())
    return t[None] if t.dim() == 2 else t.permute(2, 0, 1).contiguous()


def degrade(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Read noise (sd drawn from NOISE_SD), then JPEG half of the time, else plain 8-bit rounding."""
    sd = _uniform(gen, *NOISE_SD)
    x = (x + sd * torch.randn(x.shape, generator=gen)).clamp(0.0, 1.0)
    if torch.rand((), generator=gen).item() < 0.5:
        return jpeg(x, int(torch.randint(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1, (), generator=gen)))
    return torch.round(x * 255.0) / 255.0


def parse_families(text: str) -> tuple[str, ...]:
    """'linear,gamma-gain' -> ('linear', 'gamma-gain'); unknown names are a ValueError."""
    names = tuple(n.strip() for n in str(text).split(",") if n.strip())
    bad = [n for n in names if n not in EXPOSURE_FAMILIES]
    if bad or not names:
        raise ValueError(f"exposure families must be some of {', '.join(EXPOSURE_FAMILIES)}, not {text!r}")
    return names
