"""check_env(): the conformance checker every env, built-in or third-party, must pass.

It runs gymnasium's own env checker, then agentgym's contract checks (DESIGN.md, "The contract"):
info keys, seeded determinism (observation text and images, by the hash of their pixels), thousands of random and adversarial action strings that must never raise, the turn
limit as truncation, split disjointness, and the oracle solving a sample of tasks (an env whose
`oracle_wins_every_task` is False, a game of chance, must only finish each sampled task with valid moves). Problems are reported in words a
plugin author can act on; `agentgym envs check ID` prints the same report.
"""

from __future__ import annotations

import math
import random
import string
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import gymnasium as gym

REQUIRED_INFO_KEYS = ("task_id", "turn", "valid_action", "success", "progress")

ADVERSARIAL_ACTIONS = [
    "", " ", "\n", "\t\t", "look" * 2000, "x" * 10_000, "LOOK", "  look  ", "go", "go go go go", "take", "take take",
    "put in on", "'; DROP TABLE tasks; --", "$(rm -rf /)", "`reboot`", "{0}", "%s%s%s", "{{}}", "\\", "\\n", "\x00",
    "\x1b[31mred", "null", "None", "undefined", "0", "-1", "1e309", "nan", "[]", "{}", "{\"action\": \"look\"}",
    "<|im_end|>", "<|eot_id|>", "</s>", "Action: look", "```\nlook\n```", "héllo wörld", "日本語", "🙂", "a\u0000b",
    "go to " + "north " * 500, "\r\n\r\n", ".", "?", "!", "   \n  \n", "1" * 400,
]


class EnvCheckError(AssertionError):
    """Raised by check_env when the env breaks the contract; the message lists every problem."""


@dataclass
class CheckReport:
    env: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"check_env({self.env}): " + ("PASSED" if self.ok else f"{len(self.problems)} problem(s)")]
        lines += [f"  ok    {p}" for p in self.passed]
        lines += [f"  FAIL  {p}" for p in self.problems]
        lines += [f"  warn  {w}" for w in self.warnings]
        return "\n".join(lines)


def check_env(env: gym.Env | str | Callable[[], gym.Env], *, n_random_actions: int = 2000, n_oracle_tasks: int = 3,
              seed: int = 0, raise_on_error: bool = True) -> CheckReport:
    """Check an env against the agentgym contract.

    env: an env instance, a registered id, or a factory (a factory or id lets the determinism check use a second,
    fresh instance). Returns the report; raises EnvCheckError listing every problem unless raise_on_error=False.
    """
    factory = _factory(env)
    first = env if isinstance(env, gym.Env) else factory()
    name = env if isinstance(env, str) else type(_unwrap(first)).__name__
    report = CheckReport(env=str(name))
    checks: list[tuple[str, Callable[[], None]]] = [
        ("gymnasium's env checker", lambda: _gymnasium_checker(first, report)),
        ("task suite and splits", lambda: _check_suite(first, report)),
        ("info keys on reset and step", lambda: _check_info(first, report, seed)),
        ("seeded determinism", lambda: _check_determinism(first, factory, report, seed)),
        (f"{n_random_actions} random and adversarial actions never raise",
         lambda: _check_fuzz(first, report, seed, n_random_actions)),
        ("turn limit is truncation", lambda: _check_turn_limit(first, report, seed)),
        (f"oracle solves {n_oracle_tasks} task(s) per split", lambda: _check_oracle(first, report, n_oracle_tasks)),
    ]
    try:
        for title, fn in checks:
            before = len(report.problems)
            try:
                fn()
            except Exception as e:  # a check that crashes is itself a finding about the env
                report.problems.append(f"{title}: raised {type(e).__name__}: {e}\n{_short_tb()}")
            if len(report.problems) == before:
                report.passed.append(title)
    finally:
        if first is not env:  # an env check_env made itself (from an id or a factory) is closed: browsers and
            try:              # subprocesses it started must not outlive the check
                first.close()
            except Exception as e:
                report.warnings.append(f"close() raised {type(e).__name__}: {e}")
    if raise_on_error and not report.ok:
        raise EnvCheckError(str(report))
    return report


