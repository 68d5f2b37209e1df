"""Where the work runs: the core's runners (`stylefuse.runner`), chosen in the widgets' backend box.

The in-process runner (default) or a Triton server's; both take the pipeline's own arguments and
return the pipeline's own result. torch, the models and the Triton client are imported on first use.
"""

from stylefuse.errors import UserError

IN_PROCESS = "In-process"
TRITON = "Triton server"
DEFAULT_URL = "127.0.0.1:8001"
PROTOCOLS = ("grpc", "http")
DEVICES = ("auto", "cpu", "cuda")  # in-process only: auto = a CUDA GPU when torch sees one


def make_backend(
    kind: str = IN_PROCESS, url: str = DEFAULT_URL, protocol: str = "grpc", device: str = "auto"
):
    """The runner for the backend box's settings (`stylefuse.runner.make_runner`); `device` is
    where an in-process run computes (a server decides its own)."""
    if kind not in (IN_PROCESS, TRITON):
        raise UserError(f"unknown backend {kind!r}")
    server = None
    if kind == TRITON:
        server = (url or "").strip()
        if not server:
            raise UserError("Triton backend: enter the server address, e.g. 127.0.0.1:8001")
        if protocol not in PROTOCOLS:
            raise UserError(f"Triton protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    from stylefuse.runner import make_runner

    if server:
        return make_runner(server, None, protocol=protocol)
    return make_runner(None, device)
