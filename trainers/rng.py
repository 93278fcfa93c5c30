"""Random state of a run: seeding, saving and restoring every RNG (python, numpy, torch), and per-step seeds, so a
resumed run draws exactly what the uninterrupted run drew."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A seed for (run seed, step, stream) that does not collide across steps: rollouts and sampling use it, so a
    resumed run draws exactly what the uninterrupted run drew."""
    return int(np.random.SeedSequence([seed, step, stream]).generate_state(1)[0])
