"""The GIMP plug-in's standard-library client agrees with the core: the same default-model rule
(stylefuse.model_choice) and the same wire protocol (stylefuse's protocol). No GIMP, no server needed."""

from __future__ import annotations

import itertools
import sys

from gimprun import PLUGIN_DIR

from stylefuse.model_choice import ModelInfo, default_model

sys.path.insert(0, str(PLUGIN_DIR))
import sfclient  # noqa: E402

CANDIDATES = [("arbitrary", "style", False), ("contrast", "style", True), ("udnie", "style", True),
              ("fuse-general", "fuse", False), ("fuse-medical", "fuse", False)]


def test_default_model_rule_agrees_with_the_core():
    checked = 0
    for n in range(1, len(CANDIDATES) + 1):
        for chosen in itertools.permutations(CANDIDATES, n):
            for marked in range(n + 1):  # none, or one model marked as the server's default
                core = [ModelInfo(name, task, 3, own, i == marked) for i, (name, task, own) in enumerate(chosen)]
                plugin = [sfclient.ModelInfo(m.name, m.task, 3, m.has_default_style, m.default) for m in core]
                for task, need in itertools.product(("style", "fuse"), (False, True)):
                    want = None
                    if any(m.task == task for m in core):
                        want = default_model(task, core, need_default_style=need)
                    assert sfclient.pick_default(plugin, task, need) == want, (chosen, marked, task, need)
                    checked += 1
    assert checked > 1000
