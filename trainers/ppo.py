"""PPO for multi-turn agents: a value head on the policy's hidden states and GAE over the policy's own tokens.

Paper: Schulman et al. 2017, "Proximal Policy Optimization Algorithms", with GAE (Schulman et al. 2016).
Formula: delta_t = r_t + gamma V(s_t+1) - V(s_t), A_t = sum_k (gamma lam)^k delta_t+k over POLICY tokens;
loss = PPO-clip(ratio, A) + vf_coef * 0.5 (V - R)^2 (clipped) [+ kl_coef * KL(pi || ref)].
Departures from the paper (as in RLHF-style PPO, e.g. verl / OpenRLHF): the critic is a linear head on the policy's
last hidden state (shared trunk, no separate critic model); each turn's reward sits on the last token of its
completion and GAE steps only over policy tokens, so env tokens neither consume discount nor carry advantage
(trainers/advantages.gae); an episode a limit cut (turn limit, context limit, the env's truncation) bootstraps
with V of the state it was cut in (its final observation is tokenised for that), one that terminated with 0. With
windowed history each turn is its own row and GAE still runs over the episode's turns in order. One optimizer step
per epoch over the whole batch (gradient accumulation), not shuffled minibatches.
Credit methods: outcome, gated, turn_level, info_gain and progress give per-turn rewards that GAE uses; gigpo (and any method
that returns advantages only) is refused with a config error, because PPO computes its own advantages.

Run it: agentgym train configs/tiny_ppo.toml
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from agentgym.trainers.advantages import gae, whiten
from agentgym.trainers.batching import make_batch
from agentgym.trainers.credit_step import CreditStep
from agentgym.trainers.forward import forward
from agentgym.trainers.update import policy_gradient_update
from agentgym.trainers.config import ConfigError, PolicyGradientConfig, TrainConfig
from agentgym.trainers.model_setup import text_config
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
        self.value_head = ValueHead(text_config(ctx.model).hidden_size).to(ctx.device)

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
        # Values from the head before any update, for every policy token and for the final state of episodes a limit
        # cut (laid out after their last turn: with_final); GAE over each episode's policy tokens, turn after turn,
        # each turn's reward on its last token, bootstrapped with V(s_T) on truncation and 0 on termination.
        batch = make_batch(episodes, pad_id=pad_id_of(ctx.tokenizer), with_final=True,
                           vision=ctx.vision).to(ctx.device)
        values, final_values = self._values(batch)
        bootstrap = bootstrap_values(episodes, batch, final_values)
        advantages, returns = gae_over_rows(batch, per_turn_rewards, values, bootstrap, gamma=algo.gamma,
                                            lam=algo.lam)
        if algo.whiten_advantages and batch.num_policy_tokens >= 2:
            advantages = whiten(advantages, batch.loss_mask)
        batch.advantages, batch.returns, batch.old_values = advantages, returns, values
        ctx.record(step, episodes, batch.turn_means(advantages, [t.num_turns for t in episodes]))
        metrics["reward/advantage_abs_mean"] = float(advantages.abs().sum() / max(batch.num_policy_tokens, 1))
        metrics["reward/value_mean"] = float((values * batch.loss_mask).sum() / max(batch.num_policy_tokens, 1))
        metrics["reward/bootstrapped_frac"] = sum(is_cut(t) and t.final_prompt_ids is not None
                                                  for t in episodes) / len(episodes)

        # UPDATE -------------------------------------------------------------------------------------------------------
        t1 = time.time()
        metrics.update(policy_gradient_update(ctx, batch, algo, ref_model=self.ref_model, value_head=self.value_head,
                                              value_coef=algo.vf_coef, value_clip=algo.value_clip))
        metrics["perf/update_s"] = time.time() - t1
        metrics["perf/tokens"] = float(batch.attention_mask.sum())
        metrics.update(self.credit.after_update(episodes))
        return metrics

    @torch.no_grad()
    def _values(self, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """V of every policy token ([B, L], 0 elsewhere; the value of token i reads the state before it) and V of
        the state after each row's last token ([B]; used only for rows that end in an episode's final state)."""
        out = torch.zeros_like(batch.loss_mask)
        final = torch.zeros(len(batch), device=batch.loss_mask.device)
        mb = self.algo.micro_batch_size
        for start in range(0, len(batch), mb):
            part = batch.slice(start, start + mb)
            fwd = forward(self.ctx.model, part, hidden=True)
            v = self.value_head(fwd.hidden).squeeze(-1) * part.loss_mask
            out[start:start + mb, : v.shape[1]] = v
            final[start:start + mb] = self.value_head(fwd.last_hidden).squeeze(-1)
        return out, final


def is_cut(traj: Any) -> bool:
    """An episode a limit cut (turn limit, context limit, the env's own truncation), not one that ended: its last
    state has a value to bootstrap from. Errored episodes are ends (their outcome is the error's)."""
    return bool(traj.truncated and not traj.terminated and traj.error is None
                and traj.metadata.get("error_penalty") is None)


def bootstrap_values(episodes: list[Any], batch: Any, final_values: torch.Tensor) -> torch.Tensor:
    """[E]: V(s_T) for each episode a limit cut, read from its row that ends in the final state; 0 for an episode
    that terminated (or has no final state laid out, e.g. a text-only trajectory)."""
    out = torch.zeros(len(episodes), device=final_values.device)
    for r, row in enumerate(batch.layout):
        if row.ends_in_final_state and is_cut(episodes[row.episode]):
            out[row.episode] = final_values[r]
    return out


def gae_over_rows(batch: Any, turn_rewards: list[list[float]], values: torch.Tensor, bootstrap: torch.Tensor, *,
                  gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE (advantages.gae) over each episode's policy tokens in turn order, wherever its turns sit in the batch
    (one row per episode, or one per turn for windowed history); each turn's reward on its last token; after the
    last policy token the episode's `bootstrap` value. Returns (advantages, returns), [B, L] like the batch."""
    episodes = len(turn_rewards)
    # (turn, row, start, end) of every completion of every episode, then in turn order.
    places: list[list[tuple[int, int, int, int]]] = [[] for _ in range(episodes)]
    for r, row in enumerate(batch.layout):
        for turn, (a, b) in zip(row.turns, row.spans):
            places[row.episode].append((turn, r, a, b))
    for p in places:
        p.sort()  # turn order
    rows_of, cols_of, lengths = [], [], []
    for e in range(episodes):
        rows_e, cols_e = [], []
        for turn, r, a, b in places[e]:
            if b == a and turn_rewards[e][turn] != 0:
                raise ValueError(f"turn {turn} of episode {e} has an empty completion and cannot carry its reward "
                                 f"{turn_rewards[e][turn]}")
            rows_e += [r] * (b - a)
            cols_e += list(range(a, b))
        rows_of.append(rows_e)
        cols_of.append(cols_e)
        lengths.append(len(cols_e))
    length = max(lengths + [1])
    device = values.device
    rewards_e = torch.zeros((episodes, length), device=device)
    values_e = torch.zeros((episodes, length), device=device)
    mask_e = torch.zeros((episodes, length), device=device)
    for e in range(episodes):
        n = lengths[e]
        if n == 0:
            continue
        rows_t = torch.tensor(rows_of[e], device=device)
        cols_t = torch.tensor(cols_of[e], device=device)
        values_e[e, :n] = values[rows_t, cols_t]
        mask_e[e, :n] = 1.0
        pos = 0
        for turn, _r, a, b in places[e]:
            pos += b - a
            if b > a:
                rewards_e[e, pos - 1] += float(turn_rewards[e][turn])
    adv_e, ret_e = gae(rewards_e, values_e, mask_e, gamma=gamma, lam=lam, bootstrap_values=bootstrap)
    advantages = torch.zeros_like(values)
    returns = torch.zeros_like(values)
    for e in range(episodes):
        n = lengths[e]
        if n:
            rows_t = torch.tensor(rows_of[e], device=device)
            cols_t = torch.tensor(cols_of[e], device=device)
            advantages[rows_t, cols_t] = adv_e[e, :n]
            returns[rows_t, cols_t] = ret_e[e, :n]
    return advantages, returns
