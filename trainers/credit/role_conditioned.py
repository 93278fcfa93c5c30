"""Role-conditioned advantage estimation (RAE), for self-play on multi-agent games.

Paper: Liu et al. 2025, "SPIRAL: Self-Play on Zero-Sum Games Incentivizes Reasoning via Multi-Agent Multi-Turn
Reinforcement Learning", section 3.3. Formula: b_{G,p} <- alpha * b_{G,p} + (1 - alpha) * R_p, A = R_p - b_{G,p}, one
baseline per game G and role p (an exponential moving average of that role's returns); A goes on every turn of the
episode. Zero-sum games are rarely symmetric (player_0 in Kuhn poker expects -1/18): a shared baseline would push the
first seat's policy down for the game's structure, not for its play.

Departures from the paper's code: the baseline of a (game, role) is updated once per training step with the mean
return of that step's episodes in that role (SPIRAL updates per batch as well, but over its own batching), and each
episode's advantage uses the baseline after that update (paper, Algorithm 1: update, then subtract). The game is the
env id and the role the seat the episode played (info["seat"] of its turns, or the "@seat" suffix of its task id).
Returns per-turn ADVANTAGES (used as they are by GRPO/RLOO; group normalisation would undo the per-role baseline)
and the outcome as per-turn REWARDS (for PPO's GAE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentgym.trainers.credit.outcome import OutcomeSource, episode_outcome, outcome_rewards, validate_outcome_source
from agentgym.types import Trajectory


@dataclass(kw_only=True)
class RoleConditionedCreditConfig:
    alpha: float = 0.95
    """EMA decay of each (game, role) baseline (SPIRAL: 0.95)."""
    outcome: OutcomeSource = "total_reward"
    """The return R_p: the seat's total reward (its game payoff; default), success (1/0) or final progress."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha < 1.0:
            raise ValueError(f"alpha must be in [0, 1), got {self.alpha}; SPIRAL uses 0.95")
        validate_outcome_source(self.outcome)


def episode_role(traj: Trajectory) -> tuple[str, str]:
    """(game, role) of an episode: its env id and the seat it played."""
    for turn in reversed(traj.turns):
        seat = turn.info.get("seat")
        if seat:
            return traj.env_id, str(seat)
    _, at, seat = traj.task_id.rpartition("@")
    return traj.env_id, seat if at else "solo"


class RoleBaselines:
    """The EMA baselines b_{G,p}, kept across training steps (and saved in checkpoints)."""

    def __init__(self, config: RoleConditionedCreditConfig | None = None):
        self.config = config or RoleConditionedCreditConfig()
        self.values: dict[str, float] = {}

    @staticmethod
    def key(game: str, role: str) -> str:
        return f"{game}|{role}"

    def advantages(self, episodes: Sequence[Trajectory]) -> tuple[list[list[float]], list[list[float]],
                                                                    dict[str, float]]:
        """Update each (game, role) baseline with the mean return of `episodes` in that role, then
        A = R - b on every turn. Returns (advantages, outcome rewards, credit/... metrics)."""
        a = self.config.alpha
        returns = [episode_outcome(t, self.config.outcome) for t in episodes]
        by_key: dict[str, list[float]] = {}
        keys = [self.key(*episode_role(t)) for t in episodes]
        for k, r in zip(keys, returns):
            by_key.setdefault(k, []).append(r)
        for k, rs in by_key.items():
            self.values[k] = a * self.values.get(k, 0.0) + (1 - a) * (sum(rs) / len(rs))
        advantages = [[r - self.values[k]] * t.num_turns for t, k, r in zip(episodes, keys, returns)]
        rewards = [outcome_rewards(r, t.num_turns) for t, r in zip(episodes, returns)]
        metrics = {f"credit/baseline/{k.split('|', 1)[1]}": v for k, v in sorted(self.values.items())}
        return advantages, rewards, metrics

    # the checkpoint stores the credit method's state through save/load (like SPA's estimator)
    def save(self, path: str) -> None:
        import torch

        torch.save({"role_baselines": dict(self.values)}, path)

    def load(self, path: str) -> RoleBaselines:
        import os

        import torch

        if os.path.exists(path):
            self.values = dict(torch.load(path)["role_baselines"])
        return self

    def update(self, episodes: Any) -> float:  # the trainer's post-update hook; RAE has nothing to fit
        return 0.0
