"""Weight sync: make the rollout policy generate with the training model's current weights."""

from __future__ import annotations

from typing import Any

import torch


def sync_weights(policy: Any, model: torch.nn.Module) -> str:
    """Make the rollout policy generate with the training model's current weights. Returns what it did.

    HFPolicy built on the training model shares the very same parameters, so there is nothing to copy ("shared").
    A policy with `load_weights` (VLLMPolicy: vLLM's own loader inside every worker, which handles fused qkv /
    gate_up layouts, then a prefix-cache reset) gets the state dict under its Hugging Face names ("loaded"). The
    real engine is exercised by the GPU-marked tests only.
    """
    if getattr(policy, "model", None) is model:
        return "shared"
    load = getattr(policy, "load_weights", None)
    if load is None:
        raise TypeError(f"cannot sync weights into {type(policy).__name__}: it neither shares the training model "
                        "(HFPolicy(model, ...)) nor has load_weights (VLLMPolicy)")
    load(model.state_dict().items())
    return "loaded"
