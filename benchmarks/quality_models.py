"""Which models the quality benchmark scores, read from the registry and the model cards: the defaults
of the model options, a fusion model's pair order, a single-style model's painting, a model's description."""

from __future__ import annotations

from pathlib import Path

from stylefuse.registry import list_models, load_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "core" / "stylefuse" / "examples"

FUSION_SETS = {  # set -> default (a, b) folders and group
    "MRI_CT": ("MRI", "CT", "medical"),
    "MRI_PET": ("MRI", "PET", "medical"),
    "MRI_SPECT": ("MRI", "SPECT", "medical"),
    "TNO": ("ir", "vi", "infrared/visible"),
    "RoadScene": ("ir", "vi", "infrared/visible"),
}


def default_models(args) -> None:
    """Fill in the model options the user left out, from the registry and the model cards (fusion
    targets are scored with the default, `fuse(a, b)`; the fusion models only add rows)."""
    entries = list_models()
    shipped = [e for e in entries if e.origin == "shipped"] or entries
    if args.styles is None:
        args.styles = [
            e.name for e in shipped if e.task == "style" and e.card.get("has_default_style", False)
        ]
    if args.arbitrary is None:
        arbitrary = [
            e.name for e in shipped if e.task == "style" and not e.card.get("has_default_style", False)
        ]
        args.arbitrary = arbitrary[0] if arbitrary else ""
    if args.fusion_models is None:
        args.fusion_models = [e.name for e in shipped if e.task == "fuse"]
    if args.ablation is None:
        names = {e.name for e in entries if e.task == "style"}
        pairs = [(n, n + "-noadv") for n in sorted(names) if n + "-noadv" in names]
        args.ablation = list(pairs[0]) if pairs else []


def model_card(name: str) -> dict:
    return load_model(name).card


def pair_order(model_name: str, set_name: str) -> tuple[str, str]:
    """The (a, b) folder order a fusion model was trained with for this set (from its card), else the default."""
    da, db, _ = FUSION_SETS[set_name]
    if model_name:
        for pair in model_card(model_name).get("training", {}).get("config", {}).get("pairs", []):
            parts = pair.split(":")
            if len(parts) == 2 and f"/{set_name}/" in parts[0] + "/":
                first = Path(parts[0]).name
                if first in (da, db):
                    return (da, db) if first == da else (db, da)
    return da, db


def style_image_of(model_name: str) -> Path | None:
    """The painting a single-style model was trained on, found from its card."""
    card = model_card(model_name)
    config = card.get("training", {}).get("config", {})
    candidates = [card.get("style_image")] + list(config.get("style", []))
    for cand in candidates:
        if not cand:
            continue
        p = Path(cand)
        for path in (p, ROOT / p, ROOT.parent / p, DATA / "styles" / p.name, EXAMPLES / p.name):
            if path.is_file():
                return path.resolve()
    return None


def describe_model(name: str) -> str:
    card = model_card(name)
    training = card.get("training", {})
    wall = training.get("wall_time_s")
    wall_txt = f", {wall / 60:.1f} min" if wall else ""
    flag = " [placeholder]" if card.get("placeholder") else ""
    return f"`{name}` ({card.get('task')}, {training.get('steps', '?')} steps{wall_txt}){flag}"
