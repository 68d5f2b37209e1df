"""The `stylefuse` console script, run for real, as a terminal sees it: Ctrl-C and SIGTERM leave no
output, and tiled work shows a progress bar."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from cli_helpers import BIN, run_on_terminal, smooth_image

# ------------------------------------------------------------------------------------- interrupted


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_leaves_no_output(sig, env, tmp_path):
    from PIL import Image

    big = tmp_path / "big.png"
    # Big and finely tiled, so that even a fast machine is still working when the signal comes.
    Image.fromarray(smooth_image(2048, 2048, 3, seed=9)).save(big)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # A shell's background jobs (`cmd &`, how CI may run) start with SIGINT ignored, and Python keeps
    # it ignored; give the child the default disposition, as an interactive terminal would.
    proc = subprocess.Popen(
        [str(BIN), "stylize", str(big), "--tile-size", "128", "-o", str(out_dir / "o.png")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4.0)
    assert proc.poll() is None, "finished before it could be interrupted; use a bigger image"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert list(out_dir.iterdir()) == []


# -------------------------------------------------------------------------------------- progress bar


def test_progress_bar_on_a_terminal(inputs, env, tmp_path):
    """With stderr on a terminal, tiled work shows a tqdm bar fed by the pipeline's progress callback."""
    from PIL import Image

    src = tmp_path / "in.png"
    Image.fromarray(smooth_image(160, 160, 3, seed=11)).save(src)
    code, text = run_on_terminal(
        ["stylize", str(src), "--tile-size", "64", "-o", str(tmp_path / "o.png")], env
    )
    assert code == 0, text
    assert "stylize (udnie)" in text and "tile/s" in text, text
