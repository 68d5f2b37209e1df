"""Style training with synthesis targets (--targets): the paired loss is live end to end."""

import json

import numpy as np
import pytest
import torch

from stylefuse.data import load_image_tensor
from stylefuse.errors import UserError
from stylefuse.io import write_image
from stylefuse.losses.paired import band_statistics_loss
from stylefuse.models import build_generator
from stylefuse.training.checkpoint import load_checkpoint
from stylefuse.training.config import TrainConfig
from stylefuse.training.loop import load_data, train, unpack_batch

TARGET_RGB = (0.85, 0.30, 0.20)


def _folders(tmp_path, n: int = 3):
    rng = np.random.default_rng(0)
    photos, targets = tmp_path / "photos", tmp_path / "targets"
    photos.mkdir()
    targets.mkdir()
    for i in range(n):
        # photos twice the targets' size: the loader must shrink each photo to its target
        write_image(photos / f"p{i}.png", rng.integers(0, 256, (96, 80, 3), dtype=np.uint8))
        write_image(
            targets / f"p{i}.png",
            np.broadcast_to(np.uint8(np.round(np.array(TARGET_RGB) * 255)), (48, 40, 3)).copy(),
        )
    painting = tmp_path / "painting.png"
    write_image(painting, rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    return photos, targets, painting


def _cfg(tmp_path, photos, targets, painting, **kw) -> TrainConfig:
    # Every other term off: only the paired loss can pull the output towards the constant target
    # (without it every gradient is zero and the output stays the photo: |out - target| = the photo's).
    base = dict(
        task="style",
        name="paired-test",
        style=[str(painting)],
        content=[str(photos)],
        targets=str(targets),
        crop=32,
        batch=2,
        steps=40,
        lr_g=3e-3,
        widths="4,8",
        n_res=1,
        style_weight=0.0,
        content_weight=0.0,
        color_weight=0.0,
        structure_weight=0.0,
        tv_weight=0.0,
        texture_weight=0.0,
        adv_weight=0.0,
        paired_weight=1.0,
        band_weight=0.0,
        style_side=64,
        no_palette=True,
        checkpoint_every=1000,
        val_every=1000,
        log_every=1000,
        threads=1,
        run_dir=str(tmp_path / "run"),
        out_dir=str(tmp_path / "model"),
    )
    return TrainConfig(**(base | kw))


def test_photo_and_target_get_the_same_crop(tmp_path):
    photos, targets, painting = _folders(tmp_path)
    # a target that is the photo itself (shrunk): any misalignment of the crops would show
    for f in sorted(photos.iterdir()):
        img = load_image_tensor(f, 3)
        small = torch.nn.functional.interpolate(img[None], size=(48, 40), mode="bilinear", antialias=True)[0]
        write_image(targets / f.name, (small.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    batches, _ = load_data(_cfg(tmp_path, photos, targets, painting, batch=4))
    x, y, truth, rows = unpack_batch(batches(3))
    assert x.shape == y.shape == truth.shape == (4, 3, 32, 32) and rows is None
    assert (x - truth).abs().mean() < 0.01


def test_generator_moves_towards_the_targets(tmp_path):
    photos, targets, painting = _folders(tmp_path)
    cfg = _cfg(tmp_path, photos, targets, painting)
    train(cfg)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["targets"] == str(targets) and saved["paired_weight"] == 1.0
    gen = build_generator("style", **cfg.generator_config())
    gen.load_state_dict(load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["generator"])
    gen.eval()
    photo = load_image_tensor(photos / "p0.png", 3)[None]
    target = torch.tensor(TARGET_RGB).view(1, 3, 1, 1)
    with torch.no_grad():
        out = gen(photo, photo)
    before = (photo - target).abs().mean().item()
    after = (out - target).abs().mean().item()
    assert after < 0.75 * before, f"paired loss not used: |out - target| {after:.3f} vs photo's {before:.3f}"


def test_missing_targets_and_wrong_task_are_errors(tmp_path):
    photos, _, painting = _folders(tmp_path)
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(UserError, match="none of the 3 content photos"):
        load_data(_cfg(tmp_path, photos, empty, painting))
    with pytest.raises(UserError, match="--task style"):
        TrainConfig(task="fuse", pairs=["a:b"], targets=str(empty)).validate()


def test_band_statistics_ask_for_the_targets_detail():
    g = torch.Generator().manual_seed(0)
    textured = torch.rand(2, 3, 48, 48, generator=g)
    flat = torch.full_like(textured, 0.5)
    assert band_statistics_loss(textured, textured).item() < 1e-6
    # shifted texture: nearly the same statistics (only the borders differ), so little cost for a
    # stroke in another place, which L1 would charge in full; a flat output costs far more
    shifted = band_statistics_loss(textured.roll(7, dims=-1), textured).item()
    flat_cost = band_statistics_loss(flat + 1e-3 * torch.randn(flat.shape, generator=g), textured).item()
    assert shifted < 0.1 * flat_cost
