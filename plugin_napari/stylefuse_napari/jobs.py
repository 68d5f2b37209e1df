"""Background work: a thread_worker generator that drives napari's progress bar and can be cancelled.

A job's `steps(should_stop)` is a generator that yields once per unit of work (a batch of slices,
a training step) and returns its result. Nothing is added to the viewer until the job has finished
successfully: a cancelled or failed job leaves no layer behind.
"""

import queue
import threading
from collections.abc import Callable, Generator

from napari.qt.threading import thread_worker

from . import notify

_ACTIVE: set["Job"] = set()
_CANCELLED = object()


def active() -> list["Job"]:
    """Jobs still running (tests wait for this to empty)."""
    return list(_ACTIVE)


class Job:
    def __init__(
        self,
        desc: str,
        total: int,
        steps: Callable[[Callable[[], bool]], Generator],
        on_done: Callable[[object], None],
        on_end: Callable[[str], None] | None = None,
    ):
        """`on_done(result)` runs in the main thread on success; `on_end(outcome)` always runs last
        with outcome "done", "cancelled" or "failed"."""
        self.desc = desc
        self._stop = threading.Event()
        self._on_done, self._on_end = on_done, on_end
        self.outcome: str | None = None

        # ignore_errors: a failure is this job's to report (`_errored`: one notification); without it superqt
        # also re-raises it in the Qt event loop, where napari shows it a second time, with a traceback.
        @thread_worker(
            progress={"total": max(int(total), 1), "desc": desc}, start_thread=False, ignore_errors=True
        )
        def work():
            from stylefuse.pipeline import Cancelled

            try:
                result = yield from steps(self._stop.is_set)
            except Cancelled:
                return _CANCELLED
            return _CANCELLED if self._stop.is_set() else result

        self.worker = work()
        self.worker.returned.connect(self._returned)
        self.worker.errored.connect(self._errored)
        # superqt emits neither `returned` nor `aborted` when quit() lands while the generator is
        # inside a batch; `finished` always comes last, so it closes whatever is still open.
        self.worker.aborted.connect(lambda: self._end("cancelled"))
        self.worker.finished.connect(lambda: self._end("cancelled" if self.cancelling else "failed"))

    def start(self) -> "Job":
        _ACTIVE.add(self)
        self.worker.start()
        return self

    def cancel(self) -> None:
        """Stop at the next batch (or mid-batch, between tiles): no result layer is added."""
        self._stop.set()
        self.worker.quit()

    @property
    def cancelling(self) -> bool:
        return self._stop.is_set()

    def _returned(self, result) -> None:
        if result is _CANCELLED:
            self._end("cancelled")
            return
        try:
            self._on_done(result)
        except Exception as exc:  # adding the layer failed: say so, like any other failure
            self._errored(exc)
            return
        self._end("done")

    def _errored(self, exc: BaseException) -> None:
        notify.error(f"{self.desc} failed: {notify.explain(exc)}")
        self._end("failed")

    def _end(self, outcome: str) -> None:
        if self.outcome is not None:
            return
        self.outcome = outcome
        _ACTIVE.discard(self)
        if outcome == "cancelled":
            notify.info(f"{self.desc} cancelled; no layer was added")
        if self._on_end is not None:
            self._on_end(outcome)


def call_with_progress(fn: Callable, name: str = "stylefuse-call") -> Generator:
    """Generator: run `fn(progress)` in a helper thread, yield once per unit of its progress(done, total)
    reports (the progress bar advances by one per yield), and return fn's result (or raise its error).

    For work that reports progress through a callback rather than by being cut into batches here:
    training, and a Triton call that keeps a whole stack in one request series (one value range).
    """
    messages: queue.Queue = queue.Queue()

    def report(done, total=None):
        messages.put(("step", int(done)))

    def target():
        try:
            messages.put(("done", fn(report)))
        except BaseException as exc:  # handed to the generator, which raises it in the worker
            messages.put(("error", exc))

    threading.Thread(target=target, name=name, daemon=True).start()
    seen = 0
    while True:
        kind, value = messages.get()
        if kind == "step":
            while seen < value:
                seen += 1
                yield seen
        elif kind == "done":
            return value
        else:
            raise value
