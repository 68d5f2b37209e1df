"""Load benchmark of `stylefuse serve` as a user runs it: concurrent gRPC clients, real batching, a restart.

    .venv/bin/python benchmarks/serving_load.py                  # 1 client 30 s, 8 clients 60 s, restart run 60 s
    .venv/bin/python benchmarks/serving_load.py --duration 12 --single 6 --restart-duration 20   # short

Starts `stylefuse serve --models udnie --instances 2` (a subprocess, free loopback ports). Phases 1 and
2, one gRPC client and 8 clients, alternate in --rounds slices (the 1-minute load average of each slice
is printed); all send --side x --side RGB uint8 stylize requests for their duration:
failed requests, p50/p99 latency, throughput, and the backend's own forward counter
(`stylefuse_forwards_total{merged=k}`, forwards that served k requests). Phase 3: 8 clients again, the
tritonserver is SIGKILLed mid-run (`stylefuse serve` notices and exits) and `stylefuse serve` is started
again on the same ports: every request must succeed or fail with a retryable error (the client's
"cannot reach" / "did not answer", i.e. UNAVAILABLE or a refused connection); the time from the restart
to the server's readiness and to the first answered request. Prints markdown and the goals.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RETRYABLE = ("cannot reach the stylefuse server", "did not answer within")


def free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def loadavg() -> str:
    """/proc/loadavg's 1, 5 and 15 minute figures: how busy the shared cores were (other jobs too)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def repo_settings(lines: list[str]) -> str:
    """The batching settings `stylefuse serve` wrote for udnie (from the repository its first line names)."""
    exported = next((line for line in lines if line.startswith("exported ")), "")
    match = re.search(r" to (\S+) ", exported)
    if not match:
        return "?"
    try:
        text = (Path(match.group(1)) / "udnie" / "config.pbtxt").read_text()
    except OSError:
        return "?"
    preferred = re.search(r"preferred_batch_size: \[ ([^\]]*) \]", text)
    delay = re.search(r"max_queue_delay_microseconds: (\d+)", text)
    threads = re.search(r'key: "torch_threads"\s*value: \{ string_value: "(\d+)" \}', text)
    return (
        f"preferred batch {preferred.group(1) if preferred else 'none'}, "
        f"queue delay {delay.group(1) if delay else 0} us, "
        f"torch threads/instance {threads.group(1) if threads else '?'}"
    )


def forwards_by_merged(metrics_url: str, model: str = "udnie") -> dict[int, float]:
    """The backend's own forward counter from the metrics endpoint: {requests merged: forwards}."""
    try:
        text = urllib.request.urlopen(f"{metrics_url}/metrics", timeout=10).read().decode()
    except OSError:
        return {}
    counts: dict[int, float] = {}
    for labels, value in re.findall(r"^stylefuse_forwards_total\{([^}]*)\}\s+(\S+)$", text, re.M):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("model") == model:
            counts[int(fields["merged"])] = counts.get(int(fields["merged"]), 0) + float(value)
    return counts


def delta(after: dict[int, float], before: dict[int, float]) -> dict[int, int]:
    return {k: int(after[k] - before.get(k, 0)) for k in sorted(after) if after[k] - before.get(k, 0) > 0}


