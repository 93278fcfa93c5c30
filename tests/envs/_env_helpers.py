"""Checks several env test files share."""

from __future__ import annotations

import random
from collections.abc import Sequence

from agentgym.core import AgentEnv, Task


def assert_oracle_recovers_after_random_actions(env: AgentEnv, tasks: Sequence[Task], random_steps: int) -> None:
    """Play up to `random_steps` random admissible actions, then the oracle from wherever that left the episode: it
    must finish every task successfully before the turn limit (the oracle plans from the current state, not from a
    script recorded at reset)."""
    rng = random.Random(0)
    for task in tasks:
        _, info = env.reset(options={"task": task})
        terminated = False
        for _ in range(random_steps):
            _, _, terminated, _, info = env.step(rng.choice(info["admissible_actions"]))
            if terminated:
                break
        while not terminated:
            _, _, terminated, truncated, info = env.step(env.oracle_action())
            assert not truncated, task.id
        assert info["success"], task.id
