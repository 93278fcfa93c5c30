"""Self-play against a pool of the policy's own past checkpoints (SPIRAL trains against its current self; a pool of
past selves, as in fictitious self-play, keeps a tiny model from chasing its own latest quirks).

The run fills agentgym.multiagent.OPPONENT_POOLS[selfplay.pool] with frozen copies of the training model, each
wrapped as a PolicyOpponent; a single-seat game env made with opponent = "pool:NAME" draws one of them per episode
and lets it play every other seat. The learner's episodes cover every seat when the env's seat is "each" (the
suite holds every game task once per seat), so the one policy learns all roles.
"""

from __future__ import annotations

import copy
from typing import Any


class SelfPlayPool:
    """Keeps the pool of frozen snapshots for one run."""

    def __init__(self, ctx: Any):
        from agentgym.multiagent import OPPONENT_POOLS

        self.ctx = ctx
        self.cfg = ctx.cfg.selfplay
        self.pools = OPPONENT_POOLS
        self.pools[self.cfg.pool] = []
        self.snapshot_steps: list[int] = []

    def snapshot(self, step: int) -> None:
        """Add a frozen copy of the current weights (sampling at the rollout's temperature) to the pool."""
        from agentgym.multiagent import PolicyOpponent
        from agentgym.trainers import rng
        from agentgym.trainers.model_setup import make_policy

        frozen = copy.deepcopy(self.ctx.model).eval()
        for p in frozen.parameters():
            p.requires_grad_(False)
        policy = make_policy(frozen, self.ctx.tokenizer, self.ctx.cfg.rollout,
                             seed=rng.step_seed(self.ctx.cfg.run.seed, step) + 1, vision=self.ctx.vision)
        members = self.pools[self.cfg.pool]
        members.append(PolicyOpponent(policy, name=f"snapshot@{step}"))
        self.snapshot_steps.append(step)
        del members[:-self.cfg.pool_size]
        del self.snapshot_steps[:-self.cfg.pool_size]

    def after_step(self, step: int) -> dict[str, float]:
        if self.cfg.snapshot_every and step % self.cfg.snapshot_every == 0:
            self.snapshot(step)
        return {"selfplay/pool_size": float(len(self.pools[self.cfg.pool])),
                "selfplay/newest_snapshot_step": float(self.snapshot_steps[-1])}

    def close(self) -> None:
        self.pools.pop(self.cfg.pool, None)
