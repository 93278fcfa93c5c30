"""Forward passes of the training model on a Batch, shifted so that column i is about token i: its logprob, its
logits, and the hidden state before it (what PPO's value of token i reads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from agentgym.trainers.batching import Batch
from agentgym.policies.hf import SUPPRESSED_LOGIT
from agentgym.trainers.losses import logprobs_from_logits


@dataclass
class ForwardOut:
    logprobs: torch.Tensor
    """[B, L]: log p(token i | tokens < i) at the sampling temperature; column 0 is 0."""
    logits: torch.Tensor
    """[B, L, V] aligned like logprobs (row i scores token i; row 0 is a zero placeholder)."""
    hidden: torch.Tensor | None = None
    """[B, L, H] aligned like logprobs: row i is the last hidden state at position i - 1, the state BEFORE token i
    (row 0 is a zero placeholder). PPO's value of token i reads it, so the baseline never sees the action it judges
    (verl's critic reads one position earlier for the same reason)."""
    last_hidden: torch.Tensor | None = None
    """[B, H]: the last hidden state at each row's last token (attention mask), the state after the whole row: the
    value of an episode's final state reads it from a row that ends in that state (RowLayout.ends_in_final_state)."""


def forward(model: Any, batch: Batch, *, temperature: float = 1.0, hidden: bool = False) -> ForwardOut:
    """One forward pass of the training model on a batch, shifted so that position i scores token i."""
    out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=hidden,
                use_cache=False, **batch.pixel_inputs())
    logits = out.logits[:, :-1].float()
    if batch.never_generated:
        # Where the row holds a policy token, the distribution it was sampled from had no image placeholders
        # (HFPolicy suppresses them); elsewhere (prompt, env replies) the model's own distribution is kept.
        banned = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        banned[list(batch.never_generated)] = True
        policy = batch.loss_mask[:, 1:].to(logits.device).bool().unsqueeze(-1)
        logits = logits.masked_fill(policy & banned, SUPPRESSED_LOGIT)
    logits = logits / temperature
    lp = logprobs_from_logits(logits, batch.input_ids[:, 1:])
    # Logprobs and logits of token i come from position i - 1, and so does the state before token i (hidden).
    states = last = None
    if hidden:
        h = out.hidden_states[-1]
        states = _after_placeholder(h[:, :-1])
        last = h[torch.arange(h.shape[0], device=h.device), batch.attention_mask.sum(dim=1) - 1]
    return ForwardOut(logprobs=_after_placeholder(lp), logits=_after_placeholder(logits), hidden=states,
                      last_hidden=last)


def _after_placeholder(x: torch.Tensor) -> torch.Tensor:
    """x (one column short, column j about token j + 1) with a zero column 0 in front: column i is about token i."""
    return torch.cat([torch.zeros_like(x[:, :1]), x], dim=1)


@torch.no_grad()
def recompute_logprobs(model: Any, batch: Batch, micro_batch_size: int, temperature: float) -> torch.Tensor:
    """Logprobs of the batch under `model` (no grad), micro-batched; [B, L] like batch.input_ids."""
    out = torch.zeros_like(batch.old_logprobs)
    for start in range(0, len(batch), micro_batch_size):
        mb = batch.slice(start, start + micro_batch_size)
        lp = forward(model, mb, temperature=temperature).logprobs
        out[start:start + micro_batch_size, : lp.shape[1]] = lp.to(out.device) * mb.loss_mask.to(out.device)
    return out
