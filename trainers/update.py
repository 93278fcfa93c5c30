"""The UPDATE section of GRPO, RLOO and PPO: the clipped policy-gradient step (with KL, entropy and value terms)."""

from __future__ import annotations

from typing import Any

import torch

from agentgym.trainers.batching import Batch
from agentgym.trainers.forward import forward, recompute_logprobs
from agentgym.trainers.model_setup import trainable_parameters

_SUMMED = ("loss/policy", "loss/kl", "loss/entropy", "loss/value", "loss/total")
"""Metrics that are parts of the loss (already divided by the whole batch's count): summed over micro-batches."""




def policy_gradient_update(ctx: Any, batch: Batch, algo: Any, *, ref_model: Any = None, value_head: Any = None,
                           value_coef: float = 0.0, value_clip: float | None = None) -> dict[str, float]:
    """algo.update_epochs optimizer steps on one rollout batch: PPO-clip policy loss (+ KL to the reference,
    - entropy bonus, + value loss when a value head is given), gradients accumulated over micro-batches so the
    step's loss is the mean over the whole batch whatever the micro-batch size."""
    from agentgym.trainers.losses import entropy_loss, kl_penalty, policy_loss, value_loss

    model, opt = ctx.model, ctx.optimizer
    temperature = ctx.cfg.rollout.temperature
    batch = batch.to(ctx.device)
    mb_size = algo.micro_batch_size
    if ref_model is not None:
        batch.ref_logprobs = recompute_logprobs(ref_model, batch, mb_size, temperature)
    if algo.loss_agg == "token-mean":
        denom = float(max(batch.num_policy_tokens, 1))
    else:
        denom = float(max(int((batch.loss_mask.sum(dim=1) > 0).sum()), 1))
    params = trainable_parameters(model, value_head)
    metrics: dict[str, float] = {}
    for _ in range(algo.update_epochs):
        opt.zero_grad(set_to_none=True)
        metrics = {}
        for start in range(0, len(batch), mb_size):
            mb = batch.slice(start, start + mb_size)
            share = mb.num_policy_tokens / max(batch.num_policy_tokens, 1)
            out = forward(model, mb, temperature=temperature, hidden=value_head is not None)
            loss, m = policy_loss(out.logprobs, mb.old_logprobs, mb.advantages, mb.loss_mask, clip_low=algo.clip_eps,
                                  agg=algo.loss_agg, denominator=denom)
            if ref_model is not None:
                kl, km = kl_penalty(out.logprobs, mb.ref_logprobs, mb.loss_mask, agg=algo.loss_agg,
                                    denominator=denom)
                loss = loss + algo.kl_coef * kl
                m.update(km)
            if algo.entropy_coef > 0:
                ent, em = entropy_loss(out.logits, mb.loss_mask, agg=algo.loss_agg, denominator=denom)
                loss = loss - algo.entropy_coef * ent
                m.update(em)
            if value_head is not None:
                values = value_head(out.hidden).squeeze(-1).float()
                vl, vm = value_loss(values, mb.old_values, mb.returns, mb.loss_mask, clip_range=value_clip,
                                    agg=algo.loss_agg, denominator=denom)
                loss = loss + value_coef * vl
                m.update(vm)
            loss.backward()
            m["loss/total"] = float(loss.detach())
            for k, v in m.items():
                # Losses were divided by the whole batch's count already: they add up. Rates are token-weighted.
                metrics[k] = metrics.get(k, 0.0) + (v if k in _SUMMED else v * share)
        if algo.max_grad_norm > 0:
            metrics["loss/grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, algo.max_grad_norm))
        opt.step()
    ctx.scheduler.step()
    return metrics
