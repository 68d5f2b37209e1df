"""Real batching for the python backend: the requests of one `execute` share generator forwards.

Triton's dynamic batcher hands `execute` a list of requests. Each request still runs the whole
pipeline (its own value range, palette, mask, strength, colour handling), in its own thread, but the
pipeline's model calls go through `BatchingModule`: a call waits until every request still running
has either made its next model call or finished, then the calls with the same input shapes (after N),
dtype and device are concatenated along N and run as ONE forward of batch k; each caller gets its
own slice back. Requests of other shapes run in their own forward of the same round. A merged forward
that fails is retried call by call, so a bad request fails alone.

`ForwardStats` is the backend's own count of forwards (requests merged per forward, rows per forward):
the backend writes it to a JSON file and exposes it as Triton custom metrics.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

# Pixels per merged forward (rows x h x w) before a round is split into several forwards: the
# pipeline's own bound per call (stylefuse.pipeline.runner.MAX_BATCH_PIXELS).
MAX_MERGED_PIXELS = 4 * 1024 * 1024


class ForwardStats:
    """Counts of the generator forwards this backend process ran (thread-safe)."""

    def __init__(self, path: Path | None = None, on_forward: Callable[[int, int], None] | None = None):
        self.lock = threading.Lock()
        self.forwards = 0
        self.requests = 0  # model calls served (one per request and tile batch)
        self.by_requests: Counter[int] = Counter()  # k requests merged -> forwards
        self.path, self.on_forward = path, on_forward

    def record(self, merged: int, rows: int) -> None:
        with self.lock:
            self.forwards += 1
            self.requests += merged
            self.by_requests[merged] += 1
        if self.on_forward is not None:
            try:
                self.on_forward(merged, rows)
            except Exception:  # noqa: BLE001 - statistics must never fail a request
                pass

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "pid": os.getpid(),
                "forwards": self.forwards,
                "calls": self.requests,
                "max_merged": max(self.by_requests, default=0),
                "forwards_by_merged": {str(k): v for k, v in sorted(self.by_requests.items())},
            }

    def save(self) -> None:
        """Write the snapshot to `path` (atomically: a reader never sees half a file)."""
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            tmp.write_text(json.dumps(self.snapshot()))
            os.replace(tmp, self.path)
        except OSError:
            pass  # statistics must never fail a request


@dataclass
class _Call:
    fn_name: str  # "forward_code" or "__call__"
    args: tuple[torch.Tensor, ...]
    done: threading.Event = field(default_factory=threading.Event)
    result: torch.Tensor | None = None
    error: BaseException | None = None

    def key(self) -> tuple:
        return (self.fn_name, *((tuple(a.shape[1:]), a.dtype, a.device) for a in self.args))

    @property
    def rows(self) -> int:
        return int(self.args[0].shape[0])


class Rendezvous:
    """Collects the model calls of the running requests and runs each round as merged forwards."""

    def __init__(self, module, stats: ForwardStats):
        self.module, self.stats = module, stats
        self.cond = threading.Condition()
        self.active = 0
        self.pending: list[_Call] = []

    def join(self) -> None:
        with self.cond:
            self.active += 1

    def leave(self) -> None:
        with self.cond:
            self.active -= 1
            batch = self._take()
        self._run(batch)

    def call(self, fn_name: str, args: tuple[torch.Tensor, ...]) -> torch.Tensor:
        item = _Call(fn_name, args)
        with self.cond:
            self.pending.append(item)
            batch = self._take()
        self._run(batch)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def _take(self) -> list[_Call]:
        """The round's calls when every running request has made its call (caller holds the lock)."""
        if self.pending and len(self.pending) >= self.active:
            batch, self.pending = self.pending, []
            return batch
        return []

    def _run(self, batch: list[_Call]) -> None:
        groups: dict[tuple, list[_Call]] = {}
        for item in batch:
            groups.setdefault(item.key(), []).append(item)
        for items in groups.values():
            for chunk in _chunks(items):
                self._forward(chunk)

    def _forward(self, items: list[_Call]) -> None:
        fn = getattr(self.module, items[0].fn_name)
        # The thread running a round may be one whose request has finished: set the pipeline's modes here.
        cpu = items[0].args[0].device.type == "cpu"
        try:
            with torch.inference_mode(), torch.jit.optimized_execution(not cpu):
                self._merged(fn, items)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller(s)
            if len(items) > 1:  # a bad one must fail alone: retry call by call
                for item in items:
                    self._forward([item])
                return
            items[0].error = exc
        for item in items:
            item.done.set()

    def _merged(self, fn, items: list[_Call]) -> None:
        if len(items) == 1:
            items[0].result = fn(*items[0].args)
        else:
            merged = fn(*(torch.cat(parts) for parts in zip(*(i.args for i in items), strict=True)))
            for item, part in zip(items, torch.split(merged, [i.rows for i in items]), strict=True):
                item.result = part
        self.stats.record(len(items), sum(i.rows for i in items))


