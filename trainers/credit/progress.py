"""Progress-attribution credit (SPA-RL): a learned estimator splits the episode outcome into per-turn contributions.

Paper: Wang et al. 2025, "SPA-RL: Reinforcing LLM Agents via Stepwise Progress Attribution".
Formula: the estimator predicts c_t at the end of each policy turn, trained so that sum_t c_t matches the outcome
(MSE: (sum_t c_t - R)^2); turn reward r_t = c_t + w * 1[action t valid], w = 0.5 by default.
Returns per-turn REWARDS (the paper trains with PPO over them; GRPO/RLOO sum them per episode).
Departures from the released code (WangHanLinHenry/SPA-RL-Agent): there the estimator is a separate LLM with a value
head, trained offline on explored trajectories and frozen before RL; here it is any transformers CausalLM backbone
plus a linear head that can be fitted offline (`fit`) and/or updated online each step (`update`). The grounding term
reads the env's info["valid_action"] (a turn without that key counts as valid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from agentgym.trainers.credit.outcome import OutcomeSource, episode_outcome, validate_outcome_source
from agentgym.types import Trajectory


@dataclass(kw_only=True)
class ProgressCreditConfig:
    valid_action_weight: float = 0.5
    """w in r_t = c_t + w * 1[action valid] (the grounding reward). What c_t sums to is the estimator's `outcome`."""


def progress_rewards(contributions: Sequence[float], valid: Sequence[bool], *, valid_action_weight: float = 0.5
                     ) -> list[float]:
    """r_t = c_t + w * 1[valid_t] for one episode."""
    if len(contributions) != len(valid):
        raise ValueError(f"got {len(contributions)} contributions for {len(valid)} turns; pass one per turn.")
    return [float(c) + (valid_action_weight if v else 0.0) for c, v in zip(contributions, valid)]


def valid_actions_of(traj: Trajectory) -> list[bool]:
    return [bool(t.info.get("valid_action", True)) for t in traj.turns]


