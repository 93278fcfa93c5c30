"""Evaluation on a split: metrics with confidence intervals (Wilson score for the success rate, percentile bootstrap
for the means), JSONL trajectories, and an HTML report."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from agentgym.core import Task
from agentgym.policies.base import Policy
from agentgym.runners import RunnerKind, RunnerPool
from agentgym.rollout import invalid_action_rate, rollout
from agentgym.types import HistoryMode, Trajectory


@dataclass
class EvalResult:
    metrics: dict[str, float]
    trajectories: list[Trajectory]
    out_dir: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        m = self.metrics
        n, errors = int(m["eval/episodes"]), int(m["eval/errors"])
        lines = []
        if errors:
            first = next(t.error for t in self.trajectories if t.error is not None)
            lines += [f"ERRORS        {errors} of {n} episodes ended in an error; the numbers below are over the "
                      f"{n - errors} that completed",
                      f"first error   {first.kind}: {first.headline()}"]
        lines += [
            f"episodes      {n}  (completed: {n - errors}, errors: {errors})",
            _ci_line("success rate", m, "eval/success_rate", pct=True),
            _ci_line("mean reward", m, "eval/mean_reward"),
            _ci_line("mean turns", m, "eval/mean_turns"),
            _ci_line("mean progress", m, "eval/mean_progress"),
            f"invalid acts  {m['eval/invalid_action_rate']:.1%} of turns",
        ]
        if "eval/win_rate" in m:  # games: win / draw / loss against the env's opponent
            lines += [_ci_line(f"{k} rate", m, f"eval/{k}_rate", pct=True) for k in ("win", "draw", "loss")]
        for k, v in self.files.items():
            lines.append(f"{k:<13} {v}")
        return "\n".join(lines)

    @property
    def all_errored(self) -> bool:
        """Every episode ended in an error: nothing was measured."""
        return bool(self.trajectories) and all(t.error is not None for t in self.trajectories)


def bootstrap_ci(values: Sequence[float], *, confidence: float = 0.95, n_resamples: int = 2000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean. One value (or none) gives a zero-width interval at the mean."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    if x.size == 1 or np.all(x == x[0]):
        return (float(x.mean()), float(x.mean()))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_resamples, x.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2
    return (float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha)))


def wilson_ci(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (successes out of n trials); no trials gives (nan, nan).

    Unlike a bootstrap or the normal (Wald) interval it is not zero-width at 0/n or n/n: 0 successes in 60 at 95%
    gives 0 .. 6.0%. Formula (Wilson 1927, "Probable inference, the law of succession, and statistical inference",
    JASA 22(158); as in Brown, Cai & DasGupta 2001, "Interval Estimation for a Binomial Proportion", eq. 4), with
    p = successes / n and z the (1 + confidence) / 2 quantile of the standard normal:
        (p + z^2/(2n) -/+ z * sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)
    """
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in 0..n, got {successes} of {n}")
    if n == 0:
        return (float("nan"), float("nan"))
    z = NormalDist().inv_cdf((1.0 + confidence) / 2)
    p, z2 = successes / n, z * z
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # The bounds are exactly 0 at 0/n and exactly 1 at n/n; the formula reaches them only up to rounding.
    return (0.0 if successes == 0 else center - half, 1.0 if successes == n else center + half)