def _chunks(items: list[_Call]) -> list[list[_Call]]:
    """Consecutive runs of calls whose merged size stays under MAX_MERGED_PIXELS (at least one each)."""
    chunks: list[list[_Call]] = []
    pixels = 0
    for item in items:
        size = item.rows * int(item.args[0].shape[-1]) * int(item.args[0].shape[-2])
        if chunks and pixels + size <= MAX_MERGED_PIXELS:
            chunks[-1].append(item)
            pixels += size
        else:
            chunks.append([item])
            pixels = size
    return chunks


class BatchingModule:
    """The calls `stylefuse.pipeline` makes on a model's module; the generator calls go through a Rendezvous."""

    def __init__(self, module, rendezvous: Rendezvous):
        self.module, self.rendezvous = module, rendezvous

    def forward_code(self, source: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.rendezvous.call("forward_code", (source, code.expand(source.shape[0], -1)))

    def __call__(self, source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        return self.rendezvous.call("__call__", (source, reference))

    def encode_style(self, reference: torch.Tensor) -> torch.Tensor:
        return self.module.encode_style(reference)

    def default_style(self, batch: int) -> torch.Tensor:
        return self.module.default_style(batch)

    def parameters(self):
        parameters = getattr(self.module, "parameters", None)
        return parameters() if callable(parameters) else iter(())


class BatchingModel:
    """A LoadedModel-like view of `loaded` whose module batches (the pipeline duck-types its model)."""

    def __init__(self, loaded, rendezvous: Rendezvous):
        self.loaded = loaded
        self.module = BatchingModule(loaded.module, rendezvous)

    def __getattr__(self, name: str):
        return getattr(self.loaded, name)


def run_together(
    loaded, stats: ForwardStats, jobs: list[Callable[[object], object]]
) -> list[tuple[object, BaseException | None]]:
    """Run `jobs` (each takes the model to use) in threads whose model calls are merged; returns
    (result, error) per job, in order. One job runs in the calling thread, unbatched."""
    if len(jobs) == 1:
        rendezvous = Rendezvous(loaded.module, stats)
        return [_run_one(jobs[0], BatchingModel(loaded, rendezvous), rendezvous)]
    rendezvous = Rendezvous(loaded.module, stats)
    model = BatchingModel(loaded, rendezvous)
    results: list = [(None, None)] * len(jobs)
    for _ in jobs:
        rendezvous.join()  # all before any starts: no round may close without a request still to come

    threads_wanted = torch.get_num_threads()

    def work(i: int) -> None:
        # OpenMP's thread count is per thread: a new thread would use every core, on top of the others
        torch.set_num_threads(threads_wanted)
        results[i] = _run_one(jobs[i], model, rendezvous, joined=True)

    threads = [
        threading.Thread(target=work, args=(i,), name=f"stylefuse-request-{i}") for i in range(len(jobs))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _run_one(job, model, rendezvous: Rendezvous, joined: bool = False) -> tuple[object, BaseException | None]:
    if not joined:
        rendezvous.join()
    try:
        return job(model), None
    except BaseException as exc:  # noqa: BLE001 - one request's error is its own response
        return None, exc
    finally:
        rendezvous.leave()
