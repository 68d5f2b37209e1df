"""`stylefuse.synthesis`: example-based stylisation, the slow, training-free teacher.

    result, state = synthesize(photo, painting)   # 1 x C x H x W tensors in [0, 1]

Content-guided texture optimisation over the painting's own patches with per-band histogram
matching (see `engine`). The pipeline (`stylefuse.pipeline.stylize(..., method="synthesis")`) wraps it
with dtypes, alpha, masks, strength, large images and stacks; the generators learn from its outputs.
"""

from .engine import SynthesisCancelled, SynthesisOptions, SynthesisState, synthesize

__all__ = ["SynthesisCancelled", "SynthesisOptions", "SynthesisState", "synthesize"]
