"""The parser, built from the command table, and `main`: where every error becomes an exit code.

Exit codes: 0 success; 2 a user mistake (one line on stderr: `stylefuse: error: ...`, no traceback,
inputs untouched, no partial output) or a batch with failed files; 130 interrupted (Ctrl-C /
SIGTERM); 1 anything else.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Collection

from .. import __version__
from ..errors import UserError
from . import demo, evaluate, export, fuse, gimp_install, models, serve, stylize, train
from .options import (
    EXIT_INTERRUPTED,
    EXIT_USER_ERROR,
    PROG,
    CliParser,
    add_common_options,
    one_line,
    set_verbosity,
)

# The command table: one module each, with NAME, HELP, DESCRIPTION, add_arguments(parser), run(args).
# Modules import only the standard library at the top; numpy/torch come inside run().
COMMANDS = (stylize, fuse, models, evaluate, export, serve, train, gimp_install, demo)

_DESCRIPTION = """\
GAN-based style transfer and image fusion.

  stylefuse demo                                  stylize and fuse the bundled examples
  stylefuse stylize photo.jpg --style udnie -o out.png
  stylefuse stylize photo.jpg --style painting.jpg -o out.png
  stylefuse stylize photos/ --style udnie -o styled/    every image of a folder
  stylefuse fuse t1.nii.gz t2.nii.gz -o fused.nii.gz
  stylefuse stylize clip.mp4 --style udnie -o out.mp4   a video: frames, rate and sound kept
  stylefuse models                                list the models you can use

Files: PNG and JPEG, TIFF (8/16-bit, stacks), NIfTI (.nii, .nii.gz), DICOM (.dcm);
video (.mp4, .mov, .mkv, ...: pip install 'stylefuse[video]').
"""


def build_parser(commands: Collection[str] | None = None) -> CliParser:
    """The whole parser; with `commands`, only those commands get their flags (the rest a name and help).

    `main` builds only the flags of the command it runs: `train` reads TrainConfig's fields for its
    flags, and every import saved keeps `stylefuse --help` instant.
    """
    parser = CliParser(
        prog=PROG, description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}", help="print the version and exit"
    )
    add_common_options(parser, on_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in COMMANDS:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.DESCRIPTION)
        if commands is None or module.NAME in commands:
            add_common_options(p, on_command=True)
            module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (the console script's `sys.exit` value)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The command is the first word that is not an option (the main parser's options take no values).
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser([command] if command else [])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error(f"no command given; choose one of {', '.join(m.NAME for m in COMMANDS)}")
    set_verbosity(args.verbose, args.quiet)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        pass
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no partial output file was left", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserError as exc:  # stylefuse.io.ImageFileError is a UserError too
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        print(
            f"{PROG}: error: not enough memory for this image; try a smaller --tile-size or --batch-size",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    except BrokenPipeError:  # e.g. `stylefuse models | head -1`
        sys.stderr.close()
        return 0
    except Exception as exc:
        if type(exc).__name__ == "Cancelled":  # stylefuse.pipeline.Cancelled, not imported: it pulls in torch
            print(f"{PROG}: cancelled; no partial output file was left", file=sys.stderr)
            return EXIT_INTERRUPTED
        raise
