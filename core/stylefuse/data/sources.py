"""Finding training images: folders, explicit files, aligned pairs, and volumes sliced along an axis."""

from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from ..io import SUPPORTED_READ_EXTENSIONS, full_suffix, read_image
from ..pipeline.ranges import to_unit, value_range_of


def list_images(paths: list[str | Path]) -> list[Path]:
    """Files given directly, plus the image and volume files inside given folders (sorted by name)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(
                f for f in p.iterdir() if f.is_file() and full_suffix(f) in SUPPORTED_READ_EXTENSIONS
            )
        elif p.is_file():
            found.append(p)
        else:
            raise UserError(f"training input {p} does not exist")
    if not found:
        raise UserError(f"no images found in {', '.join(map(str, paths))}")
    return found


def take_part(items: list, part: str) -> list:
    """'all', 'first-half' (training split), 'second-half' (held out: the test pairs), or the first
    half cut in two: 'validation' (its last quarter, rounded up; at least one item) and 'train' (the
    rest of the first half). Hyper-parameters are chosen on 'validation' by models trained on 'train',
    so the second half stays unseen by every choice, not only by the weights."""
    if part == "all":
        return items
    half = (len(items) + 1) // 2
    if part == "first-half":
        return items[:half]
    if part == "second-half":
        return items[half:]
    if part in ("train", "validation"):
        n_val = -(-half // 4) if half >= 2 else 0
        return items[: half - n_val] if part == "train" else items[half - n_val : half]
    raise UserError(f"unknown split {part!r}: use all, first-half, second-half, train or validation")


def paired_files(dir_a: str | Path, dir_b: str | Path) -> list[tuple[Path, Path]]:
    """Aligned pairs: files with the same name in two folders."""
    a_files = {f.name: f for f in list_images([dir_a])}
    b_files = {f.name: f for f in list_images([dir_b])}
    common = sorted(set(a_files) & set(b_files))
    if not common:
        raise UserError(f"no file names in common between {dir_a} and {dir_b}")
    return [(a_files[n], b_files[n]) for n in common]


def to_unit_float(array: np.ndarray) -> np.ndarray:
    """Pixels to float32 in [0, 1] by the pipeline's value-range rule (so training sees what inference sees)."""
    return to_unit(array, value_range_of(array))


def to_channels(chw: torch.Tensor, channels: int) -> torch.Tensor:
    """C x H x W with C in 1..4 -> `channels` (alpha dropped; colour -> luma Y for 1 channel)."""
    if chw.shape[0] in (2, 4):
        chw = chw[:-1]
    if channels == 3 and chw.shape[0] == 1:
        return chw.expand(3, -1, -1).contiguous()
    if channels == 1 and chw.shape[0] == 3:
        r, g, b = chw[0:1], chw[1:2], chw[2:3]
        return 0.299 * r + 0.587 * g + 0.114 * b
    return chw


def _as_chw(arr: np.ndarray, channels: int) -> torch.Tensor:
    hwc = arr[:, :, None] if arr.ndim == 2 else arr
    return to_channels(torch.from_numpy(np.ascontiguousarray(hwc)).permute(2, 0, 1), channels)


def load_slices(path: Path, channels: int, axis: int = 0) -> list[torch.Tensor]:
    """An image as one C x H x W float tensor in [0, 1]; a volume (NIfTI, DICOM series, TIFF stack)
    as its slices along `axis` (the whole volume shares one value range)."""
    data = read_image(path)
    unit = to_unit_float(data.array)
    if not data.is_stack:
        return [_as_chw(unit, channels)]
    return [_as_chw(s, channels) for s in np.moveaxis(unit, axis, 0)]


def load_image_tensor(path: Path, channels: int) -> torch.Tensor:
    """One 2-D image (the middle slice of a volume) as C x H x W float in [0, 1]."""
    slices = load_slices(path, channels)
    return slices[len(slices) // 2]


def informative(slices: list[torch.Tensor]) -> list[torch.Tensor]:
    """Drop (nearly) empty slices: the air above and below a head teaches nothing."""
    return [s for s in slices if float(s.max() - s.min()) > 1e-3]


def load_target_pairs(
    files: list[Path], folder: str | Path, styles: list[Path] | None = None
) -> tuple[list, int]:
    """(photo, target) RGB pairs for the photos with a target FOLDER/<stem>.png, the photo shrunk
    (antialiased) to its target's size; and how many photos had none. Targets are paintings of whole
    2-D photos, so a volume among the photos is an error.

    Several `styles` and a FOLDER/<style stem>/ sub-folder for any of them (scripts/make_arbitrary_targets.py):
    per-style targets, (photo, target, style index) triples for every FOLDER/<style stem>/<photo stem>.png;
    `missing` counts the photos with none in any style."""
    import torch.nn.functional as F

    stems = [Path(s).stem for s in styles or []]
    per_style = len(stems) > 1 and any((Path(folder) / s).is_dir() for s in stems)
    places = [(Path(folder) / s, i) for i, s in enumerate(stems)] if per_style else [(Path(folder), None)]
    pairs, missing = [], 0
    for f in files:
        found = [(d / f"{f.stem}.png", i) for d, i in places if (d / f"{f.stem}.png").is_file()]
        missing += not found
        for target_path, index in found:
            pairs.append(_target_pair(f, target_path, F) + ((index,) if per_style else ()))
    if not pairs:
        raise UserError(
            f"--targets: none of the {len(files)} content photos has a target <name>.png in {folder}"
        )
    return pairs, missing


def _target_pair(f: Path, target_path: Path, F) -> tuple[torch.Tensor, torch.Tensor]:
    slices = load_slices(f, 3)
    if len(slices) != 1:
        raise UserError(f"--targets: {f} is a volume ({len(slices)} slices); targets are for 2-D photos")
    photo, target = slices[0], load_image_tensor(target_path, 3)
    if photo.shape[-2:] != target.shape[-2:]:
        if target.shape[-2] > photo.shape[-2] or target.shape[-1] > photo.shape[-1]:
            raise UserError(f"--targets: {target_path} is larger than its photo {f}")
        photo = F.interpolate(
            photo[None],
            size=tuple(target.shape[-2:]),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )[0]
    return photo, target
