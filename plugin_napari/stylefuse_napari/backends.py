"""Where the work runs: the in-process pipeline (default) or a Triton server, behind one interface.

Both take the pipeline's own arguments and return the pipeline's own result; nothing here converts
ranges, tiles or colours. torch, the models and the Triton client are imported on first use.
"""

from dataclasses import dataclass

from stylefuse.errors import UserError

IN_PROCESS = "In-process"
TRITON = "Triton server"
DEFAULT_URL = "127.0.0.1:8001"
PROTOCOLS = ("grpc", "http")


class InProcessBackend:
    label = IN_PROCESS
    # Stacks are cut into batches here, each call given the whole stack's value range.
    whole_stack = False

    def check(self) -> None:
        """Cheap check before a run starts (nothing to check in-process)."""

    def ping(self) -> str:
        from stylefuse.registry import list_models

        return f"in-process pipeline, {len(list_models())} model(s) installed"

    def models(self, task: str) -> list[str]:
        """Model names for `task`, the default first."""
        from stylefuse.registry import default_model_name, list_models

        names = [entry.name for entry in list_models() if entry.task == task]
        try:
            default = default_model_name(task)
        except UserError:
            return names
        return [default] + [name for name in names if name != default]

    def stylize(self, image, **options):
        from stylefuse.pipeline import stylize

        return stylize(image, **options)

    def fuse(self, a, b, **options):
        from stylefuse.pipeline import fuse

        return fuse(a, b, **options)


@dataclass
class TritonBackend:
    """`stylefuse.client.TritonTransport`: the whole stack goes in one call (the client batches the
    requests and sends the stack's one value range with each), its progress callback drives the bar."""

    whole_stack = True
    url: str = DEFAULT_URL
    protocol: str = "grpc"
    timeout: float = 60.0

    @property
    def label(self) -> str:
        return f"Triton {self.protocol}://{self.url}"

    def _transport(self):
        if not hasattr(self, "_client"):
            try:
                from stylefuse.client import TritonTransport
            except ImportError as exc:
                raise UserError(f"the Triton backend needs stylefuse's client and tritonclient "
                                f"(pip install 'stylefuse[serve]'): {exc}") from None
            self._client = TritonTransport(url=self.url, protocol=self.protocol, timeout=self.timeout)
        return self._client

    def check(self) -> None:
        """Before a run starts: an unreachable server is reported at once, not from the worker."""
        self._transport().ping()

    def ping(self) -> str:
        self._transport().ping()
        return f"{self.label} is up, {len(self._transport().list_models())} model(s)"

    def models(self, task: str) -> list[str]:
        return [m["name"] for m in self._transport().list_models() if m.get("task") == task]

    def stylize(self, image, **options):
        return self._transport().stylize(image, **options)

    def fuse(self, a, b, **options):
        return self._transport().fuse(a, b, **options)


def make_backend(kind: str = IN_PROCESS, url: str = DEFAULT_URL, protocol: str = "grpc"):
    if kind == IN_PROCESS:
        return InProcessBackend()
    if kind == TRITON:
        url = (url or "").strip()
        if not url:
            raise UserError("Triton backend: enter the server address, e.g. 127.0.0.1:8001")
        if protocol not in PROTOCOLS:
            raise UserError(f"Triton protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
        return TritonBackend(url, protocol)
    raise UserError(f"unknown backend {kind!r}")
