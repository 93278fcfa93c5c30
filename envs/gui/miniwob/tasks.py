"""MiniWoB++ task suites: one per task page, seeds as tasks.

Every MiniWoB-<task>-v0 has a "train" split (seeds 0..199) and a "heldout" split (seeds 1_000_000..1_000_019, 20
seeds: the issue's bar is the oracle solving each task on 20 seeds). MiniWoB++ generates every problem from
Math.random, which the episode seeds with Math.seedrandom(seed) before starting it (BrowserGym's protocol), so a
seed is a problem.
"""

from __future__ import annotations

from agentgym.core import Task, TaskSuite
from agentgym.envs.gui.miniwob.oracle import ORACLES

TASKS = tuple(sorted(ORACLES))
"""Every shipped task (each has an expert)."""
SPLIT_SEEDS = {"train": range(0, 200), "heldout": range(1_000_000, 1_000_020)}


def build_suite(task: str) -> TaskSuite:
    if task not in ORACLES:
        raise ValueError(f"MiniWoB task {task!r} is not shipped; the shipped tasks are {list(TASKS)}")
    return TaskSuite(f"miniwob/{task}", "1", {
        split: [Task(id=f"miniwob/{task}/{split}/{s}", split=split, seed=s, params={"task": task}, family=task)
                for s in seeds] for split, seeds in SPLIT_SEEDS.items()})
