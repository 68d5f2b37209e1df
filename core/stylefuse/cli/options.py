"""What every command shares on the command line: the parser class, argument types, common flags.

Standard library only: building the parser must stay instant (`stylefuse --help` imports no numpy,
no torch).
"""

from __future__ import annotations

import argparse
import sys

from ..limits import DEFAULT_TILE_SIZE

PROG = "stylefuse"
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


_verbosity = 0  # set once by main from -v/-q
_quiet = False  # -q: not even inform()


def set_verbosity(verbose: int, quiet: bool) -> None:
    """-v: notes on stderr; -vv: the library's debug logging too (logging imported only then: it is slow)."""
    global _verbosity, _quiet
    _verbosity = 0 if quiet else verbose
    _quiet = quiet
    if _verbosity:
        import logging

        logger = logging.getLogger("stylefuse")
        if not any(getattr(h, "stylefuse_cli", False) for h in logger.handlers):  # main() may run many times
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
            handler.stylefuse_cli = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if _verbosity > 1 else logging.INFO)


def note(text: str) -> None:
    """One line on stderr with -v (which model, sizes, timings); nothing otherwise."""
    if _verbosity:
        print(f"{PROG}: {text}", file=sys.stderr)


def inform(text: str) -> None:
    """One line on stderr unless -q: what the user should know without asking (an automatic choice)."""
    if not _quiet:
        print(f"{PROG}: {text}", file=sys.stderr)


def timed_note(verb: str, array, work):
    """Run `work()`; with -v, note "<verb> <shape> <dtype> in <seconds> s" for `array` (the input)."""
    import time

    start = time.perf_counter()
    result = work()
    note(f"{verb} {'x'.join(map(str, array.shape))} {array.dtype} in {time.perf_counter() - start:.2f} s")
    return result


def one_line(text: object) -> str:
    return " ".join(str(text).split())


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2, like every other user mistake."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{PROG}: error: {one_line(message)} (see `{self.prog} --help`)\n")


def strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"strength must be a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"strength must be from 0 to 1, got {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def add_common_options(p: argparse.ArgumentParser, on_command: bool) -> None:
    """-q/-v, accepted before the command and after it.

    On a command's parser the defaults are SUPPRESS: argparse copies a subparser's defaults over the
    main parser's values, so `stylefuse -q demo` would otherwise lose its -q.
    """
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if on_command else False,
        help="no progress bars, no notes",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS if on_command else 0,
        help="say more on stderr: the model used, sizes and timings (-vv: debug details)",
    )


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tile-size",
        type=positive_int,
        default=DEFAULT_TILE_SIZE,
        metavar="N",
        help="largest tile side in pixels; bigger images are processed in overlapping tiles "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=8,
        metavar="N",
        help="slices (of a stack) or tiles per model call (default: %(default)s)",
    )
    p.add_argument(
        "--server",
        metavar="URL",
        help="run on a stylefuse Triton server (`stylefuse serve`) instead of in-process: "
        "HOST:PORT or grpc://HOST:PORT (gRPC, port 8001) or http://HOST:PORT (HTTP, port 8000)",
    )
    add_device_option(p, "where an in-process run computes")


def add_device_option(p: argparse.ArgumentParser, what: str, default: str | None = "auto") -> None:
    """--device, the same words on every command (resolved by stylefuse.runner.device.resolve_device)."""
    p.add_argument(
        "--device",
        default=default,
        metavar="DEVICE",
        help=f"{what}: auto (a CUDA GPU when there is one), cpu, cuda or cuda:N (default: auto)",
    )
