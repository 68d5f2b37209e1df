"""`stylefuse export --triton-repo DIR`: the Triton model repository, written by stylefuse_triton.

Kept apart from `export.py` because it is one of the two places the CLI reaches into the server
package (the other is `serve.py`); moving both behind an entry point touches only these files.
"""

from __future__ import annotations

import argparse

from ..errors import UserError


def write_triton_repo(args: argparse.Namespace) -> int:
    if args.output:
        raise UserError("give either -o DIR (copy one model folder) or --triton-repo DIR, not both")
    try:
        from stylefuse_triton.repository import write_repository
    except ImportError as exc:
        raise UserError(f"the Triton support is not installed ({exc}); reinstall stylefuse") from None
    written = write_repository(args.triton_repo, args.model or None, profile=args.profile, fp16=args.fp16)
    print(f"{args.triton_repo}: {', '.join(written)} ({args.profile} profile)")
    if args.profile == "cpu":
        print(f"serve it with: stylefuse serve --repo {args.triton_repo}")
    return 0
