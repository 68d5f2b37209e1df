"""The Fuse layers widget shows `stylefuse eval`'s numbers for the same images (one function computes both)."""

import json

import numpy as np
from conftest import grey_u16
from test_style import dock, run


def test_widget_metrics_are_stylefuse_eval(viewer, wait_jobs, tmp_path, capsys):
    from stylefuse.cli import main
    from stylefuse.io import write_image

    a = np.stack([grey_u16(44, 48, seed=s) for s in range(3)])
    b = np.stack([grey_u16(44, 48, seed=10 + s)[:, ::-1] for s in range(3)])
    widget = dock(viewer, "Fuse layers")
    widget.a.value, widget.b.value = viewer.add_image(a, name="a"), viewer.add_image(b, name="b")
    widget.slicing.batch.value = 2
    run(widget, wait_jobs)
    shown = widget.metrics_values
    fused = viewer.layers[-1].data
    for name, array in (("f", fused), ("a", a), ("b", b)):
        write_image(tmp_path / f"{name}.tif", array, is_stack=True)
    capsys.readouterr()
    assert (
        main(["eval", str(tmp_path / "f.tif"), str(tmp_path / "a.tif"), str(tmp_path / "b.tif"), "--json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)[0]["metrics"]
    assert set(shown) == set(printed)
    for key, value in printed.items():
        assert shown[key] == value, key
