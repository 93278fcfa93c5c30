"""The SWE sandbox's expert: applies the gold patch with the string-replace editor, runs the tests, submits.

It plans from the current files, not from a script: each turn it looks for the first hunk of the gold patch whose
old text is still in its file and replaces it; when none is left it runs the task's test files once, then submits.
"""

from __future__ import annotations

import json
import shlex

from agentgym.envs.swe.instances import Instance, hunks
from agentgym.envs.swe.sandbox import Sandbox


def next_action(sb: Sandbox, inst: Instance, *, tests_run: bool, test_command: str) -> str:
    for h in hunks(inst.patch):
        res = sb.exec(["cat", "--", h.path], timeout=30)
        if res.exit_code == 0 and h.old and h.old in res.output and h.old != h.new:
            return json.dumps({"tool": "str_replace", "path": h.path, "old": h.old, "new": h.new})
    if not tests_run:
        return json.dumps({"tool": "bash", "command": test_command + " | tail -n 5"})
    return json.dumps({"tool": "submit"})


__all__ = ["next_action", "shlex"]
