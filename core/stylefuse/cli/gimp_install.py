"""`stylefuse gimp-install`: copy the GIMP 3 plug-in into GIMP's user plug-ins folder (or remove it)."""

from __future__ import annotations

import argparse

NAME = "gimp-install"
HELP = "install the GIMP 3 plug-in (Filters > Style & Fusion)"
DESCRIPTION = (
    "Copy the GIMP 3 plug-in into GIMP's user plug-ins folder (restart GIMP afterwards). It runs on "
    "`stylefuse serve` when one answers, else on this installation's stylefuse (recorded beside it; "
    "run gimp-install again after adding models or moving the environment)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gimp-dir",
        metavar="DIR",
        help="GIMP's user folder, the one holding plug-ins/ (default: $GIMP3_DIRECTORY, else "
        "~/.config/GIMP/3.0, ~/Library/Application Support/GIMP/3.0 or %%APPDATA%%\\GIMP\\3.0)",
    )
    p.add_argument("--uninstall", action="store_true", help="remove the plug-in instead")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path  # here, not at the top: `stylefuse --help` imports nothing it does not need

    from ..gimp_install import install, uninstall

    gimp_dir = Path(args.gimp_dir) if args.gimp_dir else None
    if args.uninstall:
        removed = uninstall(gimp_dir)
        print(
            f"removed {removed}" if removed else "the GIMP plug-in was not installed there; nothing to remove"
        )
        return 0
    target = install(gimp_dir)
    print(
        f"installed the GIMP 3 plug-in in {target}\nrestart GIMP, then use Filters > Style & Fusion; it runs "
        "this stylefuse itself, or `stylefuse serve` when one is running (faster for many runs)"
    )
    return 0
