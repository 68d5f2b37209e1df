"""The `stylefuse` console script: stylize, fuse, models, eval, export, serve, train, gimp-install, demo.

    app.py        the parser, built from the command table, and `main` (every error handled there)
    options.py    the parser class, argument types, the flags commands share (-q/-v, run options)
    support.py    input/output checks, reading and writing, progress bars, tables
    batch.py      several inputs / a folder / a glob -> an output folder
    <command>.py  one module per command: NAME, HELP, DESCRIPTION, add_arguments(parser), run(args)

Only argparse and the standard library are imported until a command runs, so `stylefuse --help` is
fast; each command imports what it needs (numpy, torch, the pipeline) inside `run`.
"""

from .app import COMMANDS, build_parser, main
from .options import EXIT_INTERRUPTED, EXIT_USER_ERROR, PROG, CliParser

__all__ = ["COMMANDS", "EXIT_INTERRUPTED", "EXIT_USER_ERROR", "PROG", "CliParser", "build_parser", "main"]
