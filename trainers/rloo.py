"""RLOO for multi-turn agents: each episode's baseline is the mean score of the other members of its group.

Paper: Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human
Feedback in LLMs" (REINFORCE Leave-One-Out; Kool et al. 2019).
Formula: A_i = R_i - 1/(G-1) * sum_{j != i} R_j on every policy token of episode i; loss = -A * ratio (clipped).
Departures from the paper: (1) an episode is many turns; R_i is the sum of the per-turn rewards the credit method
gives, and methods returning per-turn advantages (turn_level, gigpo, info_gain) replace the episode
advantage turn by turn; (2) the paper's plain REINFORCE loss becomes the PPO-clip surrogate, which equals it for
update_epochs = 1 (ratio = 1 at the first step) and keeps later epochs safe; (3) no KL-in-reward: KL to a reference
is a loss term, off unless algo.kl_coef > 0.

The step is GRPO's (grpo.Trainer.step: rollout -> credit -> advantages -> clipped update); only the baseline of the
episode scores differs, so this Trainer overrides grpo.Trainer.turn_advantages and nothing else.

Run it: agentgym train configs/tiny_rloo.toml
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentgym.trainers import grpo
from agentgym.trainers.config import ConfigError, PolicyGradientConfig, TrainConfig


@dataclass(kw_only=True)
class Config(PolicyGradientConfig):
    name: str = "rloo"
    """Trainer name (fixed)."""

    def validate(self, cfg: TrainConfig) -> None:
        if cfg.rollout.group_size < 2:
            raise ConfigError(f"rollout.group_size must be >= 2 for a leave-one-out baseline (RLOO), got "
                              f"{cfg.rollout.group_size}; set --set rollout.group_size=4")


class Trainer(grpo.Trainer):
    """One RLOO step = rollout a group per task -> credit -> leave-one-out advantages -> clipped PG update."""

    def turn_advantages(self, groups: list[list[Any]]) -> tuple[list[list[float]], dict[str, float]]:
        """Per-turn advantages: each episode's score minus the mean score of the rest of its group, for
        reward-returning methods; the method's own advantages for the ones that normalise themselves."""
        return self.credit.turn_advantages(groups, estimator="rloo")
