"""Turn-level credit: each turn's own env reward, turned into discounted returns and normalised over the group.

Paper: the turn-level / process-reward baseline of multi-turn GRPO variants (e.g. "turn-level credit assignment",
Zeng et al. 2025; StarPO's per-turn rewards in RAGEN). Formula: G_t = sum_{k>=t} gamma^(k-t) r_k;
A_t = (G_t - mean(G)) / (std(G) + eps), mean and population std over ALL turns of ALL episodes of the group.
Returns per-turn ADVANTAGES (it normalises itself), plus the raw per-turn env rewards as `rewards` for PPO/GAE.
Departs from released code in that there is no single reference implementation: we pool every turn of the group
(like IGPO's joint normalisation) rather than normalising per turn index.

Truncation: a critic-free return G_t stops at the limit that cut the episode (there is no value to bootstrap
from); used with PPO, the per-turn rewards feed GAE, which bootstraps V(s_T) on truncation (trainers/ppo.py).

Caveat, measured (docs/benchmarks/credit_comparison.md): where every turn earns the same reward whatever the action
(TwentyQuestions' -1 per question), the pooled returns differ only by position (-5, -4, ..., -1), so the advantages
say "early turns bad, late turns good" and nothing about the actions; training on them drove the policy to invalid
text. Use this method where per-turn rewards depend on the action (TextAdventure's subgoal rewards).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentgym.trainers.advantages import discounted_returns, group_normalize
from agentgym.types import Trajectory


@dataclass(kw_only=True)
class TurnLevelCreditConfig:
    gamma: float = 1.0
    """Discount over turns for the per-turn returns (1.0 = undiscounted reward-to-go)."""
    std_normalize: bool = True
    """Divide by the group's std of returns; False keeps only the mean subtraction (Dr. GRPO style)."""
    epsilon: float = 1e-6
    """Added to the std before dividing, so a group of identical returns gives 0, not NaN."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}; 1.0 is the undiscounted return.")
        if self.epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}; use a small value like 1e-6.")


def turn_level_advantages(
    turn_rewards: Sequence[Sequence[float]],
    *,
    gamma: float = 1.0,
    std_normalize: bool = True,
    epsilon: float = 1e-6,
) -> list[list[float]]:
    """Per-turn rewards of one group -> discounted per-turn returns -> jointly normalised advantages."""
    returns = [discounted_returns(r, gamma) for r in turn_rewards]
    return group_normalize(returns, std_normalize=std_normalize, epsilon=epsilon)


def turn_rewards_of(traj: Trajectory) -> list[float]:
    """The env's reward of each turn."""
    return [float(t.reward) for t in traj.turns]


def turn_level_credit(
    group: Sequence[Trajectory], config: TurnLevelCreditConfig | None = None
) -> tuple[list[list[float]], list[list[float]]]:
    """(advantages, raw per-turn rewards) for a group of trajectories."""
    config = config or TurnLevelCreditConfig()
    rewards = [turn_rewards_of(t) for t in group]
    adv = turn_level_advantages(rewards, gamma=config.gamma, std_normalize=config.std_normalize, epsilon=config.epsilon)
    return adv, rewards
