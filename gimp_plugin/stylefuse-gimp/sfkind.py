"""The automatic fusion rule with the standard library only: stylefuse.fusion_kind's pair classifier and
stylefuse.model_choice.fusion_model_for_kind, for the plug-in's "auto" choice against a server (GIMP's
Python has no numpy; tests/gimp/test_sfkind.py checks that both give the same kinds and models).

The same 128 x 128 sample points, the same statistics, the same thresholds: see the core module.
"""

import array
import math

KINDS = ("medical", "infrared-visible", "multi-focus", "multi-exposure")
GRID, BLOCK, FRAME = 128, 4, 8
BLACK_LEVEL, MEDICAL_BLACK, MEDICAL_BORDER = 0.06, 0.40, 0.60
SAME_SCENE, EXPOSURE_SHIFT = 0.85, 0.05
COLOUR_SHARE, COLOUR_DIFF = 0.01, 0.04
_CODES = {"UINT8": "B", "UINT16": "H", "INT16": "h", "FP32": "f"}


def _points(image):
    """(GRID x GRID lumas in 0..1 row by row, or None for non-picture data; colour) of an sfclient.Image."""
    if image.datatype not in ("UINT8", "FP32"):  # 16-bit data: scans
        return None, image.channels >= 3
    values = array.array(_CODES[image.datatype])
    values.frombytes(image.data)  # the plug-in's images are in this machine's byte order
    c, h, w = image.channels, image.height, image.width
    colours = 3 if c >= 3 else 1
    rows = [(2 * i + 1) * h // (2 * GRID) for i in range(GRID)]
    cols = [(2 * j + 1) * w // (2 * GRID) for j in range(GRID)]
    scale = 255.0 if image.datatype == "UINT8" else 1.0
    samples = [[values[(r * w + q) * c + k] / scale for k in range(colours)] for r in rows for q in cols]
    if image.datatype == "FP32":
        flat = [v for s in samples for v in s]
        if not (min(flat) >= 0.0 and max(flat) <= 1.0):  # NaN fails both: not a picture
            return None, colours == 3
    colour = False
    if colours == 3:
        spread = sum(max(abs(s[0] - s[1]), abs(s[1] - s[2])) > COLOUR_DIFF for s in samples)
        colour = spread / len(samples) >= COLOUR_SHARE
        lumas = [s[0] * 0.299 + s[1] * 0.587 + s[2] * 0.114 for s in samples]
    else:
        lumas = [s[0] for s in samples]
    return lumas, colour


def _gradient(grid, n):
    gy, gx = [0.0] * (n * n), [0.0] * (n * n)
    for i in range(n):
        for j in range(n):
            at = i * n + j
            if 0 < i < n - 1:
                gy[at] = (grid[at + n] - grid[at - n]) / 2
            else:
                gy[at] = grid[at + n] - grid[at] if i == 0 else grid[at] - grid[at - n]
            if 0 < j < n - 1:
                gx[at] = (grid[at + 1] - grid[at - 1]) / 2
            else:
                gx[at] = grid[at + 1] - grid[at] if j == 0 else grid[at] - grid[at - 1]
    return gy, gx


def _agreement(la, lb, n):
    ya, xa = _gradient(la, n)
    yb, xb = _gradient(lb, n)
    total = weighted = 0.0
    for k in range(n * n):
        ma, mb = math.hypot(ya[k], xa[k]), math.hypot(yb[k], xb[k])
        weight = min(ma, mb)
        if weight > 0:
            total += weight
            weighted += weight * (ya[k] * yb[k] + xa[k] * xb[k]) / (ma * mb)
    return weighted / total if total > 0 else 0.0


def _blocks(lumas):
    n = GRID // BLOCK
    out = [0.0] * (n * n)
    for r in range(GRID):
        for q in range(GRID):
            out[(r // BLOCK) * n + q // BLOCK] += lumas[r * GRID + q]
    return [v / (BLOCK * BLOCK) for v in out]


def _border_black(lumas):
    frame = [
        lumas[r * GRID + q]
        for r in range(GRID)
        for q in range(GRID)
        if r < FRAME or r >= GRID - FRAME or q < FRAME or q >= GRID - FRAME
    ]
    return sum(v <= BLACK_LEVEL for v in frame) / len(frame)


def classify(a, b):
    """The kind of the pair of sfclient.Images (a, b): one of KINDS (stylefuse.fusion_kind's rule)."""
    if 0 in (a.height, a.width, b.height, b.width):
        return "medical"
    la, colour_a = _points(a)
    lb, colour_b = _points(b)
    if la is None or lb is None:
        return "medical"
    count = GRID * GRID
    black_a = sum(v <= BLACK_LEVEL for v in la) / count
    black_b = sum(v <= BLACK_LEVEL for v in lb) / count
    if min(black_a, black_b) >= MEDICAL_BLACK or min(_border_black(la), _border_black(lb)) >= MEDICAL_BORDER:
        return "medical"
    agree = max(_agreement(la, lb, GRID), _agreement(_blocks(la), _blocks(lb), GRID // BLOCK))
    shift = abs(sum(la) / count - sum(lb) / count)
    if agree >= SAME_SCENE and colour_a == colour_b:
        return "multi-exposure" if shift >= EXPOSURE_SHIFT else "multi-focus"
    return "infrared-visible"


def kinds_of(info):
    """The kinds a served model lists (its `kinds` parameter), from an sfclient.ModelInfo."""
    return tuple(k for k in (info.parameters or {}).get("kinds", "").split(",") if k)


def model_for_kind(kind, models):
    """stylefuse.model_choice.fusion_model_for_kind over sfclient.ModelInfos: the fusion models whose
    `kinds` list the kind (the default among them, else the first); none: the default, else the first."""
    fusion = [m for m in models if m.task == "fuse"]
    listing = [m for m in fusion if kind in kinds_of(m)] or fusion
    if not listing:
        return None
    return next((m.name for m in listing if m.default), listing[0].name)