class ProgressEstimator(torch.nn.Module):
    """A CausalLM backbone's last hidden state, read at each turn's last completion token, through a linear head -> c_t.

    The input is the trajectory's token rows (the whole episode, where the causal mask means c_t only sees turns
    1..t; or, for windowed history, turn t's own row). The head starts at zero, so an untrained estimator gives
    c_t = 0. `backbone` may be a copy of the policy model or a separate small
    model; it is trained with the head unless `train_backbone=False`.
    """

    def __init__(self, backbone: Any, *, lr: float = 1e-4, train_backbone: bool = True,
                 outcome: OutcomeSource = "success", batch_size: int = 16) -> None:
        super().__init__()
        validate_outcome_source(outcome)
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.backbone = backbone
        hidden = backbone.config.hidden_size
        device = next(backbone.parameters()).device
        self.head = torch.nn.Linear(hidden, 1, device=device, dtype=torch.float32)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)
        self.lr = lr
        self.train_backbone = train_backbone
        self.outcome = outcome
        self.batch_size = batch_size
        self.backbone.requires_grad_(train_backbone)
        self._optimizer: torch.optim.Optimizer | None = None

    # -- forward ---------------------------------------------------------------------------------------------------------
    def forward(self, trajectories: Sequence[Trajectory]) -> list[torch.Tensor]:
        """One 1-D tensor of contributions per trajectory (length = its number of turns)."""
        device = next(self.backbone.parameters()).device
        # Every token row of every trajectory (one per episode, or one per turn for windowed history), and for each
        # turn the row and position its contribution is read at.
        seqs: list[list[int]] = []
        reads: list[list[tuple[int, int]]] = []
        for traj in trajectories:
            at: list[tuple[int, int]] = [(0, 0)] * traj.num_turns
            for row in (traj.token_rows() if traj.turns else []):
                for turn, (_start, end) in zip(row.turns, row.spans):
                    # The last token of the completion; an empty completion reads the token before it.
                    at[turn] = (len(seqs), max(end - 1, 0))
                seqs.append(row.ids)
            reads.append(at)
        if not seqs:
            return [torch.zeros(0, device=device) for _ in trajectories]
        max_len = max(len(s) for s in seqs)
        input_ids = torch.zeros((len(seqs), max_len), dtype=torch.long)
        attention = torch.zeros((len(seqs), max_len), dtype=torch.long)
        for r, seq in enumerate(seqs):
            input_ids[r, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            attention[r, : len(seq)] = 1
        hidden = self.backbone.base_model(
            input_ids=input_ids.to(device), attention_mask=attention.to(device)
        ).last_hidden_state
        out = []
        for at in reads:
            rows_t = torch.tensor([r for r, _ in at], dtype=torch.long, device=device)
            cols_t = torch.tensor([c for _, c in at], dtype=torch.long, device=device)
            h = hidden[rows_t, cols_t].float()
            out.append(self.head(h).squeeze(-1))
        return out

    @torch.no_grad()
    def contributions(self, trajectories: Sequence[Trajectory]) -> list[list[float]]:
        """c_t of every turn of every trajectory (inference mode, batched by batch_size)."""
        was_training = self.training
        self.eval()
        try:
            result: list[list[float]] = []
            for lo in range(0, len(trajectories), self.batch_size):
                result += [c.tolist() for c in self(trajectories[lo : lo + self.batch_size])]
            return result
        finally:
            self.train(was_training)

    # -- training --------------------------------------------------------------------------------------------------------
    def loss(self, trajectories: Sequence[Trajectory]) -> torch.Tensor:
        """Mean over trajectories of (sum_t c_t - R)^2."""
        preds = self(trajectories)
        device = self.head.weight.device
        totals = torch.stack([c.sum() for c in preds])
        targets = torch.tensor([episode_outcome(t, self.outcome) for t in trajectories], device=device)
        return ((totals - targets) ** 2).mean()

    def _params(self) -> list[torch.nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def update(self, trajectories: Sequence[Trajectory]) -> float:
        """One optimizer step (Adam at self.lr, kept across calls) on these trajectories; returns the loss before it."""
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(self._params(), lr=self.lr)
        self.train()
        self._optimizer.zero_grad(set_to_none=True)
        loss = self.loss(trajectories)
        loss.backward()
        self._optimizer.step()
        return float(loss.detach())

    def fit(self, trajectories: Sequence[Trajectory], steps: int, lr: float | None = None, *, seed: int = 0
            ) -> list[float]:
        """`steps` Adam steps on random mini-batches (batch_size) of a fixed set; returns the loss of each step.

        Uses a fresh optimizer at `lr` (default self.lr); online `update` calls keep their own.
        """
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}.")
        trajectories = [t for t in trajectories if t.turns]
        if not trajectories:
            raise ValueError("fit needs at least one trajectory with a turn.")
        optimizer = torch.optim.Adam(self._params(), lr=lr or self.lr)
        generator = torch.Generator().manual_seed(seed)
        self.train()
        losses = []
        for _ in range(steps):
            idx = torch.randperm(len(trajectories), generator=generator)[: self.batch_size].tolist()
            optimizer.zero_grad(set_to_none=True)
            loss = self.loss([trajectories[i] for i in idx])
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        return losses

    # -- persistence -----------------------------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Backbone and head weights, and the online optimizer's state (so a resumed run continues exactly)."""
        optimizer = self._optimizer.state_dict() if self._optimizer is not None else None
        torch.save({"weights": self.state_dict(), "optimizer": optimizer}, path)

    def load(self, path: str) -> ProgressEstimator:
        """Weights (and online optimizer state) saved by `save`, into an estimator around the same architecture."""
        device = self.head.weight.device
        saved = torch.load(path, map_location=device, weights_only=True)
        if "weights" not in saved:  # a bare state_dict, as written by the first version of save()
            saved = {"weights": saved, "optimizer": None}
        self.load_state_dict(saved["weights"])
        if saved["optimizer"] is not None:
            self._optimizer = torch.optim.Adam(self._params(), lr=self.lr)
            self._optimizer.load_state_dict(saved["optimizer"])
        return self


def progress_credit(
    group: Sequence[Trajectory], estimator: ProgressEstimator, config: ProgressCreditConfig | None = None
) -> tuple[list[list[float]], dict[str, float]]:
    """Per-turn rewards c_t + w * 1[valid] of a group, and the estimator's mean squared error on it."""
    config = config or ProgressCreditConfig()
    contributions = estimator.contributions(group)
    rewards = [
        progress_rewards(c, valid_actions_of(t), valid_action_weight=config.valid_action_weight)
        for c, t in zip(contributions, group)
    ]
    errors = [(sum(c) - episode_outcome(t, estimator.outcome)) ** 2 for c, t in zip(contributions, group) if t.turns]
    return rewards, {"credit/progress_mse": sum(errors) / len(errors) if errors else 0.0}
