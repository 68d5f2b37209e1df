"""Everything works with networking disabled: no download, no socket, ever."""

import os
import shutil
import subprocess
import sys

import pytest

# Any attempt to open a network connection fails loudly inside the child process.
_DENY_NETWORK = """
import socket, sys
def _deny(*args, **kwargs):
    raise OSError("network access attempted while networking is disabled")
socket.socket.connect = _deny
socket.socket.connect_ex = _deny
socket.create_connection = _deny
socket.getaddrinfo = _deny
from stylefuse.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(tmp_path):
    env = dict(os.environ, STYLEFUSE_MODELS=str(tmp_path / "models"), NO_PROXY="*", HF_HUB_OFFLINE="1")
    env.pop("http_proxy", None)
    env.pop("https_proxy", None)
    return env


def test_demo_runs_with_sockets_denied(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-c", _DENY_NETWORK, "-q", "demo", "-o", str(out)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "network access attempted" not in proc.stderr
    assert sorted(p.suffix for p in out.iterdir() if p.suffix == ".png")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_demo_runs_in_a_network_namespace_without_interfaces(tmp_path):
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare --net not permitted here: {probe.stderr.decode()[-200:]}")
    out = tmp_path / "demo"
    proc = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "stylefuse.cli", "-q", "demo", "-o", str(out)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any(p.suffix == ".png" for p in out.iterdir())
