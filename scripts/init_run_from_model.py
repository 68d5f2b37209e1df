"""Start a training run from an exported style model's weights (a fine-tune): writes RUN_DIR/checkpoints/last.pt.

    python scripts/init_run_from_model.py MODEL_FOLDER RUN_DIR
    stylefuse train ... --run-dir RUN_DIR --resume --steps N   # N counts from 0

The checkpoint holds the model's generator weights (from its TorchScript model.pt, same
architecture as the card's), a fresh discriminator and fresh Adam states, step 0: `--resume` then
trains the new losses from the shipped generator instead of from random weights. The discriminator
is built with the training defaults (`--d-scales 2 --d-base 16`); give those flags unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from stylefuse.models import build_discriminator, build_generator
from stylefuse.training.checkpoint import save_checkpoint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_folder")
    parser.add_argument("run_dir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder, run_dir = Path(args.model_folder), Path(args.run_dir)
    card = json.loads((folder / "card.json").read_text())
    if card.get("task") != "style":
        parser.error(f"{folder} is not a style model")
    torch.manual_seed(args.seed)
    config = dict(card["architecture"]["config"])
    generator = build_generator("style", **config)
    scripted = torch.jit.load(str(folder / "model.pt"), map_location="cpu")
    generator.load_state_dict(scripted.state_dict())
    disc = build_discriminator(generator.channels, n_scales=2, base=16)
    opt_g = torch.optim.Adam(generator.parameters())
    opt_d = torch.optim.Adam(disc.parameters())
    state = {
        "step": 0,
        "generator": generator.state_dict(),
        "discriminator": disc.state_dict(),
        "opt_g": opt_g.state_dict(),
        "opt_d": opt_d.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "config": json.dumps({"initialised_from": str(folder)}),
        "device": "cpu",
    }
    save_checkpoint(run_dir / "checkpoints" / "last.pt", state)
    print(f"{run_dir / 'checkpoints' / 'last.pt'}: {card['name']} weights, step 0", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
