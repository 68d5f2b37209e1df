"""A side environment for Triton's python backend stub: numpy<2, plus everything of this environment.

The stub in nvidia-pytriton 0.7.0 is compiled against numpy 1.x; with numpy 2 it silently sends
empty output tensors. The stub finds its Python as `python3` on PATH, so the launcher puts this
environment's bin first: its site-packages hold numpy 1.26 and a .pth file that adds this
environment's site-packages after it (torch, stylefuse, ... built for numpy 2 run on 1.26 too).

    python -m stylefuse_triton.stubenv     # create or refresh it (idempotent); prints its folder
"""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

STUB_NUMPY = "numpy==1.26.4"
PTH_NAME = "zz_stylefuse_main_env.pth"


def stub_env_dir() -> Path:
    return Path(os.environ.get("STYLEFUSE_TRITON_STUB_ENV") or Path(sys.prefix) / "triton-stub-env")


def _site_packages(env: Path) -> Path:
    return env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def stub_env_ready(env: Path) -> bool:
    return (
        (env / "bin" / "python3").exists()
        and (_site_packages(env) / "numpy").is_dir()
        and (_site_packages(env) / PTH_NAME).is_file()
    )


def create_stub_env(env: Path | None = None) -> Path:
    env = env or stub_env_dir()
    if not (env / "bin" / "python3").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = _site_packages(env)
    if not (site / "numpy").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "--no-deps",
                "--target",
                str(site),
                STUB_NUMPY,
            ],
            check=True,
        )
    main_site = sysconfig.get_paths()["purelib"]
    (site / PTH_NAME).write_text(f"import site; site.addsitedir({main_site!r})\n")
    return env


if __name__ == "__main__":
    print(create_stub_env())
