"""GiGPO credit: an episode-level group advantage plus a step-level advantage over anchor-state groups.

Paper: Feng et al. 2025, "Group-in-Group Policy Optimization for LLM Agent Training" (verl-agent).
Formula: A_t = A_episode + w * A_step, A_episode = norm_group(R_i), A_step = norm_anchor(G_t) where G_t is the
discounted return (gamma 0.95) of the turn rewards from turn t on, and an anchor group is every turn of the group
whose observation (text and images) is identical.

Follows verl-agent's gigpo/core_gigpo.py in these details:
  - normalisation "mean_std_norm" (x - mean) / (std + eps), the default of its example scripts, or "mean_norm"
    (x - mean); std is torch.std's sample std (n - 1); eps = 1e-6.
  - episode statistics are taken over one entry per TURN (verl-agent's batch holds one row per step, and its default
    compute_mean_std_cross_all_data=True pools every row), so longer episodes weigh more in the episode baseline;
    `episode_stats="per_episode"` counts each episode once (the paper's formula).
  - a single entry (an episode group of one row) gets mean 0 and std 1, i.e. A_episode = R; a singleton anchor group
    gets mean = its own return and std 1, i.e. A_step = 0.
Departures: the episode return R is the sum of env turn rewards (as verl-agent's episode reward manager) by default,
with `episode_return="success"` as an option; verl-agent's optional similarity-based anchor matching is not included.
Returns per-turn ADVANTAGES (it normalises itself).

Truncation: the step returns G_t stop at the limit that cut the episode: GiGPO is critic-free, so there is no value
to bootstrap from (as in verl-agent); only PPO's GAE bootstraps V(s_T), and PPO refuses advantage-only methods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agentgym.trainers.advantages import discounted_returns, mean_std
from agentgym.trainers.credit.outcome import OutcomeSource, episode_outcome, validate_outcome_source
from agentgym.types import Trajectory

GiGPOMode = Literal["mean_std_norm", "mean_norm"]


@dataclass(kw_only=True)
class GiGPOCreditConfig:
    gamma: float = 0.95
    """Discount of the step-level returns G_t (verl-agent's algorithm.gamma in its GiGPO scripts)."""
    step_weight: float = 1.0
    """w in A = A_episode + w * A_step (verl-agent's step_advantage_w)."""
    mode: GiGPOMode = "mean_std_norm"
    """"mean_std_norm": (x - mean) / (std + eps); "mean_norm": x - mean (no std division)."""
    epsilon: float = 1e-6
    """Added to the std before dividing."""
    episode_stats: Literal["per_turn", "per_episode"] = "per_turn"
    """Pool the episode-level mean/std over one entry per turn (verl-agent) or one per episode (the paper)."""
    episode_return: OutcomeSource = "total_reward"
    """Episode return R: "total_reward" (sum of env rewards, verl-agent), "success" (1/0) or "progress"."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}; GiGPO's default is 0.95.")
        if self.mode not in ("mean_std_norm", "mean_norm"):
            raise ValueError(f"mode must be 'mean_std_norm' or 'mean_norm', got {self.mode!r}.")
        if self.episode_stats not in ("per_turn", "per_episode"):
            raise ValueError(f"episode_stats must be 'per_turn' or 'per_episode', got {self.episode_stats!r}.")
        if self.epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}; use a small value like 1e-6.")
        validate_outcome_source(self.episode_return)


def _sample_mean_std(values: Sequence[float]) -> tuple[float, float]:
    return mean_std(values, unbiased=True)


def _normalize(x: float, mean: float, std: float, mode: GiGPOMode, epsilon: float) -> float:
    return x - mean if mode == "mean_norm" else (x - mean) / (std + epsilon)


def gigpo_advantages(
    episode_returns: Sequence[float],
    turn_rewards: Sequence[Sequence[float]],
    anchors: Sequence[Sequence[object]],
    *,
    gamma: float = 0.95,
    step_weight: float = 1.0,
    mode: GiGPOMode = "mean_std_norm",
    epsilon: float = 1e-6,
    episode_stats: Literal["per_turn", "per_episode"] = "per_turn",
) -> tuple[list[list[float]], dict[str, float]]:
    """GiGPO over one group: episode returns R_i, per-turn rewards r_{i,t}, per-turn anchor keys (hashable, e.g. the
    observation text). Returns (per-turn advantages, metrics)."""
    if not (len(episode_returns) == len(turn_rewards) == len(anchors)):
        raise ValueError(
            f"got {len(episode_returns)} episode returns, {len(turn_rewards)} reward lists and {len(anchors)} anchor "
            "lists; pass one of each per trajectory."
        )
    for i, (r, a) in enumerate(zip(turn_rewards, anchors)):
        if len(r) != len(a):
            raise ValueError(f"episode {i} has {len(r)} turn rewards but {len(a)} anchors; pass one per turn.")

    # Episode level.
    if episode_stats == "per_turn":
        pool = [float(R) for R, r in zip(episode_returns, turn_rewards) for _ in r]
    else:
        pool = [float(R) for R in episode_returns]
    if len(pool) > 1:
        ep_mean, ep_std = _sample_mean_std(pool)
    else:
        ep_mean, ep_std = 0.0, 1.0  # verl-agent: a lone entry keeps its raw return
    episode_adv = [_normalize(float(R), ep_mean, ep_std, mode, epsilon) for R in episode_returns]

    # Step level: anchor groups over every turn of the group.
    step_returns = [discounted_returns(r, gamma) for r in turn_rewards]
    by_anchor: dict[object, list[float]] = defaultdict(list)
    for rets, keys in zip(step_returns, anchors):
        for g, key in zip(rets, keys):
            by_anchor[key].append(g)
    stats = {}
    for key, vals in by_anchor.items():
        stats[key] = _sample_mean_std(vals) if len(vals) > 1 else (vals[0], 1.0)

    advantages = []
    for a_ep, rets, keys in zip(episode_adv, step_returns, anchors):
        row = []
        for g, key in zip(rets, keys):
            mean, std = stats[key]
            row.append(a_ep + step_weight * _normalize(g, mean, std, mode, epsilon))
        advantages.append(row)

    sizes = [len(v) for v in by_anchor.values()]
    num_turns = sum(sizes)
    metrics = {
        "credit/gigpo_anchor_groups": float(len(sizes)),
        "credit/gigpo_mean_anchor_size": num_turns / len(sizes) if sizes else 0.0,
        "credit/gigpo_singleton_turn_frac": (sum(1 for s in sizes if s == 1) / num_turns) if num_turns else 0.0,
    }
    return advantages, metrics


def gigpo_credit(
    group: Sequence[Trajectory], config: GiGPOCreditConfig | None = None
) -> tuple[list[list[float]], dict[str, float]]:
    """GiGPO advantages of a group of trajectories; anchors are the turns' states: observation text and, for visual
    envs, the hashes of the observation's images (two screens with the same text are different states)."""
    config = config or GiGPOCreditConfig()
    return gigpo_advantages(
        [episode_outcome(t, config.episode_return) for t in group],
        [[float(turn.reward) for turn in t.turns] for t in group],
        [[turn.state_key() for turn in t.turns] for t in group],
        gamma=config.gamma,
        step_weight=config.step_weight,
        mode=config.mode,
        epsilon=config.epsilon,
        episode_stats=config.episode_stats,
    )
