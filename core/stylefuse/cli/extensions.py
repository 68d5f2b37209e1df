"""Commands that other packages of the distribution provide: the entry-point group `stylefuse.commands`.

`stylefuse serve` and `stylefuse export --triton-repo` run code of the Triton server package; the core
finds it here by entry-point name instead of importing it (the core never depends on the server).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from ..errors import UserError

GROUP = "stylefuse.commands"


def extension(name: str) -> Callable:
    """The function registered as `name` in the `stylefuse.commands` entry points."""
    found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
    if not found:
        raise UserError(
            f"`{name}` needs stylefuse's Triton support, which is not installed here "
            "(reinstall stylefuse: pip install 'stylefuse[serve]')"
        )
    try:
        return found[0].load()
    except ImportError as exc:
        raise UserError(f"the Triton support is not installed ({exc}); reinstall stylefuse") from None