# ---------------------------------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------------------------------
def _gymnasium_checker(env: gym.Env, report: CheckReport) -> None:
    from gymnasium.utils.env_checker import check_env as gym_check

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gym_check(_unwrap(env), skip_render_check=True, skip_close_check=True)
        except Exception as e:
            report.problems.append(f"gymnasium's env checker failed: {type(e).__name__}: {e}")
    for w in caught:
        report.warnings.append(f"gymnasium: {w.message}")


def _check_suite(env: gym.Env, report: CheckReport) -> None:
    from agentgym.core import TaskSuite

    suite = getattr(_unwrap(env), "suite", None)
    if not isinstance(suite, TaskSuite):
        report.problems.append("the env has no `suite` attribute holding an agentgym.TaskSuite: give the class a "
                               "`suite = TaskSuite(name, version, {'train': [...], 'heldout': [...]})`")
        return
    for needed in ("train", "heldout"):
        if needed not in suite.split_names:
            report.problems.append(f"task suite {suite.name!r} has no {needed!r} split (it has {suite.split_names}); "
                                   "every suite needs at least 'train' and 'heldout'")
    for name in suite.split_names:
        if not suite.split(name):
            report.problems.append(f"split {name!r} of suite {suite.name!r} is empty")
    report.problems += [f"splits overlap: {p}" for p in suite.overlaps()]


def _check_info(env: gym.Env, report: CheckReport, seed: int) -> None:
    obs, info = env.reset(seed=seed)
    _info_problems("reset()", info, report)
    actions = info.get("admissible_actions") or ["look"]
    for i in range(3):
        obs, reward, terminated, truncated, info = env.step(str(actions[i % len(actions)]))
        _info_problems(f"step() #{i + 1}", info, report)
        if not isinstance(reward, (int, float)) or not math.isfinite(float(reward)):
            report.problems.append(f"step() returned reward {reward!r}: rewards must be finite numbers")
        if terminated or truncated:
            break


def _info_problems(where: str, info: dict[str, Any], report: CheckReport) -> None:
    missing = [k for k in REQUIRED_INFO_KEYS if k not in info]
    if missing:
        report.problems.append(f"{where} info lacks {missing}: every reset and step must report "
                               f"{list(REQUIRED_INFO_KEYS)} (subclassing agentgym.AgentEnv fills them)")
        return
    p = info["progress"]
    if not isinstance(p, (int, float)) or not 0.0 <= float(p) <= 1.0:
        report.problems.append(f"{where} info['progress'] = {p!r}: it must be a float in [0, 1]")
    if not isinstance(info["valid_action"], bool) or not isinstance(info["success"], bool):
        report.problems.append(f"{where} info['valid_action'] and info['success'] must be bools, got "
                               f"{info['valid_action']!r} and {info['success']!r}")


def _check_determinism(env: gym.Env, factory: Callable[[], gym.Env] | None, report: CheckReport, seed: int) -> None:
    other = factory() if factory is not None else env
    runs = []
    for e in (env, other):
        obs, info = e.reset(seed=seed + 7)
        trace: list[Any] = [_obs_key(obs), info.get("task_id")]
        rng = random.Random(seed)
        for _ in range(12):
            acts = info.get("admissible_actions") or ["look", "inventory", "xyzzy"]
            obs, r, term, trunc, info = e.step(str(rng.choice(list(acts))))
            trace.append((_obs_key(obs), float(r), term, trunc, info.get("progress"), info.get("success")))
            if term or trunc:
                break
        runs.append(trace)
    if runs[0] != runs[1]:
        diff = next(i for i, (a, b) in enumerate(zip(runs[0], runs[1])) if a != b) if len(runs[0]) == len(runs[1]) \
            else min(len(runs[0]), len(runs[1]))
        report.problems.append(
            f"not deterministic: the same seed and actions gave different episodes (first difference at step {diff}). "
            "Draw all randomness from self.np_random (seeded by reset(seed=...)) and the task's own seed.")
    if other is not env:
        other.close()


