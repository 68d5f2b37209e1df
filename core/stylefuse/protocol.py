"""The wire protocol of a stylefuse Triton model: what the core's client sends, the server's backend
reads and GIMP's standard-library client speaks (tests/gimp/test_sfclient_protocol.py checks it).

One Triton model per stylefuse model, same name. Every tensor has a leading batch dimension N.
Inputs (all optional in config.pbtxt; dims after N):
    SOURCE_<DT>      [-1, -1, -1]  H x W x C, C in 1..4; exactly one SOURCE_* per request
    REFERENCE_<DT>   [-1, -1, -1]  style image, or fusion's second image (N == source N); at most one
    MASK             FP32 [-1, -1] H x W in [0, 1], one per slice (N == source N; the server also takes N == 1)
    STRENGTH         FP32 [1]      default 1.0
    PRESERVE_COLOR   BOOL [1]      default false
    VALUE_RANGE      FP32 [2]      (lo, hi) of the source, e.g. of a whole volume sent in several requests
    REFERENCE_VALUE_RANGE FP32 [2] (lo, hi) of the fusion reference (ignored by style models)
    METHOD           BYTES [1]     "generator" (default) or "synthesis" (style models only)
    SYNTHESIS_SIZE   INT32 [1]     the long side "synthesis" paints at (default: the pipeline's)
Outputs: OUTPUT_<DT> [-1, -1, -1], the one matching the source's dtype.
<DT> is UINT8, UINT16, INT16 or FP32. The N slices of one request are one stack (one value range);
Triton takes one batch size N for all inputs of a request (one style image goes N times).
Model config parameters (string values) say what a served model is: MODEL_PARAMETERS.
"""

import numpy as np

DTYPES = {"UINT8": np.uint8, "UINT16": np.uint16, "INT16": np.int16, "FP32": np.float32}
SOURCE_NAMES = tuple(f"SOURCE_{d}" for d in DTYPES)
REFERENCE_NAMES = tuple(f"REFERENCE_{d}" for d in DTYPES)
OUTPUT_NAMES = tuple(f"OUTPUT_{d}" for d in DTYPES)
SCALAR_INPUTS = {  # name: (Triton dtype, dims after N)
    "MASK": ("FP32", (-1, -1)),
    "STRENGTH": ("FP32", (1,)),
    "PRESERVE_COLOR": ("BOOL", (1,)),
    "VALUE_RANGE": ("FP32", (2,)),
    "REFERENCE_VALUE_RANGE": ("FP32", (2,)),
    "METHOD": ("BYTES", (1,)),  # config.pbtxt: TYPE_STRING
    "SYNTHESIS_SIZE": ("INT32", (1,)),
}
INPUT_NAMES = SOURCE_NAMES + REFERENCE_NAMES + tuple(SCALAR_INPUTS)

# config.pbtxt parameters of a pipeline model: key in this table -> parameter name.
MODEL_PARAMETERS = {
    "role": "stylefuse_role",  # "pipeline" for the client-facing model
    "task": "task",  # "style" | "fuse"
    "channels": "channels",  # the model's channels (1 or 3)
    "has_default_style": "has_default_style",  # "true": a style model with a built-in style
    "default": "default",  # "true": the default model of its task (stylefuse.model_choice)
    # fusion: the pair kinds the model is for, comma-separated ("medical", "infrared-visible", ...); clients
    # with images in hand pick by them (stylefuse.model_choice.fusion_model_for_kind); absent: none listed
    "kinds": "kinds",
}

MAX_BATCH_SIZE = 8
# Per request: each image side at most MAX_SIDE, and N x H x W at most MAX_PIXELS (64 Mpx).
MAX_SIDE = 16384
MAX_PIXELS = 1 << 26


def wire_dtype(dtype) -> str | None:
    """'UINT8' ... for the dtypes the protocol carries, else None."""
    for name, np_dtype in DTYPES.items():
        if np.dtype(dtype) == np.dtype(np_dtype):
            return name
    return None


def source_name(dtype) -> str:
    return f"SOURCE_{wire_dtype(dtype)}"


def reference_name(dtype) -> str:
    return f"REFERENCE_{wire_dtype(dtype)}"


def output_name(dtype) -> str:
    return f"OUTPUT_{wire_dtype(dtype)}"


DOC = __doc__
