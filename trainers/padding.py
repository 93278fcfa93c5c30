"""Right padding for training-side forward passes: token-id sequences of different lengths -> one [B, L] id tensor
and its attention mask, padded with the tokenizer's pad id (pad, else eos).

Generation pads on the left instead; agentgym/policies/hf.py does that for itself.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch


def pad_id_of(tokenizer: Any) -> int:
    """The id that fills padding positions: the tokenizer's pad token, else its eos token."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise ValueError("the tokenizer has neither a pad nor an eos token; set tokenizer.pad_token")
    return int(pad)


def right_pad(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask), both [len(seqs), longest] long tensors on the CPU: row i holds seqs[i] from
    column 0 on, then pad_id; the mask is 1 on the sequence's own tokens and 0 on padding."""
    if not seqs:
        raise ValueError("right_pad got no sequences")
    length = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), length), pad_id, dtype=torch.long)
    attention = torch.zeros((len(seqs), length), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attention[row, : len(seq)] = 1
    return ids, attention
