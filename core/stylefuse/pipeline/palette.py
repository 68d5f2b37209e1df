"""The painting's palette: per-channel histogram matching of the source to a style's colours.

The hybrid half of style transfer. A feed-forward generator trained for minutes on a CPU learns
brush texture slowly but is asked to move every colour of the photo as well; classical histogram
matching moves the colours exactly and costs a table look-up. So the pipeline first maps each
channel of the *whole* source through one monotone curve (source CDF -> the painting's quantiles)
and the generator then paints texture on top of that (it is trained on inputs mapped the same way,
see `stylefuse.data.samplers.StyleBatches`).

One curve for the whole image (per slice of a stack, so a stack sent whole, slice by slice or in
batches gives the same result) keeps tiles seam-free; the source's histogram is gathered band by band, so memory stays bounded.

    quantiles(image)                 -> C x PALETTE_POINTS values of each channel (what a card stores)
    source_cdf(read_band, bands)     -> C x BINS cumulative histogram of a source, streamed
    palette_curves(cdf, quantiles)   -> C x BINS output value for each input bin
    apply_curves(unit, curves)       -> the mapped image (float32, [0, 1])
"""

from collections.abc import Callable, Iterable

import numpy as np

PALETTE_POINTS = 256  # quantiles stored per channel (a model card carries 3 x 256 numbers)
QUANTILE_MAX_PIXELS = 1 << 20
BINS = 4096  # histogram bins of the source: 16x finer than 8-bit, so 8-bit images map exactly


