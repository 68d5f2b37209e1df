"""Style transfer of images and stacks: `stylize`."""

import numpy as np
import torch

from ..errors import UserError
from ..registry import LoadedModel
from .color import chroma, luma, to_channels, ycbcr_to_rgb
from .inputs import prepare
from .layout import as_slices
from .loading import model_call, model_device, resolve_model
from .palette import check_quantiles, quantiles
from .palette_passes import palette_again, palette_mapper
from .ranges import from_unit
from .resample import reference_size, resize_image
from .runner import Cancel, Progress, as_batch, check_batch_size, run_tiled
from .stack_state import StackState
from .synthesis_style import WORK_SIDE, check_work_side, synthesize_planes
from .tiling import DEFAULT_TILE_SIZE
from .weights import blend, check_strength, read_mask


def style_code(model: LoadedModel, reference=None) -> torch.Tensor:
    """The style code (1 x D) of `reference`, or the model's own style when there is none.

    The code is a summary of the whole reference (feature means and deviations), so it is computed
    once, from the reference shrunk to REFERENCE_MAX_SIDE, before any tiling of the source.
    """
    if reference is None:
        if model.needs_reference:
            raise UserError(
                f"style model {model.name!r} has no built-in style: give a reference (style) image"
            )
        try:
            return model.module.default_style(1)
        except RuntimeError:
            raise UserError(
                f"style model {model.name!r} has no built-in style: give a reference (style) image"
            ) from None
    unit = _reference_unit(model, reference)
    image = resize_image(as_batch(unit, model_device(model)), *reference_size(unit.shape[1], unit.shape[2]))
    code = model_call(model, model.module.encode_style)(image)
    if not bool(torch.isfinite(code).all()):
        raise UserError("reference image gave an invalid style code (is it blank or too small?)")
    return code


