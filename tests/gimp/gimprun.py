"""Run a batch script in the real GIMP 3 of the cached Debian trixie root (scripts/gimp_root.sh)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "gimp_plugin" / "stylefuse-gimp"
DEFAULT_ROOT = "/var/cache/stylefuse/gimp3-root"


def gimp_root() -> Path | None:
    root = Path(os.environ.get("STYLEFUSE_GIMP3_ROOT") or DEFAULT_ROOT)
    return (
        root
        if (root / ".stylefuse-ready").is_file() and (root / "usr/bin/gimp-console-3.0").exists()
        else None
    )


def skip_reason() -> str | None:
    if gimp_root() is None:
        return (
            f"no GIMP 3 root at ${{STYLEFUSE_GIMP3_ROOT:-{DEFAULT_ROOT}}}; build it with "
            "scripts/gimp_root.sh (as root; ./scripts/test does it)"
        )
    if os.geteuid() != 0:
        return "running GIMP 3 in its trixie root needs chroot (root)"
    return None


def host_python_paths() -> list[Path]:
    """The folders this test's stylefuse runs from (checkout, virtual environment, base interpreter)."""
    paths = sorted(
        {REPO, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}, key=lambda p: len(p.parts)
    )
    kept: list[Path] = []
    for p in paths:
        if not any(p == k or k in p.parents for k in kept):
            kept.append(p)
    return kept


class GimpSession:
    """A scratch folder inside the root with a GIMP config holding the plug-in, installed as a user
    does (`stylefuse gimp-install`, which records this interpreter's core and its models).

    local_core: GIMP runs in a mount namespace of its own where this checkout and its Python are
    bind-mounted (read-only) at their own paths inside the root, so the plug-in can run the recorded
    core (the server-less path), as on a machine where GIMP and stylefuse are installed side by side
    (/proc and /sys too, as the core's torch expects).
    Without it the recorded core does not exist inside the root.
    """

    def __init__(self, root: Path, local_core: bool = False):
        from stylefuse.gimp_install import install

        self.root, self.local_core = root, local_core
        self.inner = f"/tmp/stylefuse-test-{uuid.uuid4().hex[:10]}"  # path as GIMP sees it
        self.dir = root / self.inner.lstrip("/")
        (self.dir / "home").mkdir(parents=True)
        (self.dir / "cfg" / "plug-in-settings").mkdir(parents=True)  # where GIMP keeps last values
        install(self.dir / "cfg")

    def command(self, script: str, display: str | None = None) -> list[str]:
        """gimp-console running `script`; with display, the GUI on that X display (left running)."""
        code = f'SPEC_DIR = "{self.inner}"; exec(open("{self.inner}/{script}").read())'
        gimp = ["gimp-console-3.0", "-i", "--batch-interpreter=python-fu-eval", "-b", code, "--quit"]
        if display:
            gimp = [
                f"DISPLAY={display}",
                "gimp-3.0",
                "-n",
                "-s",
                "--batch-interpreter=python-fu-eval",
                "-b",
                code,
            ]
        cmd = [
            "chroot",
            str(self.root),
            "env",
            "-i",
            f"HOME={self.inner}/home",
            "PATH=/usr/bin:/bin",
            "LANG=C.UTF-8",
            f"GIMP3_DIRECTORY={self.inner}/cfg",
            *gimp,
        ]
        if not self.local_core:
            return cmd
        mounts = []
        for p in ("/proc", "/sys"):  # torch reads the CPU's features there (no AVX2 seen without them)
            mounts.append(f"mount --bind {p} {shlex.quote(str(self.root / p.lstrip('/')))}")
        for p in host_python_paths():
            target = shlex.quote(str(self.root / str(p).lstrip("/")))
            mounts.append(
                f"mkdir -p {target} && mount --bind {shlex.quote(str(p))} {target} && "
                f"mount -o remount,bind,ro {target}"
            )
        script_text = " && ".join(mounts + ["exec " + shlex.join(cmd)])
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script_text]

    def start(self, script: str) -> subprocess.Popen:
        """Start python-fu code in the background (`SPEC_DIR`: this session's folder inside the root)."""
        return subprocess.Popen(
            self.command(script), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self, script: str, timeout: float = 240) -> subprocess.CompletedProcess:
        """Run python-fu code; `SPEC_DIR` is this session's folder as seen inside the root."""
        return subprocess.run(self.command(script), capture_output=True, text=True, timeout=timeout)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
