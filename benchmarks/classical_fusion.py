"""Classical fusion methods the quality benchmark compares against, as plain functions.

Every grey-level method takes two float images in [0, 1] of shape (H, W) and returns the fused
(H, W) float64 image (not clipped; `fuse_ycbcr` clips):

    average, maximum          per-pixel mean / maximum
    laplacian_pyramid         Burt & Adelson (1983): detail levels by larger magnitude, base averaged
    dwt                       discrete wavelet transform (PyWavelets, db2, 3 levels): approximation
                              averaged, details by larger magnitude
    gff                       guided-filter fusion, Li, Kang & Hu, IEEE TIP 22(7) 2013, with the
                              paper's parameters (base 31x31 mean, saliency |Laplacian| * Gaussian
                              11x11 sd 5, i.e. r_g = 5, sigma_g = 5; guided filters r1=45 eps1=0.3 and
                              r2=7 eps2=1e-6): row "GFF"
    gff_wide                  the same with the saliency Gaussian sd 5 cut at radius 11 (23x23): the
                              variant that reproduces the published GFF numbers on the CDDFuse test
                              sets (../shared/recipes/fusion-metrics.md): row "GFF-23"

`fuse_ycbcr(method, a, b)` applies one of them the way stylefuse's pipeline handles colour: the
grey levels (Y of YCbCr) are fused; the chroma is the colour input's own when only one input has
colour (MRI + PET/SPECT, infrared + colour visible), both inputs' chroma mixed by saturation when
both have colour. `mertens(images)` is exposure fusion (Mertens, Kautz & Van Reeth 2007), which is
defined on colour images and blends RGB directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage

from stylefuse.pipeline.color import chroma, fuse_chroma, luma, ycbcr_to_rgb

GreyFusion = Callable[[np.ndarray, np.ndarray], np.ndarray]

_BURT_KERNEL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
_LAPLACIAN_3X3 = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _as_float(img: np.ndarray) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# pyramids
# --------------------------------------------------------------------------------------------------


def _blur(img: np.ndarray, kernel: np.ndarray = _BURT_KERNEL) -> np.ndarray:
    out = ndimage.convolve1d(img, kernel, axis=0, mode="reflect")
    return ndimage.convolve1d(out, kernel, axis=1, mode="reflect")


def _reduce(img: np.ndarray) -> np.ndarray:
    return _blur(img)[::2, ::2]


def _expand(img: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Upsample by zero insertion onto `shape` (H, W[, C]) and interpolate with 4x the Burt kernel."""
    up = np.zeros(shape, dtype=np.float64)
    up[::2, ::2] = img
    return _blur(up, 2.0 * _BURT_KERNEL)


def gaussian_pyramid(img: np.ndarray, levels: int) -> list[np.ndarray]:
    pyr = [_as_float(img)]
    for _ in range(levels - 1):
        pyr.append(_reduce(pyr[-1]))
    return pyr


def laplacian_pyramid_of(img: np.ndarray, levels: int) -> list[np.ndarray]:
    """Band-pass levels (finest first) and, last, the coarsest Gaussian level."""
    gauss = gaussian_pyramid(img, levels)
    bands = [g - _expand(g_next, g.shape) for g, g_next in zip(gauss[:-1], gauss[1:], strict=True)]
    return bands + [gauss[-1]]


def collapse(pyr: Sequence[np.ndarray]) -> np.ndarray:
    out = pyr[-1]
    for band in reversed(pyr[:-1]):
        out = band + _expand(out, band.shape)
    return out


def _levels_for(shape: tuple[int, ...], levels: int | None, coarsest: int = 8) -> int:
    """The requested number of levels, or as many as keep the coarsest level >= `coarsest` pixels."""
    most = max(1, int(np.floor(np.log2(max(min(shape[:2]), 1) / coarsest))) + 1)
    return most if levels is None else max(1, min(levels, most))


def _choose_max_abs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) >= np.abs(y), x, y)


# --------------------------------------------------------------------------------------------------
# grey-level fusion methods
# --------------------------------------------------------------------------------------------------