class Serve:
    """`stylefuse serve` in a subprocess; its output lines collected in a thread."""

    def __init__(self, ports: tuple[int, int, int], *args: str):
        self.http, self.grpc, self.metrics = ports
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []

    def start(self, timeout: float = 240.0) -> float:
        """Start and wait for the ready line; returns seconds from start to ready."""
        cmd = [
            sys.executable,
            "-m",
            "stylefuse.cli",
            "serve",
            "--http-port",
            str(self.http),
            "--grpc-port",
            str(self.grpc),
            "--metrics-port",
            str(self.metrics),
            "--health-interval",
            "1",
            *self.args,
        ]
        start = time.monotonic()
        self.lines = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        while time.monotonic() - start < timeout:
            if any("tritonserver ready" in line for line in self.lines):
                return time.monotonic() - start
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("stylefuse serve did not become ready:\n" + "\n".join(self.lines[-30:]))

    def _read(self, proc) -> None:
        for line in proc.stdout:
            self.lines.append(line.rstrip())

    def tritonserver_pid(self) -> int | None:
        from stylefuse_triton.launcher import _children

        for pid in _children(self.proc.pid):
            try:
                if Path(f"/proc/{pid}/exe").resolve().name == "tritonserver":
                    return pid
            except OSError:
                continue
        return None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the tritonserver and its backend stubs so far."""
        import psutil

        from stylefuse_triton.launcher import _children

        total = 0.0
        for pid in _children(self.proc.pid):
            try:
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def crash(self, timeout: float = 60.0) -> None:
        """SIGKILL the tritonserver; `stylefuse serve` notices, cleans up and exits."""
        pid = self.tritonserver_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, succeeded requests
    ok_at: list[float] = field(default_factory=list)  # monotonic time each success finished
    retryable: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # not retryable: must stay empty
    wall: float = 0.0

    def add(self, other: Load) -> None:
        """Another slice of the same run (wall times add up: the slices do not overlap)."""
        self.latencies += other.latencies
        self.ok_at += other.ok_at
        self.retryable += other.retryable
        self.failed += other.failed
        self.wall += other.wall

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


def run_load(
    grpc_url: str,
    clients: int,
    duration: float,
    side: int,
    model: str = "udnie",
    during=None,
    stop: threading.Event | None = None,
) -> Load:
    """`clients` threads send stylize requests for `duration` s (or until `stop` is set); `during(load)`
    runs beside them."""
    from stylefuse.client import TritonTransport

    load, lock = Load(), threading.Lock()
    stop_at = time.monotonic() + duration

    def client(i: int) -> None:
        transport = TritonTransport(grpc_url, timeout=120)
        image = np.random.default_rng(i).integers(0, 256, (side, side, 3), dtype=np.uint8)
        while time.monotonic() < stop_at and not (stop is not None and stop.is_set()):
            t0 = time.monotonic()
            try:
                out = transport.stylize(image, model=model)
                assert out.shape == image.shape
                with lock:
                    load.latencies.append(time.monotonic() - t0)
                    load.ok_at.append(time.monotonic())
            except Exception as exc:  # noqa: BLE001 - classified
                text = f"{type(exc).__name__}: {exc}"
                with lock:
                    (load.retryable if any(r in text for r in RETRYABLE) else load.failed).append(text[:300])
                time.sleep(0.25)  # a client's retry pause
        transport.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    if during is not None:
        during(load)
    for t in threads:
        t.join()
    load.wall = time.monotonic() - start
    return load


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the 8-client run")
    ap.add_argument("--single", type=float, default=30.0, help="seconds of the 1-client run")
    ap.add_argument(
        "--restart-duration", type=float, default=60.0, help="seconds of the restart run (0: skip)"
    )
    ap.add_argument("--side", type=int, default=512)
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the 1- and 8-client runs alternate in this many slices (each 1/rounds of its duration), "
        "so both see the same machine when other jobs come and go (default: %(default)s)",
    )
    ap.add_argument("--instances", type=int, default=2)
    args = ap.parse_args()

    serve = Serve(tuple(free_ports(3)), "--models", "udnie", "--instances", str(args.instances))
    grpc_url, metrics_url = f"127.0.0.1:{serve.grpc}", f"http://127.0.0.1:{serve.metrics}"
    command = " ".join(sys.argv[1:]) or "(defaults)"
    try:
        ready = serve.start()
        print(f"# stylefuse serve load benchmark: `benchmarks/serving_load.py {command}`\n")
        print(
            f"{time.strftime('%Y-%m-%d %H:%M')}: "
            f"`stylefuse serve --models udnie --instances {args.instances}` "
            f"({repo_settings(serve.lines)}), {args.side}x{args.side} RGB uint8, {os.cpu_count()} CPU cores, "
            f"load average {loadavg()} at start; ready in {ready:.1f} s\n",
            flush=True,
        )
        run_load(grpc_url, args.clients, 3, args.side)  # warm-up: every instance has run
        # 1 and 8 clients back to back in one run, in alternating slices: on shared cores a job that
        # starts or ends between two long phases would otherwise decide the 1-vs-8 comparison
        phases = {1: (Load(), Counter(), [0.0], []), args.clients: (Load(), Counter(), [0.0], [])}
        for _ in range(max(1, args.rounds)):
            for clients, duration in ((1, args.single), (args.clients, args.duration)):
                total, merged, cpu, loads = phases[clients]
                before, cpu0, load_before = forwards_by_merged(metrics_url), serve.cpu_seconds(), loadavg()
                total.add(run_load(grpc_url, clients, duration / max(1, args.rounds), args.side))
                cpu[0] += serve.cpu_seconds() - cpu0
                merged.update(delta(forwards_by_merged(metrics_url), before))
                loads.append(f"{load_before.split()[0]}-{loadavg().split()[0]}")
        rows = [
            (c, total, dict(sorted(merged.items())), cpu[0] / max(len(total.latencies), 1), ", ".join(loads))
            for c, (total, merged, cpu, loads) in phases.items()
        ]
        print(
            "| clients | s | ok | failed | req/s | p50 ms | p99 ms | p99/p50 | server CPU-s/request | "
            "forwards by requests merged | 1-min load average per slice (start-end) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for clients, load, merged, cpu, loads in rows:
            print(
                f"| {clients} | {load.wall:.0f} | {len(load.latencies)} | {len(load.failed) + len(load.retryable)} | "
                f"{load.throughput:.2f} | {load.pct(50):.0f} | {load.pct(99):.0f} | "
                f"{load.pct(99) / load.pct(50):.2f} | {cpu:.3f} | {merged} | {loads} |",
                flush=True,
            )
        one, many, merged = rows[0][1], rows[1][1], rows[1][2]
        goals = [
            ("0 failed (8 clients)", not many.failed and not many.retryable),
            ("p99 <= 3x p50", many.pct(99) <= 3 * many.pct(50)),
            ("throughput 8 clients >= 1 client", many.throughput >= one.throughput),
            ("a forward served > 1 request", any(k > 1 for k in merged)),
        ]
        if args.restart_duration > 0:
            goals += restart_run(serve, grpc_url, args)
        print("\nGoals: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
        return 0 if all(ok for _, ok in goals) else 1
    finally:
        serve.stop()


def restart_run(serve: Serve, grpc_url: str, args) -> list[tuple[str, bool]]:
    times: dict[str, float] = {}
    stop = threading.Event()
    load_before = loadavg()

    def crash_and_restart(load: Load) -> None:
        start = time.monotonic()
        time.sleep(args.restart_duration / 3)
        times["killed"] = time.monotonic()
        serve.crash()
        times["restart"] = time.monotonic()
        times["ready"] = times["restart"] + serve.start()
        # the run's length, and at least 5 s of answers after the restart
        time.sleep(max(start + args.restart_duration - time.monotonic(), 5.0))
        stop.set()

    load = run_load(
        grpc_url,
        args.clients,
        3 * args.restart_duration + 300,
        args.side,
        during=crash_and_restart,
        stop=stop,
    )
    load_after = loadavg()
    answered = min((t for t in load.ok_at if t > times["restart"]), default=float("nan"))
    ready_s, answer_s = times["ready"] - times["restart"], answered - times["restart"]
    print(
        f"\nRestart run: {args.clients} clients for {load.wall:.0f} s; the tritonserver SIGKILLed after "
        f"{args.restart_duration / 3:.0f} s, `stylefuse serve` gone {times['restart'] - times['killed']:.1f} s "
        f"later and started again: ready {ready_s:.1f} s after the restart, first answer after {answer_s:.1f} s; "
        f"{len(load.latencies)} ok, {len(load.retryable)} retryable errors, {len(load.failed)} other errors; "
        f"load average {load_before} -> {load_after}",
        flush=True,
    )
    for text in sorted(set(load.failed))[:5]:
        print(f"  error: {text}")
    for text in sorted(set(load.retryable))[:2]:
        print(f"  retryable: {text}")
    return [
        ("restart: every request ok or retryable", not load.failed),
        ("restart: ready <= 15 s", ready_s <= 15.0),
        ("restart: answers <= 15 s", answer_s <= 15.0),
    ]


if __name__ == "__main__":
    sys.exit(main())
