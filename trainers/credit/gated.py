"""Gated reward accumulation (G-RA): step rewards count only when the episode's high-priority outcome clears a gate.

Paper: "Stabilizing Long-term Multi-turn Reinforcement Learning with Gated Rewards" (G-RA, 2025).
Formula: R = R_high + 1[R_high >= threshold] * sum_t r_t, with R_high the outcome (success as 1/0 by default; on the
SWE sandbox the paper's ordered level, "info:outcome_level": no submission 0 < empty patch 1 < tests fail 2 <
resolved 3) and r_t the immediate reward of turn t: the env's per-turn reward plus, with `step_signals`, weighted
signals the env records in each turn's info (the paper's format, tool-success and file-change rewards:
{well_formed = 0.1, tool_ok = 0.1, files_changed = 0.2, tests_run = 0.1}). Kept per turn so PPO/GAE can use it:
r~_t = 1[open] * r_t, plus R_high on the last turn.
Returns per-turn REWARDS (GRPO/RLOO sum them to R; PPO runs GAE over them). The gate is inclusive (R_high ==
threshold opens it). Departure: the paper gates a hierarchy of reward levels; we implement the two-level case
(outcome over step rewards), which is what its software-engineering experiments use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agentgym.trainers.credit.outcome import OutcomeSource, episode_outcome, info_number, validate_outcome_source
from agentgym.types import Trajectory


@dataclass(kw_only=True)
class GatedCreditConfig:
    threshold: float = 1.0
    """Step rewards count only when the episode outcome is >= this value (with the 1/0 success outcome, 1.0 means
    "only in successful episodes")."""
    outcome: OutcomeSource = "success"
    """The high-priority outcome R_high: "success" (1/0), "progress" (the env's final progress), "total_reward", or
    "info:KEY" (the last turn's info[KEY], e.g. "info:outcome_level" on the SWE sandbox)."""
    step_signals: dict[str, float] = field(default_factory=dict)
    """Immediate rewards read from each turn's info, {KEY: weight}: r_t = env reward + sum of weight * info[KEY]
    (booleans count 1/0). Empty: the env's per-turn rewards alone."""

    def __post_init__(self) -> None:
        validate_outcome_source(self.outcome)
        for key, weight in self.step_signals.items():
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise ValueError(f"step_signals[{key!r}] must be a number (a weight), got {weight!r}.")


def immediate_rewards(traj: Trajectory, step_signals: dict[str, float]) -> list[float]:
    """Each turn's env reward plus its weighted info signals."""
    return [t.reward + sum(w * info_number(t.info, k, traj) for k, w in step_signals.items()) for t in traj.turns]


def gated_rewards(outcome: float, step_rewards: Sequence[float], *, threshold: float) -> list[float]:
    """G-RA: per-turn rewards r_t, paid only if outcome >= threshold; the outcome is added on the last turn."""
    gate_open = outcome >= threshold
    rewards = [float(r) if gate_open else 0.0 for r in step_rewards]
    if rewards:
        rewards[-1] += float(outcome)
    return rewards


def gated_credit(
    group: Sequence[Trajectory], config: GatedCreditConfig | None = None
) -> tuple[list[list[float]], dict[str, float]]:
    """Gated per-turn rewards of each trajectory, and the share of episodes whose gate was open."""
    config = config or GatedCreditConfig()
    rewards, opened = [], 0
    for traj in group:
        outcome = episode_outcome(traj, config.outcome)
        opened += outcome >= config.threshold
        rewards.append(gated_rewards(outcome, immediate_rewards(traj, config.step_signals), threshold=config.threshold))
    return rewards, {"credit/gate_open_frac": opened / len(group) if group else 0.0}