def average(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (_as_float(a) + _as_float(b)) / 2.0


def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(_as_float(a), _as_float(b))


def laplacian_pyramid(a: np.ndarray, b: np.ndarray, levels: int = 4) -> np.ndarray:
    """Laplacian-pyramid fusion: band-pass coefficients by larger magnitude, the base level averaged."""
    n = _levels_for(np.shape(a), levels)
    pa, pb = laplacian_pyramid_of(a, n), laplacian_pyramid_of(b, n)
    fused = [_choose_max_abs(x, y) for x, y in zip(pa[:-1], pb[:-1], strict=True)]
    return collapse(fused + [(pa[-1] + pb[-1]) / 2.0])


def dwt(a: np.ndarray, b: np.ndarray, wavelet: str = "db2", levels: int = 3) -> np.ndarray:
    """Wavelet fusion (PyWavelets): approximation averaged, detail coefficients by larger magnitude."""
    import pywt  # the `bench` extra

    a_, b_ = _as_float(a), _as_float(b)
    levels = min(levels, pywt.dwtn_max_level(a_.shape, wavelet))
    ca = pywt.wavedec2(a_, wavelet, mode="symmetric", level=levels)
    cb = pywt.wavedec2(b_, wavelet, mode="symmetric", level=levels)
    fused = [(ca[0] + cb[0]) / 2.0]
    for da, db in zip(ca[1:], cb[1:], strict=True):
        fused.append(tuple(_choose_max_abs(x, y) for x, y in zip(da, db, strict=True)))
    out = pywt.waverec2(fused, wavelet, mode="symmetric")
    return out[: a_.shape[0], : a_.shape[1]]


def box_mean(img: np.ndarray, radius: int) -> np.ndarray:
    return ndimage.uniform_filter(img, size=2 * radius + 1, mode="reflect")


def guided_filter(p: np.ndarray, guide: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun & Tang's guided filter (grey guide): filter `p` keeping the edges of `guide`."""
    mean_i, mean_p = box_mean(guide, radius), box_mean(p, radius)
    cov_ip = box_mean(guide * p, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)


def gff(
    a: np.ndarray,
    b: np.ndarray,
    base_size: int = 31,
    r1: int = 45,
    eps1: float = 0.3,
    r2: int = 7,
    eps2: float = 1e-6,
    saliency_radius: int = 5,
    saliency_sigma: float = 5.0,
) -> np.ndarray:
    """Guided-filter fusion (Li, Kang & Hu 2013) of two grey images in [0, 1].

    Two-scale decomposition (base = 31x31 mean, detail = rest); saliency = |3x3 Laplacian| smoothed
    by a Gaussian of sd `saliency_sigma` cut at `saliency_radius` (the paper: 11x11, sd 5); binary weight maps (1 where a source is the most salient, ties give
    both 1) refined by guided filtering with the source as guide (r1, eps1 for the base layers, r2, eps2
    for the details), clipped at 0 and normalised to sum 1; fused = weighted bases + weighted details.
    """
    sources = [_as_float(a), _as_float(b)]
    bases = [ndimage.uniform_filter(s, size=base_size, mode="reflect") for s in sources]
    details = [s - base for s, base in zip(sources, bases, strict=True)]
    saliency = [
        ndimage.gaussian_filter(
            np.abs(ndimage.convolve(s, _LAPLACIAN_3X3, mode="reflect")),
            sigma=saliency_sigma,
            radius=saliency_radius,  # scipy normalises the cut kernel to sum 1, like the paper's filter
        )
        for s in sources
    ]
    top = np.maximum(saliency[0], saliency[1])
    masks = [(sal == top).astype(np.float64) for sal in saliency]

    def weights(radius: int, eps: float) -> list[np.ndarray]:
        w = [
            np.clip(guided_filter(m, s, radius, eps), 0.0, None) + 1e-12
            for m, s in zip(masks, sources, strict=True)
        ]
        total = w[0] + w[1]
        return [x / total for x in w]

    wb, wd = weights(r1, eps1), weights(r2, eps2)
    return wb[0] * bases[0] + wb[1] * bases[1] + wd[0] * details[0] + wd[1] * details[1]


def gff_wide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """GFF with the saliency Gaussian sd 5 cut at radius 11 (23x23) instead of 5 (11x11).

    The wider window spreads each source's saliency further, so the binary maps keep whole organs
    rather than edge pixels; on black-background medical slices this is much stronger on SSIM, and it
    is what reproduces the GFF numbers published with CDDFuse.
    """
    return gff(a, b, saliency_radius=11, saliency_sigma=5.0)


GREY_METHODS: dict[str, GreyFusion] = {
    "Average": average,
    "Max": maximum,
    "LP": laplacian_pyramid,
    "DWT": dwt,
    "GFF": gff,
    "GFF-23": gff_wide,
}
GFF_VARIANTS = ("GFF", "GFF-23")  # the benchmark's targets count against the stronger one per set


# --------------------------------------------------------------------------------------------------
# colour handling and exposure fusion
# --------------------------------------------------------------------------------------------------


def to_unit(img: np.ndarray) -> np.ndarray:
    """uint8 (or float in [0, 1]) (H, W) or (H, W, 1|3) -> float32 (H, W, 1|3) in [0, 1]."""
    arr = np.asarray(img)
    unit = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    return unit[..., None] if unit.ndim == 2 else unit


def fuse_ycbcr(method: GreyFusion, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fuse two images with a grey-level `method` as the pipeline does colour (see the module doc).

    Inputs: uint8 or float [0, 1], (H, W) or (H, W, 3). Output: float32 in [0, 1], (H, W) when both
    inputs are grey, else (H, W, 3).
    """
    ua, ub = to_unit(a), to_unit(b)
    ya = ua[..., 0] if ua.shape[-1] == 1 else luma(ua)[..., 0]
    yb = ub[..., 0] if ub.shape[-1] == 1 else luma(ub)[..., 0]
    y = np.clip(method(ya, yb), 0.0, 1.0).astype(np.float32)[..., None]
    colour_a, colour_b = ua.shape[-1] == 3, ub.shape[-1] == 3
    if not (colour_a or colour_b):
        return y[..., 0]
    if colour_a and colour_b:
        cbcr = fuse_chroma(chroma(ua), chroma(ub))
    else:
        cbcr = chroma(ua if colour_a else ub)
    return ycbcr_to_rgb(y, cbcr)


def to_u8(unit: np.ndarray) -> np.ndarray:
    return np.round(np.clip(unit, 0.0, 1.0) * 255.0).astype(np.uint8)


def mertens(
    images: Sequence[np.ndarray],
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
    sigma: float = 0.2,
    levels: int | None = None,
) -> np.ndarray:
    """Exposure fusion (Mertens, Kautz & Van Reeth 2007) of differently exposed images of one scene.

    Per-pixel weights = contrast (|Laplacian| of the grey image) ^ wc x saturation (std over R, G, B)
    ^ ws x well-exposedness (prod over channels of exp(-(v - 0.5)^2 / (2 sigma^2))) ^ we, normalised
    over the images; the images' Laplacian pyramids are blended with the weights' Gaussian pyramids.
    Inputs uint8 or float [0, 1], (H, W) or (H, W, 3); grey inputs use no saturation term. Returns float
    in [0, 1] of the inputs' shape.

    The pyramids go down to 1-2 pixels (floor(log2(min(H, W))) + 1 levels), as the authors' reference
    code and OpenCV do: the coarsest levels carry the overall brightness, and stopping at 8 px (what
    the other pyramid methods here do) cost it 2 dB on the exposure pairs. Cross-check: OpenCV 5.1's
    createMergeMertens (never a dependency; .venv-peers only) on 32 test exposure pairs agrees with
    this to 21.4 dB PSNR and scores 16.9 dB to the truth against 15.7 here; its deviations (float32,
    border rule, its own grey conversion) shift the 1-2 px levels, which move the whole image.
    """
    units = [to_unit(img).astype(np.float64) for img in images]
    grey = units[0].shape[-1] == 1
    weights = []
    for u in units:
        y = u[..., 0] if grey else luma(u)[..., 0].astype(np.float64)
        w = np.abs(ndimage.convolve(y, _LAPLACIAN_3X3, mode="reflect")) ** contrast_weight
        if not grey:
            w = w * u.std(axis=-1) ** saturation_weight
        w = w * np.prod(np.exp(-((u - 0.5) ** 2) / (2 * sigma**2)), axis=-1) ** exposure_weight
        weights.append(w + 1e-12)
    total = np.sum(weights, axis=0)
    weights = [w / total for w in weights]
    n = _levels_for(units[0].shape, levels, coarsest=1)
    fused = None
    for u, w in zip(units, weights, strict=True):
        lap = laplacian_pyramid_of(u, n)
        gw = gaussian_pyramid(w, n)
        blended = [band * g[..., None] for band, g in zip(lap, gw, strict=True)]
        fused = blended if fused is None else [f + x for f, x in zip(fused, blended, strict=True)]
    out = np.clip(collapse(fused), 0.0, 1.0)
    return out[..., 0] if np.asarray(images[0]).ndim == 2 else out
