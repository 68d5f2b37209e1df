"""Serving benchmark: in-process vs gRPC vs HTTP vs shared-memory latency, then a concurrent load run.

Run by hand (not by CI):
    .venv/bin/python benchmarks/serving.py                     # starts its own tritonserver on free ports
    .venv/bin/python benchmarks/serving.py --duration 60 --clients 8 --repeats 15

Prints markdown tables (docs/serving.md): median latency per transport at 256^2 and
1024^2 (RGB uint8, model udnie), the ratio to in-process, then a load run of N concurrent gRPC
clients sending a random mix of 256^2 and 1024^2 images: errors, p50/p99 per size, server RSS
(tritonserver + backend stubs) after warm-up and at the end, and the issue's goals with pass/fail.
"""

import argparse
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def rss_mib(pid: int) -> float:
    from stylefuse_triton.launcher import _children

    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def image(side: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)


def interleaved_medians(calls: dict, repeats: int, warmup: int = 2) -> dict:
    """Median ms per call, the calls taken in turn (rotating order) rather than one block each."""
    for fn in calls.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in calls}
    names = list(calls)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            calls[name]()
            times[name].append((time.perf_counter() - t0) * 1000)
    return {name: statistics.median(v) for name, v in times.items()}


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="udnie")
    ap.add_argument("--repeats", type=int, default=15, help="timed calls per transport and size (median)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the load run")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    args = ap.parse_args()

    import torch

    from stylefuse.client import TritonTransport
    from stylefuse.pipeline import stylize
    from stylefuse.registry import load_model
    from stylefuse_triton.launcher import TritonServer
    from stylefuse_triton.repository import write_repository

    repo = Path(tempfile.mkdtemp(prefix="stylefuse-bench-repo-"))
    write_repository(repo, [args.model])
    http, grpc, metrics = free_ports(3)
    server = TritonServer(repo, http_port=http, grpc_port=grpc, metrics_port=metrics, models=[args.model])
    t0 = time.monotonic()
    server.start(300)
    ready_s = time.monotonic() - t0
    model = load_model(args.model)
    transports = {
        "gRPC": TritonTransport(server.grpc_url),
        "HTTP": TritonTransport(server.http_url, protocol="http"),
        "gRPC + shared memory": TritonTransport(server.grpc_url, shared_memory=True),
    }
    try:
        print(
            f"# stylefuse serving benchmark: model {args.model}, RGB uint8, {platform.node()}, "
            f"{os.cpu_count()} CPU cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"tritonserver ready in {ready_s:.1f} s\n"
        )
        latency = {}
        names = ["in-process", *transports]
        for side in args.sizes:
            x = image(side)
            calls = {"in-process": lambda x=x: stylize(x, model=model)}
            calls.update(
                {n: (lambda t=t, x=x: t.stylize(x, model=args.model)) for n, t in transports.items()}
            )
            latency.update({(n, side): v for n, v in interleaved_medians(calls, args.repeats).items()})
        print(
            f"Latency, median of {args.repeats} calls, transports interleaved call by call so a busy "
            "machine slows all alike (ms; ratio to in-process):\n"
        )
        print("| transport | " + " | ".join(f"{s}x{s}" for s in args.sizes) + " |")
        print("|---|" + "---:|" * len(args.sizes))
        for name in names:
            cells = [
                f"{latency[(name, s)]:.1f} ({latency[(name, s)] / latency[('in-process', s)]:.2f}x)"
                for s in args.sizes
            ]
            print(f"| {name} | " + " | ".join(cells) + " |")

        # ---------------------------------------------------------------- load run
        def warm(
            i,
        ):  # every client once per size, concurrently: the server's buffers reach their working size
            t = TritonTransport(server.grpc_url, timeout=600)
            for s in args.sizes:
                t.stylize(image(s, i), model=args.model)
            t.close()

        warmers = [threading.Thread(target=warm, args=(i,)) for i in range(args.clients)]
        for th in warmers:
            th.start()
        for th in warmers:
            th.join()
        rss_start = rss_mib(server.process.pid)
        results = {s: [] for s in args.sizes}
        errors = {s: 0 for s in args.sizes}
        messages = []
        stop_at = time.monotonic() + args.duration
        lock = threading.Lock()

        def client(i):
            t = TritonTransport(server.grpc_url, timeout=300)
            rnd = random.Random(i)
            images = {s: image(s, i) for s in args.sizes}
            while time.monotonic() < stop_at:
                side = rnd.choice(args.sizes)
                t1 = time.perf_counter()
                try:
                    t.stylize(images[side], model=args.model)
                    with lock:
                        results[side].append((time.perf_counter() - t1) * 1000)
                except Exception as exc:  # counted, reported
                    with lock:
                        errors[side] += 1
                        messages.append(str(exc)[:200])
            t.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t2 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.monotonic() - t2
        rss_end = rss_mib(server.process.pid)
        print(
            f"\nLoad: {args.clients} concurrent gRPC clients for {wall:.0f} s, random mix of "
            f"{' and '.join(f'{s}x{s}' for s in args.sizes)}:\n"
        )
        print("| size | requests | errors | p50 (ms) | p99 (ms) | p99/p50 |")
        print("|---|---:|---:|---:|---:|---:|")
        for s in args.sizes:
            p50, p99 = percentile(results[s], 50), percentile(results[s], 99)
            print(f"| {s}x{s} | {len(results[s])} | {errors[s]} | {p50:.0f} | {p99:.0f} | {p99 / p50:.2f} |")
        growth = (rss_end - rss_start) / rss_start * 100
        print(
            f"\nServer RSS (tritonserver + stubs): {rss_start:.0f} MiB after a concurrent warm-up round, {rss_end:.0f} MiB at the end "
            f"({growth:+.1f} %)"
        )
        for m in sorted(set(messages))[:5]:
            print(f"  error: {m}")

        big = max(args.sizes)
        goals = [
            (
                "shared-memory gRPC <= 1.10x in-process at 1 MP",
                latency[("gRPC + shared memory", big)] / latency[("in-process", big)] <= 1.10,
            ),
            (
                "plain gRPC <= 1.25x in-process at 1 MP",
                latency[("gRPC", big)] / latency[("in-process", big)] <= 1.25,
            ),
            ("zero errors", sum(errors.values()) == 0),
            (
                "p99 <= 3x p50 within each size",
                all(percentile(results[s], 99) <= 3 * percentile(results[s], 50) for s in args.sizes),
            ),
            ("RSS growth <= 10 %", growth <= 10),
        ]
        print("\nGoals: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
    finally:
        for t in transports.values():
            t.close()
        server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
