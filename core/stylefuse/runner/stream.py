"""A stack that arrives in parts (a video's frames, chunk by chunk) through a runner's stylize/fuse.

Each part runs as a stack (`is_stack=True`) through the same call a volume takes, one StackState
carried from part to part, so the parts give what the whole stack would (a generator's slices are
independent; synthesis continues from the previous frame's patch choices) while only one part is
held. One progress callback counts slices over the whole stream. `steady` (a video's stylization)
holds still areas at their previous frame (`stylefuse.pipeline.temporal`), carried the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .base import Progress


def stream_parts(
    call: Callable[..., np.ndarray],
    parts: Iterable[tuple[np.ndarray, ...]],
    total: int | None,
    progress: Progress | None,
    options: dict,
    steady: bool = False,
) -> Iterator[np.ndarray]:
    """`call(*part, is_stack=True, state=..., progress=..., **options)` per part, results in order.

    `total`: the slices expected (None when unknown: the count so far is shown); `progress(done,
    total)` advances within a part by the pipeline's own steps, scaled to that part's slices.
    """
    from ..pipeline.stack_state import StackState

    state = StackState()
    done = 0
    if progress is not None:
        progress(0, total)
    for part in parts:
        count = len(part[0])

        def inner(step: int, steps: int, before: int = done, count: int = count) -> None:
            if progress is not None and steps:
                now = before + count * step // steps
                progress(now, max(total, now) if total is not None else None)

        result = call(*part, is_stack=True, state=state, progress=inner, **options)
        if steady:
            from ..pipeline.temporal import steady_frames

            result = steady_frames(part[0], result, state)
        yield result
        done += count
        if progress is not None:
            progress(done, max(total, done) if total is not None else None)
