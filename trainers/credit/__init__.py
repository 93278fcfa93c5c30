"""Credit assignment: a group of trajectories (the G episodes of one task) -> per-turn rewards or advantages.

Public API (stable; the trainers build on it):

    CreditMethod = Literal["outcome", "turn_level", "gigpo", "gated", "info_gain", "progress", "role_conditioned"]
    CreditResult(rewards: list[list[float]] | None, advantages: list[list[float]] | None, metrics: dict[str, float])
    assign_credit(method, group, config=None, *, beliefs=None, estimator=None) -> CreditResult
    config classes: OutcomeCreditConfig, TurnLevelCreditConfig, GiGPOCreditConfig, GatedCreditConfig,
                    InfoGainCreditConfig, ProgressCreditConfig, RoleConditionedCreditConfig
    answer_beliefs(model, tokenizer, trajectories, *, probe_text, answer_separator, batch_size) -> list[list[float]]
    ProgressEstimator(backbone, *, lr, train_backbone, outcome, batch_size)

What each method returns (the trainer's rule: if `advantages` is set, a group-relative trainer (GRPO/RLOO) uses them
as they are; otherwise it turns `rewards` into advantages with advantages.episode_advantages; PPO always runs GAE over
`rewards`, which every method except gigpo sets):

    method       rewards                                   advantages
    outcome      outcome on the last turn                  None
    gated        G-RA gated step rewards + outcome         None
    progress     c_t + w * 1[valid]                        None
    turn_level   the env's per-turn rewards                normalised discounted per-turn returns
    info_gain    [info gains..., outcome]                  IGPO's normalised turn-level sums
    gigpo        None                                      A_episode + w * A_step
    role_cond.   outcome on the last turn                  R - b_{game,role} (SPIRAL's RAE; baselines kept
                                                           across steps by trainers/credit_step.py)

Every list is one per trajectory of `group`, in order, one float per turn. Trajectories that ended in an error are
credited like any other; dropping or penalising them is the trainer's decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from agentgym.trainers.credit.gated import GatedCreditConfig, gated_credit, gated_rewards
from agentgym.trainers.credit.gigpo import GiGPOCreditConfig, gigpo_advantages, gigpo_credit
from agentgym.trainers.credit.info_gain import (
    InfoGainCreditConfig,
    info_gain_advantages,
    info_gain_credit,
    info_gain_rewards,
)
from agentgym.trainers.credit.outcome import OutcomeCreditConfig, episode_outcome, outcome_credit, outcome_rewards
from agentgym.trainers.credit.role_conditioned import RoleBaselines, RoleConditionedCreditConfig, episode_role
from agentgym.trainers.credit.turn_level import TurnLevelCreditConfig, turn_level_advantages, turn_level_credit
from agentgym.types import Trajectory

if TYPE_CHECKING:
    from agentgym.trainers.credit.progress import ProgressCreditConfig, ProgressEstimator

CreditMethod = Literal["outcome", "turn_level", "gigpo", "gated", "info_gain", "progress", "role_conditioned"]
CREDIT_METHODS: tuple[str, ...] = get_args(CreditMethod)


def __getattr__(name: str) -> Any:
    # progress.py imports torch at module level (it defines an nn.Module); load it only when asked for.
    if name in ("ProgressEstimator", "ProgressCreditConfig", "progress_rewards", "progress_credit"):
        from agentgym.trainers.credit import progress

        return getattr(progress, name)
    if name == "answer_beliefs":
        from agentgym.trainers.credit.info_gain import answer_beliefs

        return answer_beliefs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _progress_config_class() -> type:
    from agentgym.trainers.credit.progress import ProgressCreditConfig

    return ProgressCreditConfig


def config_class(method: str) -> type:
    """The config dataclass of a credit method."""
    classes = {
        "outcome": OutcomeCreditConfig,
        "turn_level": TurnLevelCreditConfig,
        "gigpo": GiGPOCreditConfig,
        "gated": GatedCreditConfig,
        "info_gain": InfoGainCreditConfig,
        "role_conditioned": RoleConditionedCreditConfig,
    }
    if method == "progress":
        return _progress_config_class()
    if method not in classes:
        raise ValueError(f"unknown credit method {method!r}; choose one of {CREDIT_METHODS}.")
    return classes[method]


@dataclass
class CreditResult:
    """Per-turn credit of one group: `rewards` (to be turned into advantages) and/or `advantages` (final)."""

    rewards: list[list[float]] | None = None
    """Per-turn rewards, one list per trajectory; None for methods that only produce advantages (gigpo)."""
    advantages: list[list[float]] | None = None
    """Per-turn advantages for methods that normalise themselves; None for reward-only methods."""
    metrics: dict[str, float] = field(default_factory=dict)
    """Namespaced diagnostics (`credit/...`)."""

    def __post_init__(self) -> None:
        if self.rewards is None and self.advantages is None:
            raise ValueError("a CreditResult needs rewards or advantages (or both); got neither.")


def assign_credit(
    method: CreditMethod,
    group: Sequence[Trajectory],
    config: Any = None,
    *,
    beliefs: Sequence[Sequence[float]] | None = None,
    estimator: ProgressEstimator | None = None,
    baselines: RoleBaselines | None = None,
) -> CreditResult:
    """Run one credit method on one group. `config` is the method's config dataclass (None: its defaults).

    info_gain needs `beliefs` (answer_beliefs(model, tokenizer, group)); progress needs a ProgressEstimator;
    role_conditioned updates `baselines` (a RoleBaselines kept across steps; a fresh one when None).
    """
    cls = config_class(method)
    if config is None:
        config = cls()
    elif not isinstance(config, cls):
        raise TypeError(f"credit method {method!r} takes a {cls.__name__}, got a {type(config).__name__}.")
    group = list(group)
    metrics: dict[str, float]
    if method == "outcome":
        return CreditResult(rewards=outcome_credit(group, config))
    if method == "turn_level":
        adv, rewards = turn_level_credit(group, config)
        return CreditResult(rewards=rewards, advantages=adv)
    if method == "gigpo":
        adv, metrics = gigpo_credit(group, config)
        return CreditResult(advantages=adv, metrics=metrics)
    if method == "gated":
        rewards, metrics = gated_credit(group, config)
        return CreditResult(rewards=rewards, metrics=metrics)
    if method == "role_conditioned":
        baselines = baselines if baselines is not None else RoleBaselines(config)
        adv, rewards, metrics = baselines.advantages(group)
        return CreditResult(rewards=rewards, advantages=adv, metrics=metrics)
    if method == "info_gain":
        if beliefs is None:
            raise ValueError(
                "credit method 'info_gain' needs beliefs: compute them with "
                "agentgym.trainers.credit.answer_beliefs(model, tokenizer, group) and pass beliefs=..."
            )
        adv, rewards, metrics = info_gain_credit(group, beliefs, config)
        return CreditResult(rewards=rewards, advantages=adv, metrics=metrics)
    # progress
    if estimator is None:
        raise ValueError(
            "credit method 'progress' needs a trained estimator: build "
            "agentgym.trainers.credit.ProgressEstimator(backbone), fit it, and pass estimator=..."
        )
    from agentgym.trainers.credit.progress import progress_credit

    rewards, metrics = progress_credit(group, estimator, config)
    return CreditResult(rewards=rewards, metrics=metrics)


__all__ = [
    "CREDIT_METHODS",
    "CreditMethod",
    "CreditResult",
    "GatedCreditConfig",
    "GiGPOCreditConfig",
    "InfoGainCreditConfig",
    "OutcomeCreditConfig",
    "ProgressCreditConfig",
    "ProgressEstimator",
    "RoleBaselines",
    "RoleConditionedCreditConfig",
    "TurnLevelCreditConfig",
    "answer_beliefs",
    "assign_credit",
    "config_class",
    "episode_role",
    "episode_outcome",
    "gated_rewards",
    "gigpo_advantages",
    "info_gain_advantages",
    "info_gain_rewards",
    "outcome_rewards",
    "turn_level_advantages",
]
