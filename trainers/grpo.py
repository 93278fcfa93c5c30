"""GRPO for multi-turn agents: group-relative advantages, no critic.

Paper: Shao et al. 2024, "DeepSeekMath" (Group Relative Policy Optimization).
Formula: A_i = (R_i - mean_G(R)) / (std_G(R) + eps) on every policy token of episode i; loss = PPO-clip(ratio, A).
Departures from the paper: (1) an episode is many turns; its score R_i is the sum of the per-turn rewards the credit
method gives (outcome: the outcome itself), and credit methods that return per-turn advantages (turn_level, gigpo,
info_gain) replace the episode-level advantage turn by turn; (2) the loss averages over all policy tokens
of the batch by default (algo.loss_agg = "token-mean", DAPO / Dr. GRPO) instead of per sequence; (3) the KL term to
a reference model is off unless algo.kl_coef > 0 (k3 estimator, added to the loss as in the paper, not the reward);
(4) env tokens never carry loss (they are masked).

Run it: agentgym train configs/tiny_grpo.toml
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agentgym.trainers.batching import make_batch
from agentgym.trainers.credit_step import CreditStep
from agentgym.trainers.update import policy_gradient_update
from agentgym.trainers.config import ConfigError, PolicyGradientConfig, TrainConfig
from agentgym.trainers.padding import pad_id_of


@dataclass(kw_only=True)
class Config(PolicyGradientConfig):
    name: str = "grpo"
    """Trainer name (fixed)."""
    std_normalize: bool = True
    """Divide by the group's std of scores (GRPO); False keeps only the mean subtraction (Dr. GRPO)."""
    epsilon: float = 1e-6
    """Added to the std so a group of equal scores gives advantage 0, not NaN."""

    def validate(self, cfg: TrainConfig) -> None:
        if cfg.rollout.group_size < 2:
            raise ConfigError(f"rollout.group_size must be >= 2 for group-relative advantages (GRPO), got "
                              f"{cfg.rollout.group_size}; set --set rollout.group_size=4")


class Trainer:
    """One GRPO step = rollout a group per task -> credit -> group-relative advantages -> clipped PG update."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.algo: Config = ctx.cfg.algo
        self.ref_model = ctx.reference_model() if self.algo.kl_coef > 0 else None
        self.credit = CreditStep(ctx)
        self.estimator = self.credit.estimator

    def modules(self) -> dict[str, Any]:
        """Extra trainable modules (none for GRPO); they join the optimizer and the checkpoint."""
        return {}

    def load_extra(self, ckpt: Any) -> None:
        self.credit.load(ckpt)

    def turn_advantages(self, groups: list[list[Any]]) -> tuple[list[list[float]], dict[str, float]]:
        """Per-turn advantages for every episode: the group-relative score advantage for reward-returning methods,
        the method's own advantages for the ones that normalise themselves. (RLOO overrides only this.)"""
        return self.credit.turn_advantages(groups, estimator="grpo", std_normalize=self.algo.std_normalize,
                                           epsilon=self.algo.epsilon)

    def step(self, step: int) -> dict[str, float]:
        ctx, algo = self.ctx, self.algo

        # ROLLOUT ------------------------------------------------------------------------------------------------------
        groups, metrics = ctx.rollout_groups(step)

        # CREDIT -------------------------------------------------------------------------------------------------------
        per_turn, credit_metrics = self.turn_advantages(groups)
        metrics.update(credit_metrics)

        # ADVANTAGES ---------------------------------------------------------------------------------------------------
        episodes = [t for g in groups for t in g]
        if not episodes:
            return {**metrics, "loss/skipped": 1.0}
        ctx.record(step, episodes, per_turn)
        # Each turn's advantage on every token of its completion: one row per episode, or per turn (windowed).
        batch = make_batch(episodes, per_turn, pad_id=pad_id_of(ctx.tokenizer), vision=ctx.vision)
        metrics["reward/advantage_abs_mean"] = float(batch.advantages.abs().sum() / max(batch.num_policy_tokens, 1))

        # UPDATE -------------------------------------------------------------------------------------------------------
        t1 = time.time()
        metrics.update(policy_gradient_update(ctx, batch, algo, ref_model=self.ref_model))
        metrics["perf/update_s"] = time.time() - t1
        metrics["perf/tokens"] = float(batch.attention_mask.sum())
        metrics.update(self.credit.after_update(episodes))
        return metrics
