"""The data order of a run: the configured env's train and held-out tasks, and which tasks (or demonstrations) each
optimizer step sees. The order is a pure function of (seed, step), so a resumed run sees what an uninterrupted one
would have."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from agentgym.core import Task
from agentgym.trainers.config import ConfigError, EnvConfig


def env_tasks(env_cfg: EnvConfig) -> tuple[list[Task], list[Task]]:
    """(train tasks, held-out tasks) of the configured env, honouring train_split / eval_split / num_train_tasks."""
    from agentgym.registry import make

    env = make(env_cfg.id, **env_cfg.kwargs)
    try:
        suite = env.unwrapped.suite
        train_split = env_cfg.train_split or suite.train_splits[0]
        heldout = suite.heldout_splits
        eval_split = env_cfg.eval_split or (heldout[0] if heldout else None)
        if eval_split is None:
            raise ConfigError(f"env {env_cfg.id!r} has no held-out split; set env.eval_split to one of "
                              f"{suite.split_names}")
        try:
            train, held = suite.split(train_split), suite.split(eval_split)
        except KeyError as e:
            raise ConfigError(f"{e.args[0]}; fix env.train_split / env.eval_split") from None
        # Envs with a difficulty `level` (TextAdventure) apply it only to tasks they sample themselves; the trainer
        # passes tasks explicitly, so it filters the same way.
        level = getattr(env.unwrapped, "level", None)
        if level is not None:
            train = [t for t in train if t.params.get("level", level) == level]
            held = [t for t in held if t.params.get("level", level) == level]
        train = [t for t in train if matches(t, env_cfg.task_params)]
        held = [t for t in held if matches(t, env_cfg.task_params)]
        if not train or not held:
            raise ConfigError(f"no {'train' if not train else 'held-out'} task of {env_cfg.id!r} is left after "
                              f"filtering (level={level!r}, env.task_params={env_cfg.task_params}); relax them")
    finally:
        env.close()
    if env_cfg.num_train_tasks is not None:
        train = train[: env_cfg.num_train_tasks]
    return train, held


def matches(task: Task, wanted: dict) -> bool:
    """Whether a task's params match env.task_params: equal to a scalar value, or any of a list's values."""
    return all(task.params.get(key) in want if isinstance(want, list) else task.params.get(key) == want
               for key, want in wanted.items())


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of n items in epoch `epoch` (0-based): a permutation of range(n) seeded by (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def step_indices(n: int, per_step: int, seed: int, step: int) -> list[int]:
    """Indices (into n items) of optimizer step `step` (0-based): consecutive slices of epoch_order(n, seed, epoch),
    one epoch after another. A pure function of (seed, step), so a resumed run sees the same data order as an
    uninterrupted one."""
    if n < 1:
        raise ValueError(f"step_indices needs at least one item to order, got n={n}")
    orders: dict[int, np.ndarray] = {}
    out = []
    for pos in range(step * per_step, (step + 1) * per_step):
        epoch, i = divmod(pos, n)
        if epoch not in orders:
            orders[epoch] = epoch_order(n, seed, epoch)
        out.append(int(orders[epoch][i]))
    return out


def tasks_for_step(tasks: Sequence[Task], per_step: int, seed: int, step: int) -> list[Task]:
    """The tasks of optimizer step `step` (0-based), in the order of step_indices (reshuffled every epoch)."""
    return [tasks[i] for i in step_indices(len(tasks), per_step, seed, step)]
