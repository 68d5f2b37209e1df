"""Flicker section of the quality benchmark: mean |change| between adjacent stylized slices of a real
MRI volume, against the input's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench_images import load_u8, rgb
from quality_models import style_image_of
from report import Report, fmt

from stylefuse.pipeline import stylize

FLICKER_TARGET = 1.2


def mri_volume(args) -> tuple[str, np.ndarray] | None:
    """A real MRI volume as uint8 (Z, H, W) axial slices: MNI152 T1 (nilearn), ITK's T1, or nibabel's."""
    candidates = []
    try:
        import nilearn

        candidates.append(
            (
                "MNI152 T1 (nilearn)",
                Path(nilearn.__file__).parent
                / "datasets"
                / "data"
                / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
            )
        )
    except ImportError:
        pass
    candidates.append(
        (
            "ITK KmeansTest T1",
            Path("/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz"),
        )
    )
    try:
        import nibabel

        candidates.append(
            ("nibabel anatomical.nii", Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii")
        )
    except ImportError:
        pass
    for label, path in candidates:
        if not path.is_file():
            continue
        import nibabel

        vol = np.asarray(nibabel.load(str(path)).dataobj).astype(np.float64)
        vol = np.moveaxis(vol, 2, 0)[:, ::-1]  # axial slices first
        lo, hi = np.percentile(vol, 0.5), np.percentile(vol, 99.5)
        vol = np.round(np.clip((vol - lo) / max(hi - lo, 1e-9), 0, 1) * 255).astype(np.uint8)
        n = 8 if args.quick else 40
        mid = vol.shape[0] // 2
        start = max(0, mid - n // 2)
        return f"{label}, slices {start}..{start + min(n, vol.shape[0]) - 1} of {vol.shape[0]}", vol[
            start : start + n
        ]
    return None


def flicker_section(args, report: Report) -> None:
    report.say("## Flicker on a real MRI volume")
    report.say()
    found = mri_volume(args)
    if found is None:
        report.say("n/a: no MRI volume found (nilearn, insighttoolkit5-examples or nibabel)")
        report.target(f"flicker <= {FLICKER_TARGET}x the input's", "no volume", None)
        return
    label, vol = found
    report.say(
        f"{label}, {vol.shape[1]}x{vol.shape[2]}, stylized as one stack (grey in, grey out, as the "
        "pipeline does). Flicker = mean |S(z+1) - S(z)| of the stylized slices / mean |I(z+1) - I(z)| of "
        "the input slices."
    )
    report.say()
    base = float(np.mean(np.abs(np.diff(vol.astype(np.float64), axis=0))))
    rows, ratios = [], []
    models = [(m, None) for m in args.styles]
    if args.arbitrary:
        ref_path = style_image_of(args.styles[0]) if args.styles else None
        ref_path = ref_path or next(iter(sorted((Path(args.data) / "styles").glob("*.jpg"))), None)
        if ref_path is not None:
            models.append((args.arbitrary, ref_path))
    for model, ref in models:
        reference = rgb(load_u8(ref)) if ref is not None else None
        out = stylize(vol, model=model, reference=reference, is_stack=True)
        change = float(np.mean(np.abs(np.diff(out.astype(np.float64), axis=0))))
        ratio = change / base
        ratios.append((model, ratio))
        rows.append(
            [
                f"`{model}`" + (f" (reference {ref.name})" if ref is not None else ""),
                fmt(base, 2),
                fmt(change, 2),
                fmt(ratio, 3),
            ]
        )
    report.table(["model", "input change", "stylized change", "ratio"], rows)
    if ratios:
        worst = max(ratios, key=lambda r: r[1])
        report.target(
            f"flicker <= {FLICKER_TARGET}x the input's (every style model)",
            f"worst {worst[1]:.3f} (`{worst[0]}`); " + ", ".join(f"{m} {r:.3f}" for m, r in ratios),
            worst[1] <= FLICKER_TARGET,
        )