def quantiles(unit: np.ndarray, points: int = PALETTE_POINTS) -> np.ndarray:
    """Per-channel quantiles (C x points, at probabilities 0..1) of a ... x C float image."""
    flat = np.asarray(unit).reshape(-1, unit.shape[-1])
    if flat.shape[0] > QUANTILE_MAX_PIXELS:  # a regular subsample: quantiles of a big painting, fast
        flat = flat[:: flat.shape[0] // QUANTILE_MAX_PIXELS + 1]
    flat = flat.astype(np.float64)
    if flat.shape[0] == 0:
        raise ValueError("an empty image has no palette")
    probs = np.linspace(0.0, 1.0, points)
    return np.quantile(flat, probs, axis=0).T.astype(np.float32)


def check_quantiles(q, channels: int) -> np.ndarray:
    """A palette from a card: C x n finite, non-decreasing values in [0, 1]."""
    arr = np.asarray(q, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != channels or arr.shape[1] < 2:
        raise ValueError(f"palette must be {channels} x n quantiles, got shape {arr.shape}")
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1 or (np.diff(arr, axis=1) < 0).any():
        raise ValueError("palette quantiles must be finite, within [0, 1] and non-decreasing")
    return arr


def _bin_index(unit: np.ndarray, channels: int) -> np.ndarray:
    """int32 bin of every value, offset by channel * BINS (one bincount or take covers all channels).

    A 1-channel image against `channels` curves indexes each channel's curve with the same bins.
    """
    buf = np.multiply(unit, BINS - 1, dtype=np.float32)
    np.add(buf, 0.5, out=buf)
    np.clip(buf, 0, BINS - 1, out=buf)
    idx = buf.astype(np.int32)
    offsets = np.arange(channels, dtype=np.int32) * BINS
    if idx.shape[-1] == channels:
        idx += offsets
        return idx
    return idx + offsets  # broadcasts ... x 1 to ... x channels


def source_cdf(read_band: Callable[[object], np.ndarray], bands: Iterable) -> np.ndarray:
    """C x BINS cumulative distribution of a source read band by band (`read_band(b)` -> ... x C in [0, 1]).

    The value of bin k is the fraction of pixels at or below k, shifted by half a bin's own mass
    (a mid-rank CDF), so a constant image maps to the painting's median, not its maximum.
    """
    hist = None
    channels = None
    for band in bands:
        unit = read_band(band)
        channels = unit.shape[-1]
        counts = np.bincount(_bin_index(unit, channels).ravel(), minlength=channels * BINS)
        hist = counts if hist is None else hist + counts
    if hist is None or hist.sum() == 0:
        raise ValueError("an empty source has no colour distribution")
    hist = hist.reshape(channels, BINS).astype(np.float64)
    total = hist.sum(axis=1, keepdims=True)
    return (np.cumsum(hist, axis=1) - 0.5 * hist) / total


def palette_curves(cdf: np.ndarray, target: np.ndarray) -> np.ndarray:
    """C x BINS: for each source bin, the target value at the same rank (source CDF -> target quantiles).

    A grey source (1 channel) against a colour palette gives three curves of the same ranks.
    """
    if cdf.shape[0] not in (1, target.shape[0]):
        raise ValueError("source and palette channel counts differ")
    probs = np.linspace(0.0, 1.0, target.shape[1])
    rows = [np.interp(cdf[min(c, cdf.shape[0] - 1)], probs, target[c]) for c in range(target.shape[0])]
    return np.stack(rows).astype(np.float32)


def apply_curves(unit: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """Map each channel of a ... x C float image through its curve (C must equal the curves' count;
    a grey image with three curves becomes a three-channel image)."""
    channels = curves.shape[0]
    if unit.shape[-1] not in (1, channels):
        raise ValueError("image and palette channel counts differ")
    return np.take(np.ascontiguousarray(curves, dtype=np.float32).ravel(), _bin_index(unit, channels))


class ByteTable:
    """The palette for 8-bit sources: one 256-entry table per channel that does the conversion to
    [0, 1] and the curve in a single look-up (the float path costs ~6 passes over the pixels).

    `unit_of_bytes`: the unit value of each byte 0..255 (C x 256, the pipeline's own conversion).
    """

    def __init__(self, unit_of_bytes: np.ndarray):
        self.unit_of_bytes = np.asarray(unit_of_bytes, np.float32)
        self.channels = self.unit_of_bytes.shape[0]
        self.table: np.ndarray | None = None

    def _offsets(self, n: int) -> np.ndarray:
        return np.arange(n, dtype=np.int32) * 256

    def cdf(self, bands_of_bytes: Iterable[np.ndarray]) -> np.ndarray:
        """C x BINS cumulative distribution (as `source_cdf`) from ... x C uint8 bands."""
        counts = np.zeros((self.channels, 256), np.int64)
        for band in bands_of_bytes:
            for c in range(self.channels):  # channel by channel: ~3x faster than one offset bincount
                counts[c] += np.bincount(band[..., c].ravel(), minlength=256)
        bins = np.clip((self.unit_of_bytes * (BINS - 1) + 0.5).astype(np.int64), 0, BINS - 1)
        hist = np.zeros((self.channels, BINS), np.float64)
        for c in range(self.channels):
            np.add.at(hist[c], bins[c], counts[c])
        if hist.sum() == 0:
            raise ValueError("an empty source has no colour distribution")
        return (np.cumsum(hist, axis=1) - 0.5 * hist) / hist.sum(axis=1, keepdims=True)

    def set_curves(self, curves: np.ndarray) -> None:
        """curves (C' x BINS) -> C' x 256 table; a grey source with three curves feeds all three."""
        rows = [
            apply_curves(self.unit_of_bytes[min(c, self.channels - 1)][:, None], curves[c : c + 1])[:, 0]
            for c in range(curves.shape[0])
        ]
        self.table = np.stack(rows).astype(np.float32)

    def apply(self, band_of_bytes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """... x C uint8 -> ... x C' mapped values (float32, or into `out`, e.g. bytes with a byte table)."""
        table = self.table
        if out is None:
            out = np.empty(band_of_bytes.shape[:-1] + (table.shape[0],), np.float32)
        for c in range(table.shape[0]):  # one take per channel (a grey band feeds every channel)
            np.take(table[c], band_of_bytes[..., min(c, band_of_bytes.shape[-1] - 1)], out=out[..., c])
        return out
