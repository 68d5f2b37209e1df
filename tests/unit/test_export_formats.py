"""ONNX and torch.export artefacts of a generator: parity with the eager model on several H/W (odd
sizes, a batch, the smallest side), each read back by its own loader (onnxruntime, torch.export.load),
and a card that lists the formats."""

import json

import numpy as np
import pytest
import torch

from stylefuse.export import (
    FORMATS,
    TILE_INPUTS,
    TILE_OUTPUT,
    export_generator,
    min_side,
    reexport_model_folder,
)
from stylefuse.models import build_generator
from stylefuse.registry import model_formats

ort = pytest.importorskip("onnxruntime", reason="install the export extra: pip install 'stylefuse[export]'")
pytest.importorskip("onnxscript", reason="install the export extra: pip install 'stylefuse[export]'")

# small generators: the export traces every op, so fewer blocks export faster (same code paths)
SMALL = {
    "style": dict(channels=3, widths=(8, 16, 16), n_res=1, code_dim=8, noise_dim=0, full=4),
    "fuse": dict(channels=1, widths=(8, 8, 16), n_res=1, full=4, focus_radius=2),  # the focus hybrid
}
SIZES = [(1, 64, 64), (1, 257, 311), (1, 130, 97), (3, 33, 45)]


def _generator(task: str):
    torch.manual_seed(0)
    g = build_generator(task, **SMALL[task])
    with torch.no_grad():  # a trained-looking head (the fresh one is close to the identity)
        g.head.weight.normal_(std=0.3)
    if task == "style":
        g.set_default_style(torch.rand(1, 3, 64, 64))
    return g.eval()


def _inputs(g, n: int, h: int, w: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    source = torch.rand(n, g.channels, h, w, generator=gen)
    if g.task == "style":
        return source, torch.randn(n, g.config["code_dim"], generator=gen)
    return source, torch.rand(n, g.channels, h, w, generator=gen)


def _eager(g, a, b):
    with torch.inference_mode():
        return g.forward_code(a, b) if g.task == "style" else g(a, b)


@pytest.fixture(scope="module", params=["style", "fuse"])
def exported(request, tmp_path_factory):
    g = _generator(request.param)
    folder = export_generator(g, tmp_path_factory.mktemp(request.param) / "m", "m", formats=tuple(FORMATS))
    return g, folder


def test_card_lists_every_format(exported):
    g, folder = exported
    card = json.loads((folder / "card.json").read_text())
    assert model_formats(card) == ["torchscript", "onnx", "export"]
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.onnx", "model.pt", "model.pt2"]
    for fmt, entry in card["formats"].items():
        assert (folder / entry["file"]).is_file() and entry["file"] == FORMATS[fmt]
        if fmt != "torchscript":
            assert entry["inputs"] == list(TILE_INPUTS[g.task]) and entry["outputs"] == [TILE_OUTPUT]
            assert entry["min_side"] == min_side(g) and entry["parity_max_abs"] <= 1e-4
    if g.task == "style":  # an ONNX user needs the built-in style's code: the card carries it
        assert np.allclose(card["formats"]["onnx"]["default_code"], g.default_code[0].numpy())


def test_onnx_matches_eager_through_onnxruntime(exported):
    g, folder = exported
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == list(TILE_INPUTS[g.task])
    assert [o.name for o in session.get_outputs()] == [TILE_OUTPUT]
    side = min_side(g)
    for i, (n, h, w) in enumerate([*SIZES, (1, side, side + 1)]):
        a, b = _inputs(g, n, h, w, seed=10 + i)
        (got,) = session.run(None, {TILE_INPUTS[g.task][0]: a.numpy(), TILE_INPUTS[g.task][1]: b.numpy()})
        want = _eager(g, a, b)
        assert got.shape == tuple(want.shape)
        assert np.abs(got - want.numpy()).max() <= 1e-4, (n, h, w)


def test_torch_export_matches_eager_through_its_loader(exported):
    g, folder = exported
    module = torch.export.load(str(folder / "model.pt2")).module()
    for i, (n, h, w) in enumerate(SIZES):
        a, b = _inputs(g, n, h, w, seed=20 + i)
        with torch.inference_mode():
            got = module(a, b)
        assert (got - _eager(g, a, b)).abs().max().item() <= 1e-5, (n, h, w)


def test_min_side_is_where_the_mirrored_padding_starts():
    g = _generator("style")
    edge, m = g.edge_pad, g.multiple
    side = min_side(g)
    assert all(s > edge + (m - s % m) % m for s in range(side, side + 4 * m))
    assert not side - 1 > edge + (m - (side - 1) % m) % m


def test_reexport_keeps_the_formats(exported, tmp_path):
    import shutil

    g, folder = exported
    if g.task != "fuse":
        pytest.skip("one task is enough: re-export runs the same writer")
    copy = tmp_path / "m"
    shutil.copytree(folder, copy)
    card = json.loads((copy / "card.json").read_text())
    del card["formats"]["onnx"]  # (ONNX is the slow one to write; the export format shows the rule)
    (copy / "card.json").write_text(json.dumps(card))
    (copy / "model.onnx").unlink()
    reexport_model_folder(copy)
    card = json.loads((copy / "card.json").read_text())
    assert model_formats(card) == ["torchscript", "export"]
    assert sorted(p.name for p in copy.iterdir()) == ["card.json", "model.pt", "model.pt2"]


def test_formats_of_a_card_without_them():
    assert model_formats({"task": "style"}) == ["torchscript"]
    assert model_formats({"formats": {"torchscript": {}, "onnx": {}}}) == ["torchscript", "onnx"]
