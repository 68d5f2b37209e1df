"""The adversarial term is live; export checks parity and the TorchScript stands alone."""

import subprocess
import sys
import textwrap

import pytest
import torch

from stylefuse.export import ExportError, check_parity, export_generator, script_generator
from stylefuse.losses import discriminator_loss, generator_loss
from stylefuse.models import build_discriminator, build_generator
from stylefuse.training.config import TrainConfig
from stylefuse.training.steps import build_task_loss, g_step_loss


@pytest.mark.parametrize("task", ["style", "fuse"])
def test_adversarial_weight_changes_generator_gradients(task):
    cfg = TrainConfig(task=task, style=["x"], content=["y"], pairs=["a:b"])
    torch.manual_seed(0)
    g = build_generator(task, **cfg.generator_config())
    d = build_discriminator(g.channels)
    loss = build_task_loss(cfg)
    x = torch.rand(2, g.channels, 64, 64)
    y = torch.rand(2, g.channels, 64, 64)

    def grads(adv_weight: float) -> list[torch.Tensor]:
        cfg.adv_weight = adv_weight
        g.zero_grad()
        terms = g_step_loss(cfg, loss, d, g(x, y), x, y, torch.Generator().manual_seed(1))
        terms["total"].backward()
        return [p.grad.clone() for p in g.parameters() if p.grad is not None]

    without, with_adv = grads(0.0), grads(TrainConfig.adv_weight)
    diff = max((a - b).abs().max().item() for a, b in zip(without, with_adv, strict=False))
    assert diff > 1e-7, "the adversarial term does not reach G's gradients"


@pytest.mark.parametrize("kind", ["bce", "hinge", "lsgan"])
def test_adversarial_losses_have_the_right_sign(kind):
    good, bad = torch.full((4, 1, 3, 3), 5.0), torch.full((4, 1, 3, 3), -5.0)
    # D is right: low loss; D is wrong: high loss. G fooling D: low loss.
    assert discriminator_loss(good, bad, kind) < discriminator_loss(bad, good, kind)
    assert generator_loss(good, kind) < generator_loss(bad, kind)


def test_bce_matches_the_source_formula():
    real, fake = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    expected = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    assert torch.allclose(discriminator_loss(real, fake, "bce"), expected, atol=1e-5)
    assert torch.allclose(generator_loss(fake, "bce"), -torch.log(torch.sigmoid(fake)).mean(), atol=1e-5)


class _Drifting(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, a, b):
        return self.inner(a, b) + 1e-3


def test_export_fails_loudly_when_torchscript_differs():
    g = build_generator("fuse", channels=1)
    scripted = script_generator(g)
    assert check_parity(g, scripted) <= 1e-4
    with pytest.raises(ExportError, match="differs from eager"):
        check_parity(g, _Drifting(scripted))


@pytest.mark.parametrize("task", ["style", "fuse"])
def test_exported_torchscript_runs_without_stylefuse(task, tmp_path):
    torch.manual_seed(0)
    g = build_generator(task, **TrainConfig(task=task).generator_config())
    if task == "style":
        g.set_default_style(torch.rand(1, 3, 64, 64))
    out = export_generator(g, tmp_path / "m")
    x = torch.rand(1, g.channels, 257, 311)
    with torch.no_grad():
        expected = g(x, x)
    torch.save({"x": x, "y": expected}, tmp_path / "io.pt")
    script = textwrap.dedent(f"""
        import sys
        sys.modules["stylefuse"] = None  # any import of stylefuse now fails
        import torch
        m = torch.jit.load({str(out / "model.pt")!r})
        d = torch.load({str(tmp_path / "io.pt")!r})
        y = m(d["x"], d["x"])
        err = (y - d["y"]).abs().max().item()
        assert err <= 1e-4, err
        print("standalone ok", err)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0 and "standalone ok" in proc.stdout, proc.stderr[-2000:]
