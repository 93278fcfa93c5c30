"""agentgym/SWESandbox-v0: fix a bug in a real PyPI project, graded by the project's own tests as SWE-bench grades."""

from __future__ import annotations

import json
from typing import Any, Literal

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite
from agentgym.envs.swe import harness, oracle, tools
from agentgym.envs.swe import tasks as swe_tasks
from agentgym.envs.swe.instances import Instance, read_jsonl, workspace
from agentgym.envs.swe.sandbox import (
    DEFAULT_IMAGE, DockerSandbox, Limits, LocalSandbox, Sandbox, SandboxError, docker_client, tar_of,
)

BackendArg = Literal["auto", "local", "docker"]

OUTCOME_LEVELS = {"no_submission": 0, "empty_patch": 1, "tests_fail": 2, "resolved": 3}
"""The ordered outcome (G-RA's gate): no submission < an empty patch < a patch whose tests fail < resolved."""


def resolve_backend(backend: BackendArg, image: str = DEFAULT_IMAGE) -> Literal["local", "docker"]:
    """"auto" is docker where an engine answers and the image is there, else local."""
    if backend != "auto":
        return backend
    try:
        client = docker_client()
        client.images.get(image)
        return "docker"
    except Exception:
        return "local"


class SWESandboxEnv(AgentEnv):
    """Fix a bug in a real open-source Python project (a pinned PyPI sdist) with shell commands and a file editor.

    Task:
        Each task is a bug made in SWE-smith's style (one small change to the syntax tree of a library function:
        a flipped comparison or boolean operator, an off-by-one, a dropped statement or branch, swapped arguments, a
        wrong return, a changed constant) that makes some of the project's own tests fail. The problem statement
        names those tests and their assertion messages (never the patch). Those FAIL_TO_PASS tests are removed from
        the agent's copy and restored at grading. Suite "swe-pypi" v1 (tasks.py): 10 projects; splits train,
        heldout (other bugs of the training projects) and heldout_repos (projects never seen in training).

    Observation:
        Text. On reset: the problem statement, where the repository is, and the tool help. After each action: the
        tool's output with its exit code ("exit code: 0" first), long output cut in the middle with a note of how
        much was cut (`max_output_chars`). A command past its timeout says so ("exit code: none (killed ...)").

    Actions:
        One tool call per turn, a JSON object (tools.py): bash {"command"}, view {"path", "start", "end"},
        str_replace {"path", "old", "new"}, submit. A ```bash fenced block runs a command; `submit` alone submits.
        A reply that is not a well-formed call runs nothing and returns the help, with info["valid_action"] False.

    Reward:
        SWE-bench's: 1.0 on the submitting turn iff the task is resolved, 0.0 otherwise. Resolved iff every
        FAIL_TO_PASS test passes and every PASS_TO_PASS test still passes after applying the agent's diff to a fresh
        copy, restoring the test files and applying test_patch (harness.py; grading.py follows SWE-bench's harness).
        info on every step (what G-RA's gate and step rewards read): outcome_level (0 no submission, 1 empty patch,
        2 tests fail, 3 resolved) and outcome (its name), well_formed, tool_ok (the call succeeded: exit code 0, or
        the edit applied), files_changed (this step changed the working tree), tests_run (this step ran tests),
        progress (fraction of FAIL_TO_PASS passing at grading; 0 before submission), and at submission resolution
        (RESOLVED_FULL / _PARTIAL / _NO), patch and the tests' report.

    Episode end:
        Terminated by submit (graded then). Truncated at the turn limit (max_turns, default 30) with outcome_level 0.
        A sandbox that dies mid-episode (the container killed, the engine gone) raises SandboxError from step(): the
        rollout records it on the trajectory as an env error, never as reward 0.

    Arguments:
        backend: "auto" (docker where an engine runs and the image exists, else local), "docker" or "local".
        image: the docker image (default agentgym/swe-sandbox:v0, built from docker/swe-sandbox/Dockerfile).
        bwrap: the local backend's bubblewrap (default True; False runs without it, for trusted policies only).
        command_timeout_s: per command (default 30); grading_timeout_s: the grading test run (default 120).
        memory_mb, processes, cpus: the sandbox's limits (2048 MB, 128, 1.0).
        max_output_chars: observation length before the middle is cut (default 4000).
        max_turns, split: as every agentgym env.
        instances_file: a SWE-bench / SWE-Gym instance file (JSON lines in their schema) to play instead of the
            shipped suite (its tasks form the "heldout" split), each in the docker image a user built with
            SWE-bench's harness: `image` names it and may hold "{instance_id}" (e.g.
            "sweb.eval.x86_64.{instance_id}:latest"); the repository is at /testbed and commands run as root, as
            in SWE-bench's images; the tests run as `test_cmd` (default "pytest -rA") + the test patch's files,
            with `python` (default "python") as the interpreter the oracle's test run uses. An instance's own
            "agentgym" field ({"image", "repo_dir", "test_cmd", "python"}) overrides these.

    Dependencies:
        Extra `swe` (the docker SDK) for the docker backend; Debian packages bubblewrap, python3-pytest, git (local)
        and docker.io, debootstrap (the image, built locally by docker/swe-sandbox/build_base.sh); the pinned sdists,
        fetched into ~/.cache/agentgym/swe by `python -m agentgym.envs.swe.generate fetch` (setup.sh --dev).

    Departures from the original:
        SWE-bench's tasks are real GitHub issues with human-written fixes; ours are synthetic bugs in PyPI sdists
        (SWE-smith's approach), since SWE-bench's images cannot be pulled here. Problem statements are templated from
        the failing tests' names and messages (SWE-smith has an LLM write them). PASS_TO_PASS are the passing tests
        of the test files that hold the FAIL_TO_PASS tests (SWE-bench also runs only the test patch's files). Tests
        run with Debian's Python 3.11 and pytest 7.2 in both backends. The local backend starts a fresh PID namespace
        per command, so background processes do not outlive their command (in docker they live until the timeout
        kill or close).

    Version history:
        v0: first version (suite swe-pypi v1).
    """

    suite = swe_tasks.SUITE
    default_max_turns = 30

    def __init__(self, *, backend: BackendArg = "auto", image: str = DEFAULT_IMAGE, bwrap: bool = True,
                 command_timeout_s: float = 30.0, grading_timeout_s: float = 120.0, memory_mb: int = 2048,
                 processes: int = 128, cpus: float = 1.0, max_output_chars: int = 4000, max_turns: int | None = None,
                 split: str | None = None, render_mode: str | None = None, instances_file: str | None = None,
                 test_cmd: str = "pytest -rA", python: str = "python"):
        if backend not in ("auto", "local", "docker"):
            raise ValueError(f"backend must be 'auto', 'local' or 'docker', got {backend!r}")
        self._file_instances: dict[str, Instance] = {}
        if instances_file is not None:
            # SWE-bench / SWE-Gym instances: each runs in the per-instance image the user built with SWE-bench's
            # harness (image may hold "{instance_id}"), the repository at /testbed, tests by `test_cmd`.
            if backend == "local":
                raise ValueError("instances_file needs backend='docker': SWE-bench instances run in their own images")
            backend = "docker"
            for inst in read_jsonl(instances_file):
                inst.agentgym.setdefault("test_cmd", test_cmd)
                inst.agentgym.setdefault("repo_dir", "/testbed")
                inst.agentgym.setdefault("image", image.replace("{instance_id}", inst.instance_id))
                inst.agentgym.setdefault("python", python)
                self._file_instances[inst.instance_id] = inst
            tasks = [swe_tasks.task_of(i, "heldout") for i in self._file_instances.values()]
            self.suite = TaskSuite(f"file:{instances_file}", "0", {"train": [], "heldout": tasks})
            split = split or "heldout"
        if max_output_chars < 200:
            raise ValueError(f"max_output_chars must be >= 200, got {max_output_chars}")
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.backend = resolve_backend(backend, image) if not self._file_instances else "docker"
        self.image = image
        self.bwrap = bwrap
        self.limits = Limits(timeout_s=command_timeout_s, memory_mb=memory_mb, processes=processes, cpus=cpus)
        self.grading_timeout_s = grading_timeout_s
        self.max_output_chars = max_output_chars
        self.sandbox: Sandbox | None = None
        self.instance: Instance | None = None
        self._tars: dict[str, bytes] = {}
        self._docker = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._outcome = "no_submission"
        self._tests_ran = False
        self._fingerprint = ""
        self.last_grading: harness.Grading | None = None

    # -- sandboxes ----------------------------------------------------------------------------------------------------
    def _new_sandbox(self) -> Sandbox:
        assert self.instance is not None
        inst = self.instance
        if inst.instance_id in self._file_instances:
            if self._docker is None:
                self._docker = docker_client()
            return DockerSandbox(b"", image=inst.agentgym["image"], limits=self.limits, user="0:0",
                                 repo_dir=inst.agentgym["repo_dir"], python=inst.agentgym["python"],
                                 stage_dir="/tmp", client=self._docker)
        ws = workspace(self.instance)
        if self.backend == "local":
            return LocalSandbox(ws, limits=self.limits, bwrap=self.bwrap)
        key = str(ws)
        if key not in self._tars:
            self._tars = {key: tar_of(ws, "repo")}  # one task's tar at a time: they are a few MB each
        if self._docker is None:
            self._docker = docker_client()
        return DockerSandbox(self._tars[key], image=self.image, limits=self.limits, client=self._docker)

    def _close_sandbox(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None

    def close(self) -> None:
        self._close_sandbox()
        super().close()

    # -- hooks --------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self._close_sandbox()
        self._reset_state()
        iid = task.params["instance_id"]
        self.instance = self._file_instances.get(iid) or swe_tasks.shipped_instances()[iid]
        self.sandbox = self._new_sandbox()
        self._fingerprint = harness.tree_fingerprint(self.sandbox)
        inst = self.instance
        return (f"{inst.problem_statement}\n\nThe repository ({inst.repo} {inst.version}) is your working directory "
                f"({self.sandbox.repo_dir}); python3 there has pytest.\n\n{tools.HELP}")

    @property
    def system_prompt(self) -> str:
        return ("You are a software engineer fixing a bug in a Python repository inside a sandbox without network. "
                "Act with one tool call per turn.\n" + tools.HELP)

    def _signals(self, **kw: Any) -> dict[str, Any]:
        out = {"outcome": self._outcome, "outcome_level": OUTCOME_LEVELS[self._outcome], "well_formed": True,
               "tool_ok": False, "files_changed": False, "tests_run": False}
        out.update(kw)
        return out

    def _extra_info(self) -> dict[str, Any]:
        return {"outcome": self._outcome, "outcome_level": OUTCOME_LEVELS[self._outcome]}

    def _act(self, action: str) -> StepOutcome:
        assert self.sandbox is not None and self.instance is not None
        try:
            call = tools.parse(action)
        except tools.ParseError as e:
            return StepOutcome(f"Not a tool call: {e}.\n{tools.HELP}", valid_action=False,
                               info=self._signals(well_formed=False))
        if call.tool == "submit":
            return self._submit()
        if call.tool == "bash":
            res = self.sandbox.shell(call.args["command"])
            ran_tests = tools.runs_tests(call.args["command"])
            self._tests_ran |= ran_tests
        else:
            req = self.sandbox.upload("request.json", json.dumps({"tool": call.tool, **call.args}).encode())
            res = self.sandbox.exec([self.sandbox.python, "-c", tools.EDITOR, req])
            ran_tests = False
        changed = False
        if call.tool != "view":
            fp = harness.tree_fingerprint(self.sandbox)
            changed, self._fingerprint = fp != self._fingerprint, fp
        obs = self._format(res)
        return StepOutcome(obs, info=self._signals(tool_ok=res.exit_code == 0, files_changed=changed,
                                                   tests_run=ran_tests))

    def _format(self, res) -> str:
        if res.timed_out:
            head = f"exit code: none (killed after {self.limits.timeout_s:g} s: the command ran past its timeout)"
        else:
            head = f"exit code: {res.exit_code}"
        return head + "\n" + tools.cut_middle(res.output, self.max_output_chars)

    def _submit(self) -> StepOutcome:
        assert self.sandbox is not None and self.instance is not None
        patch = harness.model_patch(self.sandbox)
        self._close_sandbox()  # the agent's sandbox is done; grading uses a fresh copy, as SWE-bench does
        grading = harness.grade_submission(self._new_sandbox, self.instance, patch, timeout=self.grading_timeout_s)
        self.last_grading = grading
        rep = grading.report
        self._outcome = "empty_patch" if not patch.strip() else ("resolved" if rep.resolved else "tests_fail")
        n_f2p = len(self.instance.FAIL_TO_PASS)
        obs = (f"Submitted. {self._outcome.replace('_', ' ')}: {len(rep.f2p_success)}/{n_f2p} FAIL_TO_PASS and "
               f"{len(rep.p2p_success)}/{len(self.instance.PASS_TO_PASS)} PASS_TO_PASS tests pass"
               + ("" if grading.patch_applied else " (the patch did not apply)") + f" ({rep.resolution}).")
        info = self._signals(tool_ok=grading.patch_applied, resolution=rep.resolution, patch=patch,
                             tests_status=rep.to_dict()["tests_status"], grading_s=round(grading.seconds, 3))
        return StepOutcome(obs, reward=1.0 if rep.resolved else 0.0, terminated=True, success=rep.resolved,
                           progress=rep.f2p_fraction, info=info)

    def oracle_action(self) -> str:
        assert self.sandbox is not None and self.instance is not None
        return oracle.next_action(self.sandbox, self.instance, tests_run=self._tests_ran,
                                  test_command=harness.test_command(self.sandbox, self.instance))


__all__ = ["SWESandboxEnv", "OUTCOME_LEVELS", "SandboxError"]
