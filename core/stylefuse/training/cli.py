"""`python -m stylefuse.training.cli ARGS` = `stylefuse train ARGS` (what torchrun launches).

The flags live in `stylefuse.cli.train`; this module only keeps the old module path working.
"""

from __future__ import annotations

import sys

from ..cli.train import add_train_arguments, config_from_args, run_train

__all__ = ["add_train_arguments", "config_from_args", "main", "run_train"]


def main(argv: list[str] | None = None) -> int:
    from ..cli import main as cli_main

    return cli_main(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
