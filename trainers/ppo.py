"""PPO for multi-turn agents: a value head on the policy's hidden states and GAE over the policy's own tokens.

Paper: Schulman et al. 2017, "Proximal Policy Optimization Algorithms", with GAE (Schulman et al. 2016).
Formula: delta_t = r_t + gamma V(s_t+1) - V(s_t), A_t = sum_k (gamma lam)^k delta_t+k over POLICY tokens;
loss = PPO-clip(ratio, A) + vf_coef * 0.5 (V - R)^2 (clipped) [+ kl_coef * KL(pi || ref)].
Departures from the paper (as in RLHF-style PPO, e.g. verl / OpenRLHF): the critic is a linear head on the policy's
last hidden state (shared trunk, no separate critic model); each turn's reward sits on the last token of its
completion and GAE steps only over policy tokens, so env tokens neither consume discount nor carry advantage
(trainers/advantages.gae); an episode cut by the turn limit bootstraps with 0 (it is treated like an end). One
optimizer step per epoch over the whole batch (gradient accumulation), not shuffled minibatches.
Credit methods: outcome, gated, turn_level, info_gain and progress give per-turn rewards that GAE uses; gigpo (and any method
that returns advantages only) is refused with a config error, because PPO computes its own advantages.

Run it: agentgym train configs/tiny_ppo.toml
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from agentgym.trainers.advantages import gae, place_on_last_tokens, whiten
from agentgym.trainers.batching import make_batch
from agentgym.trainers.credit_step import CreditStep
from agentgym.trainers.forward import forward
from agentgym.trainers.update import policy_gradient_update
from agentgym.trainers.config import ConfigError, PolicyGradientConfig, TrainConfig
from agentgym.trainers.padding import pad_id_of

# Methods known to return per-turn advantages only (no rewards GAE could use).
ADVANTAGE_ONLY_METHODS = ("gigpo",)


@dataclass(kw_only=True)
class Config(PolicyGradientConfig):
    name: str = "ppo"
    """Trainer name (fixed)."""
    gamma: float = 1.0
    """Discount per policy token in GAE (1.0: undiscounted, the usual choice for LLM RL)."""
    lam: float = 0.95
    """GAE lambda: 1.0 is Monte Carlo returns minus the value, 0.0 is one-step TD."""
    vf_coef: float = 0.5
    """Weight of the value loss in the total loss."""
    value_clip: float | None = 0.2
    """Clip the value update to +-value_clip around the rollout-time value (None: no clipping)."""
    whiten_advantages: bool = True
    """Normalise advantages over the batch's policy tokens (mean 0, std 1)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.gamma <= 1.0:
            raise ConfigError(f"algo.gamma = {self.gamma!r} is invalid: use a value in [0, 1].")
        if not 0.0 <= self.lam <= 1.0:
            raise ConfigError(f"algo.lam = {self.lam!r} is invalid: use a value in [0, 1].")
        if self.vf_coef < 0:
            raise ConfigError(f"algo.vf_coef = {self.vf_coef!r} is invalid: use >= 0.")

    def validate(self, cfg: TrainConfig) -> None:
        if cfg.credit.method in ADVANTAGE_ONLY_METHODS:
            raise ConfigError(f"credit.method = {cfg.credit.method!r} returns per-turn advantages, but PPO computes "
                              "its own with GAE from per-turn rewards; use it with algo.name = \"grpo\" or \"rloo\", "
                              "or pick outcome, gated, turn_level, info_gain or progress for PPO")


class ValueHead(torch.nn.Module):
    """V(s_t) = w . h_t + b on the policy's last hidden state at each token."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.linear = torch.nn.Linear(hidden_size, 1)
        torch.nn.init.zeros_(self.linear.weight)  # start at V = 0: the first advantages are the returns themselves
        torch.nn.init.zeros_(self.linear.bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear(hidden.float())


class Trainer:
    """One PPO step = rollout -> credit (per-turn rewards) -> values + GAE -> clipped policy + value update."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.algo: Config = ctx.cfg.algo
        self.ref_model = ctx.reference_model() if self.algo.kl_coef > 0 else None
        self.credit = CreditStep(ctx)
        self.estimator = self.credit.estimator
        self.value_head = ValueHead(ctx.model.config.hidden_size).to(ctx.device)

    def modules(self) -> dict[str, Any]:
        """The value head trains with the policy and is saved in every checkpoint."""
        return {"value_head": self.value_head}

    def load_extra(self, ckpt: Any) -> None:
        self.credit.load(ckpt)

    def step(self, step: int) -> dict[str, float]:
        ctx, algo = self.ctx, self.algo

        # ROLLOUT ------------------------------------------------------------------------------------------------------
        groups, metrics = ctx.rollout_groups(step)
        episodes = [t for g in groups for t in g]
        if not episodes:
            return {**metrics, "loss/skipped": 1.0}

        # CREDIT -------------------------------------------------------------------------------------------------------
        per_turn_rewards, credit_metrics = self.credit.turn_rewards(groups)
        metrics.update(credit_metrics)

        # ADVANTAGES ---------------------------------------------------------------------------------------------------
        # Each turn's reward on its last completion token; values from the head before any update; GAE over policy
        # tokens only.
        token_rewards = [place_on_last_tokens(r, t.completion_spans(), len(t.token_ids()))
                         for t, r in zip(episodes, per_turn_rewards)]
        batch = make_batch(episodes, token_rewards, pad_id=pad_id_of(ctx.tokenizer)).to(ctx.device)
        rewards = batch.advantages  # make_batch stored the token rewards there (masked); advantages replace them
        values = self._values(batch)
        advantages, returns = gae(rewards, values, batch.loss_mask, gamma=algo.gamma, lam=algo.lam)
        if algo.whiten_advantages and batch.num_policy_tokens >= 2:
            advantages = whiten(advantages, batch.loss_mask)
        batch.advantages, batch.returns, batch.old_values = advantages, returns, values
        ctx.record(step, episodes, [[float(advantages[i, a:b].mean()) if b > a else 0.0 for a, b in
                                     t.completion_spans()] for i, t in enumerate(episodes)])  # mean over turn tokens
        metrics["reward/advantage_abs_mean"] = float(advantages.abs().sum() / max(batch.num_policy_tokens, 1))
        metrics["reward/value_mean"] = float((values * batch.loss_mask).sum() / max(batch.num_policy_tokens, 1))

        # UPDATE -------------------------------------------------------------------------------------------------------
        t1 = time.time()
        metrics.update(policy_gradient_update(ctx, batch, algo, ref_model=self.ref_model, value_head=self.value_head,
                                              value_coef=algo.vf_coef, value_clip=algo.value_clip))
        metrics["perf/update_s"] = time.time() - t1
        metrics["perf/tokens"] = float(batch.attention_mask.sum())
        metrics.update(self.credit.after_update(episodes))
        return metrics

    @torch.no_grad()
    def _values(self, batch: Any) -> torch.Tensor:
        out = torch.zeros_like(batch.loss_mask)
        mb = self.algo.micro_batch_size
        for start in range(0, len(batch), mb):
            part = batch.slice(start, start + mb)
            hidden = forward(self.ctx.model, part, hidden=True).hidden
            v = self.value_head(hidden).squeeze(-1) * part.loss_mask
            out[start:start + mb, : v.shape[1]] = v
        return out
