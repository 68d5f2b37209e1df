"""Error mapping and retries of a transport: Triton/gRPC/HTTP failures -> one-line UserErrors.

Only transient failures (server unavailable, connection reset) are retried, on a fresh connection.
"""

from __future__ import annotations

import time

from ..errors import UserError

RETRIES = 2
_TRANSIENT = ("Connection refused", "connection reset", "Broken pipe", "Socket closed")


class ErrorMapping:
    """Mixed into TritonTransport: needs `url`, `protocol`, `timeout`, `_exc`, `_models`, `_reconnect()`."""

    def _unreachable(self, detail: object) -> UserError:
        return UserError(
            f"cannot reach the stylefuse server at {self.url} ({self.protocol}): {detail}; "
            "start one with `stylefuse serve`"
        )

    def _timed_out(self) -> UserError:
        return UserError(
            f"the stylefuse server at {self.url} did not answer within {self.timeout:g} s "
            "(busy or hung?); try again, send a smaller image, or allow a longer timeout"
        )

    def _call(self, fn, model: str | None = None):
        for attempt in range(RETRIES + 1):
            try:
                return fn()
            except TimeoutError:  # HTTP client: no answer within the network timeout; never resent
                raise self._timed_out() from None
            except self._exc as exc:
                status, message = str(exc.status() or ""), str(exc.message() or exc)
                transient = "UNAVAILABLE" in status or any(s in message for s in _TRANSIENT)
                if transient and attempt < RETRIES:
                    self._reconnect()
                    time.sleep(0.3 * 2**attempt)
                    continue
                raise self._user_error(status, message, model, transient) from None
            except (ConnectionError, OSError) as exc:  # HTTP client: socket-level failures
                if attempt < RETRIES:
                    self._reconnect()
                    time.sleep(0.3 * 2**attempt)
                    continue
                raise self._unreachable(exc) from None

    def _user_error(self, status: str, message: str, model: str | None, transient: bool) -> UserError:
        if transient:
            return self._unreachable(message)
        if "unknown model" in message or "NOT_FOUND" in status or "not found" in message:
            names = ", ".join(m["name"] for m in (self._models or [])) or "see `stylefuse models --server`"
            return UserError(f"model {model!r} is not served by {self.url}; available: {names}")
        if "DEADLINE_EXCEEDED" in status or "Deadline" in message or "timed out" in message:
            return self._timed_out()
        text = message.split("stylefuse: ", 1)[-1] if "stylefuse: " in message else message
        return UserError(f"server {self.url}: {text}")
