"""Training a fusion model with synthetic pairs (ground truth) mixed into the real ones."""

import json

import pytest
import torch

from stylefuse.errors import UserError
from stylefuse.training.config import TrainConfig
from stylefuse.training.loop import load_data, train, unpack_batch


def _cfg(shared, tmp_path, **kw) -> TrainConfig:
    tno = shared / "fusion" / "TNO"
    base = dict(
        task="fuse",
        name="synth-test",
        pairs=[f"{tno / 'ir'}:{tno / 'vi'}"],
        split="first-half",
        synthetic=[str(tno / "vi")],
        synthetic_skimage="brick",
        steps=4,
        crop=32,
        batch=4,
        checkpoint_every=2,
        val_every=2,
        log_every=1,
        threads=1,
        run_dir=str(tmp_path / "run"),
        out_dir=str(tmp_path / "models" / "synth-test"),
    )
    return TrainConfig(**(base | kw))


def test_batches_mix_real_and_synthetic_rows(shared_data, tmp_path):
    pytest.importorskip("skimage")
    batches, _ = load_data(_cfg(shared_data, tmp_path, batch=8, synthetic_fraction=0.75))
    x, y, truth, rows = unpack_batch(batches(0))
    assert x.shape == y.shape == truth.shape == (8, 1, 32, 32)
    assert rows.tolist() == [False, False] + [True] * 6
    again = unpack_batch(batches(0))
    assert all(torch.equal(p, q) for p, q in zip((x, y, truth, rows), again, strict=True))


def test_train_with_synthetic_pairs_exports_and_says_so(shared_data, tmp_path):
    pytest.importorskip("skimage")
    out = train(_cfg(shared_data, tmp_path))
    card = json.loads((out / "card.json").read_text())
    assert "TNO/vi" in card["description"] and "scikit-image brick" in card["description"]
    assert {"psnr_to_truth", "ssim_to_truth"} <= set(card["metrics"]["validation"])
    assert card["training"]["config"]["synthetic_skimage"] == "brick"


def test_synthetic_options_are_checked(shared_data, tmp_path):
    with pytest.raises(UserError, match="synthetic-fraction"):
        _cfg(shared_data, tmp_path, synthetic_fraction=1.5).validate()
    with pytest.raises(UserError, match="benchmark"):
        load_data(_cfg(shared_data, tmp_path, synthetic_skimage="brick,astronaut"))
    # synthetic pairs alone are enough data for a fusion model
    TrainConfig(task="fuse", synthetic_skimage="brick").validate()
