"""SWE-bench's grading, written afresh: read pytest's log into per-test statuses, then decide resolution.

Log parsing follows SWE-bench's `parse_log_pytest`: the tests run with `-rA`, whose short summary has one line per
test starting with its status ("PASSED tests/test_x.py::test_a", "FAILED tests/test_x.py::test_b - AssertionError:
..."). Resolution follows SWE-bench's harness (grading.py): a FAIL_TO_PASS test counts as fixed only if its status is
PASSED (or XFAIL); a test absent from the log (a collection error, a crash, a timeout) counts as failing. A task is
resolved iff every FAIL_TO_PASS test and every PASS_TO_PASS test passes (SWE-bench's RESOLVED_FULL); RESOLVED_PARTIAL
(some FAIL_TO_PASS fixed, none of PASS_TO_PASS broken) and RESOLVED_NO are reported too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

STATUSES = ("PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL", "XPASS")
PASSING = ("PASSED", "XFAIL")
"""What SWE-bench's test_passed accepts."""

_LINE = re.compile(r"^(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS) (\S+)(?: - (.*))?$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_pytest_log(log: str) -> dict[str, str]:
    """{test id: status} from a `pytest -rA` log. A test reported twice (a teardown ERROR after a PASSED call) keeps
    the worse status, as a failing teardown fails the test."""
    statuses: dict[str, str] = {}
    for raw in log.splitlines():
        m = _LINE.match(_ANSI.sub("", raw).rstrip())
        if not m:
            continue
        status, test = m.group(1), m.group(2)
        if status == "SKIPPED" and test.startswith("["):  # "SKIPPED [1] file.py:12: reason" names no test
            continue
        if statuses.get(test) in ("FAILED", "ERROR") and status in PASSING:
            continue
        statuses[test] = status
    return statuses


def failure_messages(log: str) -> dict[str, str]:
    """{test id: the one-line reason pytest gives after " - " on its FAILED line} (the assertion message)."""
    out = {}
    for raw in log.splitlines():
        m = _LINE.match(_ANSI.sub("", raw).rstrip())
        if m and m.group(1) in ("FAILED", "ERROR") and m.group(3):
            out[m.group(2)] = m.group(3)
    return out


Resolution = Literal["RESOLVED_FULL", "RESOLVED_PARTIAL", "RESOLVED_NO"]


@dataclass
class GradeReport:
    """What grading found, in SWE-bench's report shape (tests_status: FAIL_TO_PASS / PASS_TO_PASS, success / failure)."""

    f2p_success: list[str] = field(default_factory=list)
    f2p_failure: list[str] = field(default_factory=list)
    p2p_success: list[str] = field(default_factory=list)
    p2p_failure: list[str] = field(default_factory=list)

    @property
    def resolution(self) -> Resolution:
        if not self.f2p_failure and not self.p2p_failure:
            return "RESOLVED_FULL"
        if self.f2p_success and not self.p2p_failure:
            return "RESOLVED_PARTIAL"
        return "RESOLVED_NO"

    @property
    def resolved(self) -> bool:
        return self.resolution == "RESOLVED_FULL"

    @property
    def f2p_fraction(self) -> float:
        """Fraction of FAIL_TO_PASS tests that pass now (the env's `progress`); 1.0 for a task with none."""
        n = len(self.f2p_success) + len(self.f2p_failure)
        return len(self.f2p_success) / n if n else 1.0

    def to_dict(self) -> dict:
        return {"resolution": self.resolution, "resolved": self.resolved, "tests_status": {
            "FAIL_TO_PASS": {"success": self.f2p_success, "failure": self.f2p_failure},
            "PASS_TO_PASS": {"success": self.p2p_success, "failure": self.p2p_failure}}}


def grade(statuses: dict[str, str], fail_to_pass: list[str], pass_to_pass: list[str]) -> GradeReport:
    """SWE-bench's get_eval_tests_report: each expected test is a success iff its logged status is passing."""
    rep = GradeReport()
    for t in fail_to_pass:
        (rep.f2p_success if statuses.get(t) in PASSING else rep.f2p_failure).append(t)
    for t in pass_to_pass:
        (rep.p2p_success if statuses.get(t) in PASSING else rep.p2p_failure).append(t)
    return rep
