"""Labelled image grids for the quality benchmark's panels (docs/images/*_panel.png)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench_images import rgb
from PIL import Image, ImageDraw, ImageFont


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


BLANK = "blank"  # a panel cell left empty (None shows "n/a")


def _cell(img, box: int) -> Image.Image:
    canvas = Image.new("RGB", (box, box), (255, 255, 255))
    if isinstance(img, str):
        return canvas
    if img is None:
        ImageDraw.Draw(canvas).text(
            (box // 2, box // 2), "n/a", fill=(120, 120, 120), anchor="mm", font=_font(18)
        )
        return canvas
    im = Image.fromarray(rgb(np.asarray(img)))
    im.thumbnail((box, box), Image.LANCZOS)
    canvas.paste(im, ((box - im.width) // 2, (box - im.height) // 2))
    return canvas


def save_panel(path: Path, columns: list[str], rows: list[tuple[str, list]], box: int = 224) -> None:
    """rows: (row label, one image or None per column)."""
    head, left, pad = 30, 0, 4
    width = left + len(columns) * (box + pad) + pad
    height = head + len(rows) * (box + head + pad)
    panel = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    font = _font(15)
    for j, col in enumerate(columns):
        draw.text(
            (left + pad + j * (box + pad) + box // 2, head // 2), col, fill=(0, 0, 0), anchor="mm", font=font
        )
    for i, (label, images) in enumerate(rows):
        y = head + i * (box + head + pad)
        draw.text((pad, y + head // 2), label, fill=(60, 60, 60), anchor="lm", font=font)
        for j, img in enumerate(images):
            panel.paste(_cell(img, box), (left + pad + j * (box + pad), y + head))
    path.parent.mkdir(parents=True, exist_ok=True)
    panel.save(path)
