"""Sample data that needs no network: MNI152 from the nilearn wheel, a brain slice pair, a painting."""

import importlib.util
from pathlib import Path

import numpy as np

from stylefuse.errors import UserError

MNI_FILES = {
    "t1": "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
    "gm": "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
    "wm": "mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz",
}


def examples_dir() -> Path:
    """stylefuse's bundled example images (found without importing stylefuse's torch modules)."""
    spec = importlib.util.find_spec("stylefuse")
    return Path(spec.origin).parent / "examples"


def mni_path(kind: str = "t1") -> Path:
    """A file of the MNI152 2009a template inside the installed nilearn package (not imported)."""
    spec = importlib.util.find_spec("nilearn")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the MNI152 sample needs nilearn installed (pip install 'stylefuse[napari]')")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / MNI_FILES[kind]
    if not path.is_file():
        raise UserError(f"nilearn is installed but has no {path.name}")
    return path


def read_mni(kind: str = "t1") -> tuple[np.ndarray, tuple[float, ...], Path]:
    """An MNI152 volume as Z x Y x X (axial slices, anterior up) and its voxel size in mm."""
    import nibabel

    path = mni_path(kind)
    image = nibabel.load(str(path))
    data = np.asarray(image.dataobj)  # RAS: x (right), y (anterior), z (superior); uint8 here
    zooms = tuple(float(z) for z in image.header.get_zooms()[:3])
    volume = np.ascontiguousarray(data.transpose(2, 1, 0)[::-1, ::-1, :])  # top slice first, anterior up
    return volume, (zooms[2], zooms[1], zooms[0]), path


def _mni_layer(kind: str, name: str, **extra):
    volume, scale, path = read_mni(kind)
    return (
        volume,
        {
            "name": name,
            "scale": scale,
            "metadata": {"source": str(path), "template": "MNI152 2009a sym"},
            **extra,
        },
        "image",
    )


def mni152_t1():
    return [_mni_layer("t1", "MNI152 T1")]


def mni152_tissues():
    return [
        _mni_layer("t1", "MNI152 T1"),
        _mni_layer("gm", "MNI152 grey matter", colormap="magenta", blending="additive", opacity=0.5),
        _mni_layer("wm", "MNI152 white matter", colormap="green", blending="additive", opacity=0.5),
    ]


def _read_picture(name: str) -> np.ndarray:
    from PIL import Image

    with Image.open(examples_dir() / name) as image:
        return np.asarray(image)


def brain_t1_pd():
    source = {"source": "BrainWeb via ITK examples (see stylefuse/examples/LICENSES.md)"}
    return [
        (_read_picture("brain_t1.png"), {"name": "brain T1", "metadata": source}, "image"),
        (_read_picture("brain_pd.png"), {"name": "brain PD", "metadata": source}, "image"),
    ]


def udnie():
    picture = _read_picture("udnie.jpg")
    return [
        (
            picture,
            {
                "name": "udnie",
                "rgb": picture.ndim == 3,
                "metadata": {"source": "Francis Picabia, Udnie (1913), public domain"},
            },
            "image",
        )
    ]
