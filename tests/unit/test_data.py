"""Training data: pairs, splits, volumes sliced along an axis, seeded augmentation."""

import numpy as np
import pytest
import torch

from stylefuse.data import (
    PairBatches,
    StyleBatches,
    informative,
    list_images,
    load_slices,
    paired_files,
    random_affine_crop,
    take_part,
)
from stylefuse.errors import UserError
from stylefuse.io import write_image


def _png(path, value, shape=(40, 50)):
    write_image(path, np.full(shape, value, np.uint8))
    return path


def test_paired_files_match_by_name(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for name in ("1.png", "2.png", "3.png"):
        _png(tmp_path / "a" / name, 10)
    for name in ("2.png", "3.png", "4.png"):
        _png(tmp_path / "b" / name, 20)
    pairs = paired_files(tmp_path / "a", tmp_path / "b")
    assert [(a.name, b.name) for a, b in pairs] == [("2.png", "2.png"), ("3.png", "3.png")]
    (tmp_path / "c").mkdir()
    _png(tmp_path / "c" / "9.png", 1)
    with pytest.raises(UserError, match="no file names in common"):
        paired_files(tmp_path / "a", tmp_path / "c")


def test_take_part_splits_halves_without_overlap():
    items = list(range(11))
    first, second = take_part(items, "first-half"), take_part(items, "second-half")
    assert first + second == items and len(first) == 6
    with pytest.raises(UserError):
        take_part(items, "middle")


def test_validation_is_the_last_quarter_of_the_first_half_and_never_trained_on():
    items = list(range(25))  # RoadScene: 13 in the first half, 4 of them for validation
    train, val = take_part(items, "train"), take_part(items, "validation")
    assert train == list(range(9)) and val == [9, 10, 11, 12]
    assert train + val == take_part(items, "first-half")
    assert not set(val) & set(take_part(items, "second-half"))
    assert take_part(list(range(10)), "validation") == [3, 4]  # MRI_CT: 5 in the first half
    assert take_part([0], "validation") == [] and take_part([0], "train") == [0]


def test_missing_training_input_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        list_images([tmp_path / "nope"])


def test_volume_is_sliced_along_the_chosen_axis(tmp_path):
    vol = np.zeros((6, 20, 30), np.int16)
    vol[2:4] = np.arange(30, dtype=np.int16)[None, None, :] * 10 - 100
    path = tmp_path / "v.tif"
    write_image(path, vol, is_stack=True)
    slices = load_slices(path, 1, axis=0)
    assert len(slices) == 6 and slices[0].shape == (1, 20, 30)
    assert len(informative(slices)) == 2  # the empty slices are dropped
    assert len(load_slices(path, 1, axis=2)) == 30
    # One value range for the whole volume: the empty slices sit at its minimum (0 HU here is mid-range).
    assert float(slices[0].max()) == pytest.approx(100 / 290, abs=1e-6)  # range -100..190


def test_augmentation_is_identical_for_both_images_of_a_pair():
    img = torch.rand(1, 64, 80)
    a, b = random_affine_crop([img, img.clone()], 32, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.shape == (1, 32, 32)


def test_batches_are_a_function_of_seed_and_step():
    pairs = [(torch.rand(1, 50, 60), torch.rand(1, 50, 60)) for _ in range(3)]
    batches = PairBatches(pairs, 32, 4, seed=5)
    a1, b1 = batches(17)
    a2, b2 = batches(17)
    a3, _ = batches(18)
    assert torch.equal(a1, a2) and torch.equal(b1, b2) and not torch.equal(a1, a3)
    assert not torch.equal(batches(17, rank=1)[0], a1)  # each DDP rank sees different data


def test_style_batches_upscale_small_images_to_the_crop():
    batches = StyleBatches([torch.rand(3, 20, 30)], [torch.rand(3, 100, 100)], 64, 2, seed=0)
    content, style = batches(0)
    assert content.shape == (2, 3, 64, 64) and style.shape == (2, 3, 64, 64)
