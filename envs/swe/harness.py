"""Running a task's tests in a sandbox and grading a submission the way SWE-bench's harness does.

Grading (SWE-bench's run_evaluation, step for step, in a fresh sandbox made from the task's starting copy):
  1. apply the submitted patch (`git apply`; a patch that does not apply resolves nothing),
  2. put the test files back to their starting state (`git checkout -- TEST_FILES`), so edits to tests don't count,
  3. apply test_patch (the hidden FAIL_TO_PASS tests come back),
  4. run the test files with `pytest -rA`, parse the log, and decide with grading.grade().
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from agentgym.envs.swe import repos as repos_mod
from agentgym.envs.swe.grading import GradeReport, grade, parse_pytest_log
from agentgym.envs.swe.instances import Instance
from agentgym.envs.swe.sandbox import CommandResult, Sandbox


def test_command(sb: Sandbox, inst: Instance, test_files: list[str] | None = None) -> str:
    """The shell command that runs the task's test files (or `test_files`) with `pytest -rA`."""
    files = test_files if test_files is not None else inst.test_files
    custom = inst.agentgym.get("test_cmd")
    if custom:  # a loaded SWE-bench instance names its own command (e.g. "pytest -rA")
        return f"{custom} {' '.join(shlex.quote(f) for f in files)}"
    spec = repos_mod.repo(inst.repo)
    args = repos_mod.pytest_args(spec, files)
    # CI=true: pytest then does not cut the short summary's assertion messages to the terminal's width
    return f"CI=true PYTHONPATH={shlex.quote(spec.pythonpath)} {shlex.quote(sb.python)} " + " ".join(
        shlex.quote(a) for a in args)


def run_tests(sb: Sandbox, inst: Instance, test_files: list[str] | None = None, *, timeout: float | None = None
              ) -> tuple[dict[str, str], CommandResult]:
    res = sb.shell(test_command(sb, inst, test_files), timeout=timeout)
    return parse_pytest_log(res.output), res


@dataclass
class Grading:
    """What grading a submission found."""

    report: GradeReport
    patch_applied: bool
    log: str
    seconds: float
    timed_out: bool = False
    steps: list[str] = field(default_factory=list)


def grade_submission(make_sandbox: Callable[[], Sandbox], inst: Instance, model_patch: str, *,
                     timeout: float) -> Grading:
    """Grade `model_patch` in a fresh sandbox (SWE-bench's procedure, see the module docstring)."""
    with make_sandbox() as sb:
        steps, total = [], 0.0
        applied = True
        if model_patch.strip():
            path = sb.upload("model.patch", model_patch.encode("utf-8"))
            res = sb.shell(f"git apply --whitespace=nowarn {path}", timeout=timeout)
            total += res.seconds
            steps.append(f"git apply model.patch -> {res.exit_code}")
            applied = res.exit_code == 0
        if not applied:
            report = grade({}, inst.FAIL_TO_PASS, inst.PASS_TO_PASS)
            return Grading(report, False, "the patch does not apply:\n" + res.output, total, steps=steps)
        files = " ".join(shlex.quote(f) for f in inst.test_files)
        test_patch = sb.upload("test.patch", inst.test_patch.encode("utf-8"))
        res = sb.shell(f"git checkout -q HEAD -- {files} 2>/dev/null; git apply --whitespace=nowarn {test_patch}",
                       timeout=timeout)
        total += res.seconds
        steps.append(f"restore tests -> {res.exit_code}")
        if res.exit_code != 0:
            raise RuntimeError(f"test_patch of {inst.instance_id} does not apply to its own starting copy: "
                               f"{res.output[-500:]}")
        statuses, res = run_tests(sb, inst, timeout=timeout)
        total += res.seconds
        report = grade(statuses, inst.FAIL_TO_PASS, inst.PASS_TO_PASS)
        return Grading(report, True, res.output, total, timed_out=res.timed_out, steps=steps)


def model_patch(sb: Sandbox, *, timeout: float = 30.0) -> str:
    """The agent's changes as a diff against the starting commit, new files included (git add -A into a private
    index, so the agent's own index is untouched)."""
    res = sb.shell("export GIT_INDEX_FILE=${TMPDIR:-/tmp}/.agentgym-submit-index; rm -f $GIT_INDEX_FILE; git read-tree HEAD && "
                   "git add -A . && git diff --cached --binary HEAD", timeout=timeout,
                   env={"GIT_CONFIG_NOSYSTEM": "1"})
    if res.exit_code != 0:
        return ""
    return res.output


def tree_fingerprint(sb: Sandbox, *, timeout: float = 30.0) -> str:
    """A hash of the working tree's contents (a git tree id from a private index): equal iff no file changed."""
    res = sb.shell("export GIT_INDEX_FILE=${TMPDIR:-/tmp}/.agentgym-fp-index; git read-tree HEAD && git add -A . && "
                   "git write-tree", timeout=timeout)
    return res.output.strip() if res.exit_code == 0 else f"unavailable:{res.exit_code}"