def _check_fuzz(env: gym.Env, report: CheckReport, seed: int, n: int) -> None:
    rng = random.Random(seed)
    space = env.action_space
    space.seed(seed)
    failures: list[str] = []
    obs, info = env.reset(seed=seed)
    for i in range(n):
        if i < len(ADVERSARIAL_ACTIONS):
            action = ADVERSARIAL_ACTIONS[i]
        elif i % 3 == 0 and info.get("admissible_actions"):
            a = str(rng.choice(list(info["admissible_actions"])))
            action = rng.choice([a.upper(), "  " + a + "  ", a + " " + a, a[: max(1, len(a) // 2)], a])
        elif i % 3 == 1:
            action = "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))
        else:
            action = space.sample()
        try:
            obs, r, term, trunc, info = env.step(action)
        except Exception as e:
            failures.append(f"step({action[:60]!r}) raised {type(e).__name__}: {e}")
            obs, info = env.reset(seed=seed + i)
            continue
        if not info.get("valid_action", True) and not _text(obs).strip():
            failures.append(f"step({action[:60]!r}) was invalid but returned no feedback text")
        if term or trunc:
            obs, info = env.reset(seed=seed + i)
    if failures:
        shown = "\n    ".join(failures[:5])
        report.problems.append(
            f"{len(failures)} of {n} random/adversarial actions broke the env; an action the env cannot parse must "
            f"return feedback with info['valid_action'] = False, never raise. First ones:\n    {shown}")


def _check_turn_limit(env: gym.Env, report: CheckReport, seed: int) -> None:
    inner = _unwrap(env)
    limit = getattr(inner, "max_turns", None)
    if not isinstance(limit, int):
        report.warnings.append("the env has no integer `max_turns`; the turn-limit check was skipped")
        return
    env.reset(seed=seed)
    for t in range(1, limit + 2):
        _, _, term, trunc, info = env.step("xyzzy plugh")
        if term:
            return  # an env may end an episode on its own rules; that is termination, not a limit
        if trunc:
            if t != limit:
                report.problems.append(f"truncated at turn {t} but max_turns is {limit}")
            return
    report.problems.append(f"no truncation after max_turns={limit} turns: the turn limit must end the episode with "
                           "truncated=True and terminated=False")


def _check_oracle(env: gym.Env, report: CheckReport, n_tasks: int) -> None:
    inner = _unwrap(env)
    if not hasattr(inner, "oracle_action"):
        report.problems.append("the env has no oracle_action(): every env ships an expert that solves its tasks")
        return
    suite = getattr(inner, "suite", None)
    if suite is None:
        return
    for split in suite.split_names:
        for task in suite.split(split)[:n_tasks]:
            obs, info = env.reset(seed=0, options={"task": task})
            done, steps, cap = False, 0, 2 * getattr(inner, "max_turns", 500)
            while not done and steps < cap:
                obs, r, term, trunc, info = env.step(inner.oracle_action())
                done, steps = term or trunc, steps + 1
            if not getattr(inner, "oracle_wins_every_task", True):
                # Games of chance or simultaneous moves (poker, rock-paper-scissors): no policy wins every deal, so
                # the oracle must only play valid moves to the end of the game.
                if not (info.get("valid_action", True) and term):
                    report.problems.append(f"the oracle did not finish task {task.id!r} ({split}) with valid moves "
                                           f"in {steps} turns; last observation: {_text(obs)[:200]!r}")
                continue
            if not info.get("success"):
                report.problems.append(f"the oracle did not solve task {task.id!r} ({split}) in {steps} turns; "
                                       f"last observation: {_text(obs)[:200]!r}")


# ---------------------------------------------------------------------------------------------------------------------
def _factory(env: gym.Env | str | Callable[[], gym.Env]) -> Callable[[], gym.Env] | None:
    if isinstance(env, str):
        from agentgym.registry import make

        return lambda: make(env)
    if isinstance(env, gym.Env):
        return None
    if callable(env):
        return env
    raise TypeError(f"check_env takes an env, a registered id or a factory, got {type(env).__name__}")


def _unwrap(env: gym.Env) -> gym.Env:
    return env.unwrapped if isinstance(env, gym.Env) else env


def _text(obs: Any) -> str:
    if isinstance(obs, dict):
        return str(obs.get("text", ""))
    return str(obs)


def _obs_key(obs: Any) -> Any:
    """What determinism compares: the text and, for visual observations, every image by the hash of its pixels."""
    from agentgym.types import Observation

    try:
        return Observation.parse(obs).key()
    except (TypeError, ValueError) as e:
        return ("unparseable observation", f"{type(e).__name__}: {e}")


def _short_tb() -> str:
    return "".join(traceback.format_exc().splitlines(keepends=True)[-6:])
