"""DICOM slice geometry, from header attributes only: where a slice lies along the slice normal
(ImagePositionPatient projected on the cross product of ImageOrientationPatient), series order,
and voxel spacing.

Used by ``_dicom``; the order and spacing rules are described there.
"""

from __future__ import annotations

import numpy as np


def _normal_position(ds) -> float | None:
    position, orientation = ds.get("ImagePositionPatient"), ds.get("ImageOrientationPatient")
    if not position or not orientation or len(position) != 3 or len(orientation) != 6:
        return None
    orientation = [float(v) for v in orientation]
    return float(np.dot(np.cross(orientation[:3], orientation[3:]), [float(v) for v in position]))


def _sorted_slices(headers: list) -> list:
    positions = [_normal_position(ds) for _, ds in headers]
    use_position = all(p is not None for p in positions)

    def key(item):
        (file, ds), position = item
        number = ds.get("InstanceNumber")
        return (position if use_position else 0.0, int(number) if number is not None else 0, file.name)

    return [pair for pair, _ in sorted(zip(headers, positions, strict=True), key=key)]


def _spacing(datasets: list, is_stack: bool) -> tuple[float, ...] | None:
    ds = datasets[0]
    if "PixelSpacing" not in ds:
        return None
    rows_cols = (float(ds.PixelSpacing[0]), float(ds.PixelSpacing[1]))
    if not is_stack:
        return rows_cols
    positions = [_normal_position(d) for d in datasets]
    if len(datasets) > 1 and all(p is not None for p in positions):
        dz = float(np.median(np.abs(np.diff(positions))))
    else:
        dz = float(ds.get("SpacingBetweenSlices", ds.get("SliceThickness", 0)) or 0)
    return (dz, *rows_cols) if dz > 0 else rows_cols
