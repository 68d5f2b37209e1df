"""How an array's axes are read: grey or colour, alpha or not, one image or a stack of slices.

Accepted layouts (C = channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA):
    H x W                     one grey image
    H x W x C                 one image
    Z x H x W                 a stack of grey slices
    Z x H x W x C             a stack of images
    T x Z x H x W x C         a stack of stacks (processed as T*Z slices)
A 3-D array is ambiguous: with `is_stack=None` a last axis of 1..4 means H x W x C, anything else
Z x H x W; pass `is_stack` to decide. Internally every input is viewed as N x H x W x C.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import UserError

MAX_CHANNELS = 4


@dataclass(frozen=True)
class Layout:
    lead: tuple[int, ...]  # the stack axes: () for one image, (Z,) or (T, Z) for stacks
    height: int
    width: int
    channels: int
    channel_axis: bool  # False for H x W and Z x H x W: the output gets no channel axis either

    @property
    def slices(self) -> int:
        return int(np.prod(self.lead, dtype=np.int64))

    @property
    def is_stack(self) -> bool:
        return bool(self.lead)

    @property
    def colour(self) -> bool:
        return self.channels >= 3

    @property
    def alpha(self) -> bool:
        return self.channels in (2, 4)

    @property
    def colour_channels(self) -> int:
        """Channels without alpha: 1 (grey) or 3 (RGB)."""
        return 3 if self.colour else 1

    def describe(self) -> str:
        kind = "stack" if self.is_stack else "image"
        return f"{kind} {'x'.join(map(str, (*self.lead, self.height, self.width)))} with {self.channels} channel(s)"

    def shape_with(self, channels: int) -> tuple[int, ...]:
        """The user-facing shape of an array like this one with `channels` channels."""
        if channels == 1 and not self.channel_axis:
            return (*self.lead, self.height, self.width)
        return (*self.lead, self.height, self.width, channels)


def parse_layout(shape: tuple[int, ...], is_stack: bool | None, what: str = "image") -> Layout:
    nd = len(shape)
    if nd < 2 or nd > 5:
        raise UserError(
            f"{what} has {nd} dimension(s) {tuple(shape)}; expected H x W, H x W x C, Z x H x W or Z x H x W x C"
        )
    if nd == 2:
        if is_stack:
            raise UserError(f"{what} is 2-D {tuple(shape)}: a stack needs a slice axis (Z x H x W)")
        return Layout((), shape[0], shape[1], 1, False)
    if nd == 3:
        if is_stack is None:
            is_stack = not (1 <= shape[2] <= MAX_CHANNELS)
        if is_stack:
            return Layout((shape[0],), shape[1], shape[2], 1, False)
        lead, (h, w, c) = (), shape
    else:
        if is_stack is False:
            raise UserError(f"{what} is {nd}-D {tuple(shape)}: only a stack can have {nd} dimensions")
        lead, (h, w, c) = tuple(shape[:-3]), shape[-3:]
    if not 1 <= c <= MAX_CHANNELS:
        raise UserError(
            f"{what} has {c} channels in its last axis {tuple(shape)}; expected 1-4 (grey, +alpha, RGB, RGBA)"
        )
    return Layout(lead, h, w, c, True)


def as_slices(array: np.ndarray, layout: Layout) -> np.ndarray:
    """View `array` as N x H x W x C (a view for contiguous input, never a float copy)."""
    return array.reshape(layout.slices, layout.height, layout.width, layout.channels)
