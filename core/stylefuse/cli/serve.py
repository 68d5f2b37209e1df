"""`stylefuse serve`: the real tritonserver on a model repository (run by the server package, found
through the `stylefuse.commands` entry points: see `extensions`)."""

from __future__ import annotations

import argparse

from .options import positive_int

NAME = "serve"
HELP = "serve the models with Triton Inference Server (gRPC/HTTP)"
DESCRIPTION = (
    "Start the real tritonserver (from the nvidia-pytriton wheel) on a model repository (default: the "
    "installed models, exported to a temporary one); probes every model with a tiny inference and "
    "reloads one whose backend died. Ctrl-C or SIGTERM stops it cleanly."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", metavar="DIR", help="a repository written by `stylefuse export --triton-repo`")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only; 0.0.0.0 for all "
        "interfaces, with a warning: the server has no authentication)",
    )
    p.add_argument(
        "--http-port",
        type=positive_int,
        default=8000,
        metavar="PORT",
        help="HTTP/REST port (default: %(default)s)",
    )
    p.add_argument(
        "--grpc-port",
        type=positive_int,
        default=8001,
        metavar="PORT",
        help="gRPC port (default: %(default)s)",
    )
    p.add_argument(
        "--metrics-port",
        type=positive_int,
        default=8002,
        metavar="PORT",
        help="Prometheus metrics port (default: %(default)s)",
    )
    p.add_argument(
        "--models",
        nargs="+",
        metavar="MODEL",
        help="serve only these models (names, or a comma-separated list: a,b); all load before the "
        "server is ready. Without it every installed model is served: each task's default "
        "loads first, the others in the background",
    )
    p.add_argument(
        "--instances",
        type=positive_int,
        default=None,
        metavar="N",
        help="model instances per model (Triton instance_group count; default 1): N requests or "
        "batches run at once",
    )
    p.add_argument(
        "--kind",
        choices=("cpu", "gpu"),
        default=None,
        help="cpu (default): the python backend runs everything; gpu: the generators as "
        "pytorch_libtorch models on the GPU (NVIDIA's Triton image; see docs/serving.md)",
    )
    p.add_argument(
        "--ready-timeout",
        type=positive_int,
        default=180,
        metavar="S",
        help="seconds to wait for the server to become ready (default: %(default)s)",
    )
    p.add_argument(
        "--health-interval",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds between health probes (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    from .extensions import extension

    return int(extension("serve")(args) or 0)
