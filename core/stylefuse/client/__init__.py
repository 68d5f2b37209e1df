"""`stylefuse.client`: the in-process pipeline's calls, run by a stylefuse Triton server.

    t = TritonTransport("127.0.0.1:8001")              # gRPC (default); protocol="http" for port 8000
    t.ping(); t.list_models()
    out = t.stylize(image, model="udnie", strength=0.8)  # same arguments and result as stylefuse.pipeline
    fused = t.fuse(t1, t2, model="fuse-medical")

Entry points use it through `stylefuse.runner.TritonRunner`. Arrays travel as the app holds them
(uint8, uint16, int16, float32; float16/float64 go as float32 and come back in their own dtype) in
the wire protocol of `stylefuse.protocol`. A stack is sent in requests of up to `batch_size` slices,
each with the whole stack's value range, so every slice maps intensities as the in-process pipeline
does. `shared_memory=True` passes the images through system shared memory (server on the same host).
Errors the user can fix (server down, model missing, bad input) raise UserError; only transient
failures (server unavailable, connection reset) are retried.

Parts: `connection` (per-thread clients, ping, model list), `shm` (shared memory), `chunking`
(requests of a few slices, wire dtypes), `errors` (error mapping, retries), `transport` (the calls).
"""

from ..pipeline.runner import Cancelled
from .transport import TritonTransport

__all__ = ["Cancelled", "TritonTransport"]
