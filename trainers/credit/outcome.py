"""Outcome-only credit: the episode's final outcome, paid on its last turn; every other turn gets 0.

Paper: the outcome-reward setting of GRPO (Shao et al. 2024) and RLOO (Ahmadian et al. 2024) applied to agents.
Formula: r_t = 0 for t < T, r_T = R (R = success as 0/1, the env's total reward, or its final progress).
Returns per-turn REWARDS; GRPO/RLOO turn them into one advantage per episode (advantages.episode_advantages), PPO
runs GAE over them. No departure from released code: there is nothing more to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentgym.types import Trajectory

OutcomeSource = Literal["success", "total_reward", "progress"] | str
"""One of OUTCOME_SOURCES, or "info:KEY": the number the env put under KEY in the last turn's info (the SWE sandbox's
"info:outcome_level", G-RA's ordered outcome)."""
OUTCOME_SOURCES = ("success", "total_reward", "progress")


def validate_outcome_source(source: str) -> None:
    if source not in OUTCOME_SOURCES and not (source.startswith("info:") and len(source) > len("info:")):
        raise ValueError(f"outcome must be one of {OUTCOME_SOURCES} or 'info:KEY', got {source!r}.")


def episode_outcome(traj: Trajectory, source: OutcomeSource = "success") -> float:
    """The episode's outcome R: success as 1.0/0.0, the sum of env rewards, the env's final progress in [0, 1], or
    (source "info:KEY") the last turn's info[KEY]. An errored episode kept for the update (rollout.drop_errors =
    false) has the configured penalty instead."""
    if traj.error is not None and "error_penalty" in traj.metadata:
        return float(traj.metadata["error_penalty"])
    if source == "success":
        return 1.0 if traj.success else 0.0
    if source == "total_reward":
        return traj.total_reward
    if source == "progress":
        return traj.progress
    if source.startswith("info:") and len(source) > len("info:"):
        return info_number(traj.turns[-1].info if traj.turns else {}, source[len("info:"):], traj)
    raise ValueError(f"outcome must be one of {OUTCOME_SOURCES}, got {source!r}.")


def info_number(info: dict, key: str, traj: Trajectory) -> float:
    """info[key] as a float; a missing or non-numeric value is an error (a typo would otherwise train on zeros)."""
    value = info.get(key)
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return float(value)
    raise ValueError(f"credit reads info[{key!r}], but a turn of {traj.env_id} task {traj.task_id!r} has "
                     f"{'no such key' if key not in info else repr(value)} (keys: {sorted(info)}).")


@dataclass(kw_only=True)
class OutcomeCreditConfig:
    outcome: OutcomeSource = "success"
    """What counts as the episode's outcome: "success" (1/0), "total_reward" (sum of env rewards), "progress", or
    "info:KEY" (the last turn's info[KEY])."""

    def __post_init__(self) -> None:
        validate_outcome_source(self.outcome)


def outcome_rewards(outcome: float, num_turns: int) -> list[float]:
    """[0, ..., 0, outcome] of length num_turns (empty for an episode with no turn)."""
    if num_turns < 0:
        raise ValueError(f"num_turns must be >= 0, got {num_turns}.")
    rewards = [0.0] * num_turns
    if num_turns:
        rewards[-1] = float(outcome)
    return rewards


def outcome_credit(group: Sequence[Trajectory], config: OutcomeCreditConfig | None = None) -> list[list[float]]:
    """Per-turn rewards of each trajectory of the group: the outcome on the last turn."""
    config = config or OutcomeCreditConfig()
    return [outcome_rewards(episode_outcome(t, config.outcome), t.num_turns) for t in group]
