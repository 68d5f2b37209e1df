"""Processes around the tritonserver binary: where the wheel's binary and stub are, the server's child
processes (backend stubs) and the shared-memory regions they map, and the loopback check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from stylefuse.errors import UserError

SHM_PREFIX = "triton_python_backend_shm_region"
# The wheel's python backend stub is built against numpy 1.x: under numpy 2 it returns EMPTY output
# tensors (no error). When this environment has numpy 2, the stub runs in a small side environment
# (`python -m stylefuse_triton.stubenv`) holding numpy<2 and reaching everything else in this one.
STUB_ENV_VAR = "STYLEFUSE_TRITON_STUB_ENV"


def stub_bin() -> Path:
    """The bin folder whose `python3` the backend stub should find first on PATH."""
    import numpy

    from .stubenv import stub_env_dir, stub_env_ready

    if int(numpy.__version__.split(".")[0]) < 2:
        return Path(sys.executable).parent
    env = stub_env_dir()
    if not stub_env_ready(env):
        raise UserError(
            f"numpy {numpy.__version__} is installed, but Triton's python backend stub needs numpy<2; "
            f"create its side environment once with: {sys.executable} -m stylefuse_triton.stubenv "
            f"(or set ${STUB_ENV_VAR} to one)"
        )
    return env / "bin"


def pytriton_dir() -> Path:
    """The folder of the `tritonserver` distribution inside the installed nvidia-pytriton wheel."""
    spec = importlib.util.find_spec("pytriton")  # located, not imported: its Python API is not needed
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "the Triton server is not installed; install it with: "
            "pip install --no-deps nvidia-pytriton==0.7.0 (and pip install 'stylefuse[serve]')"
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "tritonserver"
    if not (folder / "bin" / "tritonserver").is_file():
        raise UserError(f"no tritonserver binary in {folder}; reinstall nvidia-pytriton==0.7.0")
    return folder


def _children(pid: int) -> list[int]:
    """Direct and indirect child processes of `pid` (psutil)."""
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:  # gone, or not ours to look at
        return []


def _is_stub(pid: int) -> bool:
    import psutil

    try:
        return any("triton_python_backend_stub" in part for part in psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def _mapped_shm(pids: list[int]) -> set[str]:
    """The python backend's shared-memory regions (/dev/shm files) that `pids` have mapped."""
    import psutil

    names = set()
    for pid in pids:
        try:
            maps = psutil.Process(pid).memory_maps(grouped=True)
        except psutil.Error:
            continue
        names |= {
            m.path.split(" (deleted)")[0]
            for m in maps
            if m.path.startswith("/dev/shm/") and SHM_PREFIX in m.path
        }
    return names


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, ports: tuple[int, ...]) -> str | None:
    """The warning `stylefuse serve` prints when it listens beyond this machine (None on loopback)."""
    if is_loopback(host):
        return None
    where = "every network interface" if host in ("0.0.0.0", "::", "") else host
    return (
        f"stylefuse serve: warning: listening on {where} (ports {', '.join(map(str, ports))}): anyone who "
        "can reach this machine can send images and get the results, without authentication; "
        "leave out --host (127.0.0.1, this machine only) unless that is what you want"
    )
