"""The `stylefuse` console script: stylize, fuse, models, eval, export, train, demo.

Only argparse and the standard library are imported here, so `stylefuse --help` is fast; each
command imports what it needs (numpy, torch, the pipeline) when it runs. The commands themselves
live in `cli_commands.py`, the helpers they share in `cli_support.py`.

Exit codes: 0 success; 2 a user mistake (one line on stderr: `stylefuse: error: ...`, no traceback,
inputs untouched, no partial output); 130 interrupted (Ctrl-C / SIGTERM); 1 anything else.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import __version__
from .errors import UserError
from .limits import DEFAULT_TILE_SIZE

PROG = "stylefuse"
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

_DESCRIPTION = """\
GAN-based style transfer and image fusion.

  stylefuse demo                                  stylize and fuse the bundled examples
  stylefuse stylize photo.jpg --style udnie -o out.png
  stylefuse stylize photo.jpg --style painting.jpg -o out.png
  stylefuse fuse t1.nii.gz t2.nii.gz -o fused.nii.gz
  stylefuse models                                list the models you can use

Files: PNG and JPEG, TIFF (8/16-bit, stacks), NIfTI (.nii, .nii.gz), DICOM (.dcm).
"""


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2, like every other user mistake."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"{PROG}: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _strength(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"strength must be a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"strength must be from 0 to 1, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text}")
    return value


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tile-size", type=_positive_int, default=DEFAULT_TILE_SIZE, metavar="N",
                   help="largest tile side in pixels; bigger images are processed in overlapping tiles "
                        "(default: %(default)s)")
    p.add_argument("--batch-size", type=_positive_int, default=8, metavar="N",
                   help="slices (of a stack) or tiles per model call (default: %(default)s)")
    p.add_argument("--server", metavar="URL",
                   help="run on a stylefuse Triton server (`stylefuse serve`) instead of in-process: "
                        "HOST:PORT or grpc://HOST:PORT (gRPC, port 8001) or http://HOST:PORT (HTTP, port 8000)")


def build_parser() -> CliParser:
    parser = CliParser(prog=PROG, description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    p = sub.add_parser("stylize", help="restyle an image (or every slice of a stack)",
                       description="Restyle IN with a trained style model, or with any style image as reference.")
    p.add_argument("input", metavar="IN", help="image to restyle")
    p.add_argument("-s", "--style", metavar="NAME|IMAGE",
                   help="a style model's name (see `stylefuse models`) or a style image file used as "
                        "reference (default: the default style model's own style)")
    p.add_argument("-m", "--model", metavar="NAME",
                   help="style model to run with a style image (default: the default style model)")
    p.add_argument("--strength", type=_strength, default=1.0, metavar="S",
                   help="0 keeps the input, 1 is the full style (default: %(default)s)")
    p.add_argument("--mask", metavar="M", help="image of the input's size: where to apply the style (0..1, soft)")
    p.add_argument("--preserve-color", action="store_true", help="keep the input's colours, take the style's texture")
    p.add_argument("--no-palette", action="store_true",
                   help="skip the palette step (the input's colours mapped onto the style's before the "
                        "generator); in-process runs only")
    _add_run_options(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write (never one of the inputs)")

    p = sub.add_parser("fuse", help="fuse two aligned images (modalities, exposures, focus planes)",
                       description="Fuse two aligned images of the same scene into one.")
    p.add_argument("a", metavar="A", help="first image (its file type and header are kept for the output)")
    p.add_argument("b", metavar="B", help="second image, same size as A")
    p.add_argument("-m", "--model", metavar="NAME", help="fusion model (default: the default fusion model)")
    p.add_argument("--resample", action="store_true", help="resize B to A's size when they differ")
    _add_run_options(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write (never one of the inputs)")

    p = sub.add_parser("models", help="list the models (shipped and your own)",
                       description="List the models on the search path: the shipped ones, then "
                                   "$STYLEFUSE_MODELS (default ~/.local/share/stylefuse/models).")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("eval", help="fusion metrics of fused images against their sources",
                       description="The eight no-reference fusion metrics (EN, SD, SF, MI, SCD, VIF, Qabf, "
                                   "SSIM; higher is better) of each fused image against its two sources. "
                                   "Images are read as 8-bit grey levels (16-bit ones scaled by 1/257, "
                                   "others by the triple's common range); stacks are averaged over slices.")
    p.add_argument("triples", nargs="*", metavar="FUSED A B", help="one or more triples of files")
    p.add_argument("--fused-dir", metavar="DIR", help="folder of fused images ...")
    p.add_argument("--a-dir", metavar="DIR", help="... and the folders of their sources, matched by file name")
    p.add_argument("--b-dir", metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("export", help="copy a model folder, or write a Triton model repository",
                       description="Copy a model's folder (model.pt + card.json) to DIR (-o), or write a "
                                   "Triton model repository for MODELs (default: all) with --triton-repo.")
    p.add_argument("model", nargs="*", metavar="MODEL", help="model name(s) (see `stylefuse models`)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="folder to create (an existing one must be empty or hold a model)")
    p.add_argument("--triton-repo", metavar="DIR",
                   help="write (or update) a Triton model repository in DIR instead")
    p.add_argument("--profile", choices=("cpu", "gpu"), default="cpu",
                   help="cpu: python backend only (the pip-installed tritonserver); gpu: adds the generator as a "
                        "pytorch_libtorch model on KIND_GPU for NVIDIA's Triton container (default: %(default)s)")
    p.add_argument("--fp16", action="store_true", help="gpu profile: run the generator in half precision")

    p = sub.add_parser("serve", help="serve the models with Triton Inference Server (gRPC/HTTP)",
                       description="Start the real tritonserver (from the nvidia-pytriton wheel) on a model "
                                   "repository (default: the installed models, exported to a temporary one); "
                                   "probes every model with a tiny inference and reloads one whose backend died. "
                                   "Ctrl-C or SIGTERM stops it cleanly.")
    p.add_argument("--repo", metavar="DIR", help="a repository written by `stylefuse export --triton-repo`")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only; 0.0.0.0 for all "
                        "interfaces, with a warning: the server has no authentication)")
    p.add_argument("--http-port", type=_positive_int, default=8000, metavar="PORT")
    p.add_argument("--grpc-port", type=_positive_int, default=8001, metavar="PORT")
    p.add_argument("--metrics-port", type=_positive_int, default=8002, metavar="PORT")
    p.add_argument("--models", nargs="+", metavar="MODEL", help="serve only these models")
    p.add_argument("--ready-timeout", type=_positive_int, default=180, metavar="S",
                   help="seconds to wait for the server to become ready (default: %(default)s)")
    p.add_argument("--health-interval", type=float, default=30.0, metavar="S",
                   help="seconds between health probes (default: %(default)s)")

    sub.add_parser("train", help="train a style or fusion model (see `stylefuse train --help`)",
                   add_help=False, description="Train a model; options: `stylefuse train --help`.")

    p = sub.add_parser("gimp-install", help="install the GIMP 3 plug-in (Filters > Style & Fusion)",
                       description="Copy the GIMP 3 plug-in into GIMP's user plug-ins folder (restart GIMP "
                                   "afterwards). It talks to `stylefuse serve`.")
    p.add_argument("--gimp-dir", metavar="DIR",
                   help="GIMP's user folder, the one holding plug-ins/ (default: $GIMP3_DIRECTORY, else "
                        "~/.config/GIMP/3.0, ~/Library/Application Support/GIMP/3.0 or %%APPDATA%%\\GIMP\\3.0)")
    p.add_argument("--uninstall", action="store_true", help="remove the plug-in instead")

    p = sub.add_parser("demo", help="stylize and fuse the bundled examples; writes PNGs",
                       description="Stylize the bundled photo with the default style model and fuse the "
                                   "bundled MRI pair (T1 + proton density) with the default fusion model.")
    p.add_argument("-o", "--output", default="demo_output", metavar="DIR",
                   help="folder for the results (created if missing; default: %(default)s)")
    return parser


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.error("no command given; choose one of stylize, fuse, models, eval, export, serve, train, demo")
    if extra and args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        pass

    from . import cli_commands

    handler = getattr(cli_commands, f"cmd_{args.command.replace('-', '_')}")
    try:
        return int(handler(args, extra) or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no partial output file was left", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserError as exc:  # stylefuse.io.ImageFileError is a UserError too
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        print(f"{PROG}: error: not enough memory for this image; try a smaller --tile-size or --batch-size",
              file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # e.g. `stylefuse models | head -1`
        sys.stderr.close()
        return 0
    except Exception as exc:
        io = sys.modules.get("stylefuse.io")
        if io is not None and isinstance(exc, getattr(io, "ImageFileError", ())):
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_USER_ERROR
        if type(exc).__name__ == "Cancelled":  # stylefuse.pipeline.Cancelled
            print(f"{PROG}: cancelled; no partial output file was left", file=sys.stderr)
            return EXIT_INTERRUPTED
        raise


if __name__ == "__main__":
    sys.exit(main())