def eval_metrics(trajectories: Sequence[Trajectory], *, confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """eval/... metrics over the episodes that completed (an errored episode measured nothing about the policy):
    success rate (with a Wilson score CI), mean reward, turns, progress (each with a bootstrap CI), invalid rate;
    plus eval/episodes (all), eval/errors and eval/error_rate."""
    completed = [t for t in trajectories if t.error is None]
    m: dict[str, float] = {"eval/episodes": float(len(trajectories)),
                           "eval/errors": float(len(trajectories) - len(completed)),
                           "eval/error_rate": (1 - len(completed) / len(trajectories)) if trajectories else 0.0}
    columns = {
        "eval/success_rate": [float(t.success) for t in completed],
        "eval/mean_reward": [t.total_reward for t in completed],
        "eval/mean_turns": [float(t.num_turns) for t in completed],
        "eval/mean_progress": [t.progress for t in completed],
    }
    for key, vals in columns.items():
        m[key] = float(np.mean(vals)) if vals else float("nan")
        if key == "eval/success_rate":
            lo, hi = wilson_ci(int(sum(vals)), len(vals), confidence=confidence)
        else:
            lo, hi = bootstrap_ci(vals, confidence=confidence, seed=seed)
        m[key + "_ci_low"], m[key + "_ci_high"] = lo, hi
    m["eval/invalid_action_rate"] = invalid_action_rate(completed)
    m["eval/truncated_rate"] = (sum(t.truncated for t in completed) / len(completed)) if completed else 0.0
    m.update(game_outcome_metrics(completed, confidence=confidence))
    return m


def game_outcome_metrics(completed: Sequence[Trajectory], *, confidence: float = 0.95) -> dict[str, float]:
    """Games (envs whose info carries a seat): win, draw and loss rates against the env's opponent, each with a
    Wilson CI, over the completed game episodes; a game cut by the turn limit counts in none of the three.
    Empty for other envs."""
    games = [t for t in completed if t.turns and "seat" in t.turns[-1].info]
    if not games:
        return {}
    outcomes = [t.turns[-1].info.get("outcome") for t in games]
    m: dict[str, float] = {"eval/games": float(len(games))}
    for name in ("win", "draw", "loss"):
        k = sum(o == name for o in outcomes)
        m[f"eval/{name}_rate"] = k / len(games)
        m[f"eval/{name}_rate_ci_low"], m[f"eval/{name}_rate_ci_high"] = wilson_ci(k, len(games),
                                                                                  confidence=confidence)
    return m


def select_tasks(env_id: str, split: str, n: int | None, env_kwargs: dict[str, Any] | None = None, *,
                 repeat: bool = False) -> list[Task]:
    """The first n tasks of the split (all when n is None): the same n gives the same tasks for every policy, so
    results compare. n above the split's size is an error unless repeat (then the tasks cycle, each played again
    with another episode seed)."""
    from agentgym.registry import make

    env = make(env_id, **(env_kwargs or {}))
    inner = env.unwrapped
    if getattr(inner, "suite", None) is None:
        raise TypeError(f"{env_id} has no task suite (`suite` attribute); evaluation needs named splits")
    # env.tasks() applies the env's own filters (TextAdventure's level, say); plain suites give the whole split.
    tasks = inner.tasks(split) if hasattr(inner, "tasks") else inner.suite.split(split)
    env.close()
    if n is None:
        return tasks
    if n < 1:
        raise ValueError(f"-n must be >= 1, got {n}")
    if n > len(tasks) and not repeat:
        raise ValueError(f"-n {n} is more than the {len(tasks)} tasks of split {split!r} of {env_id}: the extra "
                         f"episodes would replay the same tasks and narrow the confidence interval without new "
                         f"evidence; use -n {len(tasks)} with --group-size K to play each task K times, or --repeat "
                         "to cycle through the tasks")
    return [tasks[i % len(tasks)] for i in range(n)]


def evaluate(env_id: str, policy: Policy, *, split: str = "heldout", n: int | None = None, group_size: int = 1,
             seed: int = 0, out_dir: str | None = None, max_turns: int | None = None, batch_size: int = 32,
             progress: bool = False, env_kwargs: dict[str, Any] | None = None,
             policy_name: str = "policy", executor: RunnerKind = "inline", tasks: Sequence[Task] | None = None,
             runners: RunnerPool | None = None, max_context_tokens: int | None = None,
             history: HistoryMode = "full", window_turns: int = 2, repeat: bool = False, resume: bool = False,
             overwrite: bool = False) -> EvalResult:
    """Play n tasks of `split` (group_size times each) and summarise.

    With out_dir: trajectories.jsonl grows as episodes end (observation images as PNG files in images/ beside it),
    and metrics.json and report.html are written at the end, or from what finished when the eval is interrupted
    (marked partial); see agentgym.eval_output. resume continues a partial eval in out_dir without replaying its
    finished episodes; overwrite replaces an eval already there (without either, that is an error).

    executor: where each env lives ("inline", "thread", "process"; see agentgym.runners). tasks: play exactly these
    instead of the first n of the split (a trainer's held-out tasks). runners: play on this pool (a trainer's, whose
    envs stay alive for the whole run) instead of runners made for this call. history / window_turns: how each
    turn's prompt is built (agentgym.rollout.rollout). repeat: allow n above the split's size (tasks cycle). This is
    the one evaluation of the project: `agentgym eval`, the trainers' held-out checks and the demo all call it.
    """
    if tasks is None:
        tasks = select_tasks(env_id, split, n, env_kwargs, repeat=repeat)
    tasks = list(tasks)
    run = {"env": env_id, "split": split, "n": n, "group_size": group_size, "seed": seed, "policy": policy_name,
           "env_kwargs": env_kwargs or {}, "executor": executor, "history": history, "max_turns": max_turns,
           "episodes_planned": len(tasks) * group_size, "generation": generation_settings(policy)}
    if history == "window":
        run["window_turns"] = window_turns
    folder = None
    previous: list[Trajectory] = []
    if out_dir is not None:
        from agentgym.eval_output import EvalFolder

        from agentgym import manifest

        folder = EvalFolder(out_dir, run, resume=resume, overwrite=overwrite)
        previous = folder.open()
        settings = {k: run[k] for k in ("n", "group_size", "max_turns", "history", "executor", "episodes_planned")}
        settings.update(batch_size=batch_size, max_context_tokens=max_context_tokens, window_turns=window_turns,
                        repeat=repeat, generation=run["generation"])
        run_manifest = manifest.build("eval", env_id=env_id, env_kwargs=env_kwargs, split=split,
                                      task_ids=[t.id for t in tasks], seed=seed, policy=policy_name,
                                      policy_obj=policy, settings=settings)
        manifest.write(out_dir, run_manifest)
    elif resume or overwrite:
        raise ValueError("resume and overwrite concern an output folder: pass out_dir (--out)")
    title = f"{policy_name} on {env_id} ({split})"
    t0 = time.time()
    env: Any = runners if runners is not None else env_id
    played: list[Trajectory] = []

    def keep(traj: Trajectory) -> None:
        played.append(traj)
        if folder is not None:
            folder.add(traj)

    try:
        rollout(env, policy, tasks, group_size=group_size, seed=seed, max_turns=max_turns,
                max_context_tokens=max_context_tokens, batch_size=batch_size, progress=progress,
                env_kwargs=None if runners is not None else env_kwargs, executor=executor, history=history,
                window_turns=window_turns, on_episode=keep, skip_jobs={t.seed - seed for t in previous
                                                                        if t.seed is not None})
    except BaseException:
        # Ctrl-C, SIGTERM (the CLI turns it into KeyboardInterrupt) or a crash: keep what finished, marked partial.
        if folder is not None:
            _refresh_policy_identity(out_dir, run_manifest, policy_name, policy)
            done = _in_task_order(previous + played)
            folder.finish(done, eval_metrics(done, seed=seed), partial=True, title=title)
        raise
    elapsed = time.time() - t0
    trajs = _in_task_order(previous + played)
    metrics = eval_metrics(trajs, seed=seed)
    metrics["perf/eval_seconds"] = elapsed
    metrics["perf/episodes_per_s"] = len(played) / elapsed if elapsed > 0 else float("inf")
    result = EvalResult(metrics=metrics, trajectories=trajs, out_dir=out_dir)
    if folder is not None:
        _refresh_policy_identity(out_dir, run_manifest, policy_name, policy)
        result.files = folder.finish(trajs, metrics, partial=False, title=title)
    return result


def _refresh_policy_identity(out_dir: str, run_manifest: dict[str, Any], policy_name: str, policy: Policy) -> None:
    """Rewrite manifest.json's policy entry once the episodes ran: a server names the model it served only in its
    replies (`server_reported_model`)."""
    from agentgym import manifest

    identity = {"spec": policy_name, **manifest.model_identity(policy)}
    if identity != run_manifest["policy"]:
        run_manifest["policy"] = identity
        manifest.write(out_dir, run_manifest)


def generation_settings(policy: Policy) -> dict[str, Any]:
    """The policy's generation settings (max tokens, temperature, ...) where it has any; {} for scripted ones."""
    describe = getattr(policy, "generation_settings", None)
    return dict(describe()) if callable(describe) else {}


def _in_task_order(trajectories: list[Trajectory]) -> list[Trajectory]:
    """Episodes in task, then group order (episode i of an eval has seed `seed + i`), whatever order they ended in."""
    return sorted(trajectories, key=lambda t: (t.seed is None, t.seed or 0))


def _ci_line(label: str, m: dict[str, float], key: str, pct: bool = False) -> str:
    fmt = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:.3f}")
    return f"{label:<13} {fmt(m[key])}  (95% CI {fmt(m[key + '_ci_low'])} .. {fmt(m[key + '_ci_high'])})"