def _reference_unit(model: LoadedModel, reference) -> np.ndarray:
    """The reference as the model sees it: one slice (a stack's middle one), model channels, [0, 1]."""
    ref = prepare(reference, None, None, "reference")
    if ref.empty:
        raise UserError(f"reference image is empty {ref.array.shape}")
    middle = slice(ref.layout.slices // 2, ref.layout.slices // 2 + 1)  # a stack: its middle slice
    return to_channels(ref.unit(middle, slice(None)), model.channels)


def style_palette(model: LoadedModel, reference=None) -> np.ndarray | None:
    """The colours to map the source to: the reference's quantiles, else the painting's from the
    model card; None for a model without one (trained before palettes, or a grey model)."""
    if reference is not None:
        return quantiles(_reference_unit(model, reference))
    stored = model.card.get("palette")
    if stored is None:
        return None
    try:
        return check_quantiles(stored, model.channels)
    except ValueError as exc:
        raise UserError(f"style model {model.name!r}: invalid palette in its card ({exc})") from None


def _to_output_colour(stylized: np.ndarray, source: np.ndarray, preserve_color: bool) -> np.ndarray:
    """The model's channels -> the source's: grey out for grey in; the source's chroma where asked."""
    if source.shape[-1] == 1:
        return to_channels(stylized, 1)
    if stylized.shape[-1] == 1:  # a grey model restyles the luma of a colour image
        return ycbcr_to_rgb(stylized, chroma(source))
    if preserve_color:
        return ycbcr_to_rgb(luma(stylized), chroma(source))
    return stylized


@torch.inference_mode()
def stylize(
    image: np.ndarray,
    model: LoadedModel | str | None = None,
    reference: np.ndarray | None = None,
    strength: float = 1.0,
    mask: np.ndarray | None = None,
    preserve_color: bool = False,
    palette: bool = True,
    is_stack: bool | None = None,
    tile_size: int | None = DEFAULT_TILE_SIZE,
    tile_overlap: int | None = None,
    batch_size: int = 8,
    value_range: tuple[float, float] | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    method: str = "generator",
    synthesis_size: int = WORK_SIDE,
    device: torch.device | str | None = None,
    state: StackState | None = None,
) -> np.ndarray:
    """Restyle `image` (an image or a stack of slices) after `reference`, or the model's own style.

    Returns an array of the input's dtype, shape and value range (see `stylefuse.pipeline.ranges`);
    alpha is passed through untouched, and pixels where strength * mask == 0 are the input's own.
    `model` is a LoadedModel, a model name, or None for the default style model.
    `palette`: map the source's colours onto the style's (the reference's, else the painting the
    model was trained on; see `stylefuse.pipeline.palette`) before the generator, and a colour
    result's once more after it; off with preserve_color.
    `method`: "generator" (the trained model, fast) or "synthesis" (example-based, slow, no model:
    paints with the reference's own patches, see `stylefuse.synthesis`; needs a reference; tiling
    and batching options do not apply, `synthesis_size` is the long side it paints at and `device`
    where it runs).
    `state`: one StackState passed to the calls of a stack that arrives in parts (a video's chunks of
    frames), so the parts give what the whole stack would (see `stylefuse.pipeline.stack_state`).
    """
    if method == "synthesis":
        return _stylize_by_synthesis(
            image,
            reference,
            strength,
            mask,
            preserve_color,
            is_stack,
            value_range,
            synthesis_size,
            device,
            progress,
            cancel,
            state,
        )
    if method != "generator":
        raise UserError(f"unknown style method {method!r}: use 'generator' or 'synthesis'")
    loaded = resolve_model(model, "style")
    src = prepare(image, is_stack, value_range, "image")
    strength = check_strength(strength)
    mask_bands = read_mask(mask, src.layout)
    tiling = src.tiling(loaded, tile_size, tile_overlap)
    batch_size = check_batch_size(batch_size)
    if src.empty:
        return src.array.copy()
    code = style_code(loaded, reference)
    target = style_palette(loaded, reference) if palette and not preserve_color else None
    mapped = (
        None if target is None else palette_mapper(src.view, src.rng, src.layout, loaded.channels, target)
    )

    out = np.empty(src.array.shape, src.dtype)
    out_view = as_slices(out, src.layout)
    colour = src.layout.colour_channels
    # Colour results get the palette a second time, after the generator (see palette_again).
    again = target is not None and colour == loaded.channels == target.shape[0]
    device = model_device(loaded)

    def model_inputs(z: slice, rows: slice, cols: slice) -> tuple[torch.Tensor]:
        unit = (
            to_channels(src.unit(z, rows, cols), loaded.channels) if mapped is None else mapped(z, rows, cols)
        )
        return (as_batch(unit, device),)

    forward_code = model_call(loaded, loaded.module.forward_code)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return forward_code(x, code)

    def finish(z: slice, rows: slice, stylized: np.ndarray) -> None:
        if again:  # the generator's own result, blended with the source after the second pass
            out_view[z, rows, :, :colour] = from_unit(stylized, src.rng, src.dtype)
            out_view[z, rows, :, colour:] = src.alpha(z, rows)
            return
        weight = strength if mask_bands is None else strength * mask_bands(z, rows)
        # The plain case (full strength, no mask, same channels, own colours) needs no [0, 1] copy of the source.
        plain = mask_bands is None and strength == 1 and not preserve_color and stylized.shape[-1] == colour
        source = None if plain else src.unit(z, rows)
        result = stylized if plain else _to_output_colour(stylized, source, preserve_color)
        out_view[z, rows, :, :colour] = blend(src.native(z, rows), source, result, weight, src.rng)
        out_view[z, rows, :, colour:] = src.alpha(z, rows)

    run_tiled(
        src.layout.slices,
        src.layout.height,
        src.layout.width,
        loaded.channels,
        model_inputs,
        forward,
        finish,
        batch_size=batch_size,
        progress=progress,
        cancel=cancel,
        **tiling,
    )
    if again:
        palette_again(src, out_view, target, strength, mask_bands)
    return out


def _stylize_by_synthesis(
    image,
    reference,
    strength,
    mask,
    preserve_color,
    is_stack,
    value_range,
    work_side,
    device,
    progress,
    cancel,
    state=None,
) -> np.ndarray:
    if reference is None:
        raise UserError(
            "method 'synthesis' paints with a painting's own patches: give a reference (style) image"
        )
    src = prepare(image, is_stack, value_range, "image")
    strength = check_strength(strength)
    mask_bands = read_mask(mask, src.layout)
    work_side = check_work_side(work_side)
    ref = prepare(reference, None, None, "reference")
    if ref.empty:
        raise UserError(f"reference image is empty {ref.array.shape}")
    if min(ref.layout.height, ref.layout.width) < 16:
        raise UserError(
            f"reference image is too small to take patches from ({ref.layout.height} x "
            f"{ref.layout.width}); give a painting at least 16 pixels on each side"
        )
    if src.empty:
        return src.array.copy()
    middle = slice(ref.layout.slices // 2, ref.layout.slices // 2 + 1)
    out = np.empty(src.array.shape, src.dtype)
    synthesize_planes(
        src,
        ref.unit(middle, slice(None)),
        out,
        strength=strength,
        mask_bands=mask_bands,
        to_output_colour=_to_output_colour,
        preserve_color=preserve_color,
        work_side=work_side,
        device=device,
        progress=progress,
        cancel=cancel,
        state=state,
    )
    return out
