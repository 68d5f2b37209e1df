"""Run a batch script in the real GIMP 3 of the cached Debian trixie root (scripts/gimp_root.sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "gimp_plugin" / "stylefuse-gimp"
DEFAULT_ROOT = "/var/cache/stylefuse/gimp3-root"


def gimp_root() -> Path | None:
    root = Path(os.environ.get("STYLEFUSE_GIMP3_ROOT") or DEFAULT_ROOT)
    return root if (root / ".stylefuse-ready").is_file() and (root / "usr/bin/gimp-console-3.0").exists() else None


def skip_reason() -> str | None:
    if gimp_root() is None:
        return (f"no GIMP 3 root at ${{STYLEFUSE_GIMP3_ROOT:-{DEFAULT_ROOT}}}; build it with "
                "scripts/gimp_root.sh (as root; ./scripts/test does it)")
    if os.geteuid() != 0:
        return "running GIMP 3 in its trixie root needs chroot (root)"
    return None


class GimpSession:
    """A scratch folder inside the root with a GIMP config holding the plug-in (a fresh copy)."""

    def __init__(self, root: Path):
        self.root = root
        self.inner = f"/tmp/stylefuse-test-{uuid.uuid4().hex[:10]}"  # path as GIMP sees it
        self.dir = root / self.inner.lstrip("/")
        (self.dir / "home").mkdir(parents=True)
        (self.dir / "cfg" / "plug-in-settings").mkdir(parents=True)  # where GIMP keeps last values
        shutil.copytree(PLUGIN_DIR, self.dir / "cfg" / "plug-ins" / PLUGIN_DIR.name,
                        ignore=shutil.ignore_patterns("__pycache__"))

    def run(self, script: str, timeout: float = 240) -> subprocess.CompletedProcess:
        """Run python-fu code; `SPEC_DIR` is this session's folder as seen inside the root."""
        code = f'SPEC_DIR = "{self.inner}"; exec(open("{self.inner}/{script}").read())'
        cmd = ["chroot", str(self.root), "env", "-i", f"HOME={self.inner}/home", "PATH=/usr/bin:/bin",
               "LANG=C.UTF-8", f"GIMP3_DIRECTORY={self.inner}/cfg",
               "gimp-console-3.0", "-i", "--batch-interpreter=python-fu-eval", "-b", code, "--quit"]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
