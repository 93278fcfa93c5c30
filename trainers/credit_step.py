"""The CREDIT section of a step: the configured credit method over a step's groups -> per-turn advantages (GRPO,
RLOO) or per-turn rewards (PPO's GAE), with the reward/... and credit/... metrics; owns the method's state (SPA's
progress estimator, IGPO's belief probes)."""

from __future__ import annotations

from typing import Any

from agentgym.trainers.config import ConfigError, make_credit_config
from agentgym.types import Trajectory


class CreditStep:
    """Runs the configured credit method over a step's groups and owns its state (SPA's progress estimator).

    info_gain asks the training model, before the update, how likely the ground-truth answer is after each turn
    (credit.answer_beliefs); progress keeps a ProgressEstimator that is fitted to the episodes after each update.
    """

    def __init__(self, ctx: Any):
        from agentgym.trainers import credit

        self.ctx = ctx
        self.method = ctx.cfg.credit.method
        self.credit = credit
        self.config = make_credit_config(self.method, ctx.cfg.credit.params)
        self.estimator = None
        if self.method in ("info_gain", "progress") and getattr(ctx, "vision", None) is not None:
            # Both read the policy's forward pass on token rows without their images' pixel inputs.
            raise ConfigError(f"credit.method = {self.method!r} does not take images yet, and model.name = "
                              f"{ctx.cfg.model.name!r} is a vision-language model; use outcome, turn_level, gigpo "
                              "or gated credit with it")
        if self.method == "role_conditioned":
            # SPIRAL's per-(game, role) baselines live across steps; the checkpoint saves them as the method's state
            from agentgym.trainers.credit.role_conditioned import RoleBaselines

            self.estimator = RoleBaselines(self.config)
        if self.method == "progress":
            import copy

            from agentgym.trainers.credit.progress import ProgressEstimator

            c = ctx.cfg.credit
            # Its own copy of the starting policy as backbone: training it must not move the policy's weights.
            self.estimator = ProgressEstimator(copy.deepcopy(ctx.model), lr=c.progress_lr,
                                               train_backbone=c.progress_train_backbone, outcome=c.progress_outcome,
                                               batch_size=ctx.cfg.algo.micro_batch_size)
            if c.progress_fit_data:
                self.offline_fit_losses = self.fit_offline(c.progress_fit_data, c.progress_fit_steps)

    def fit_offline(self, path: str, steps: int) -> list[float]:
        """SPA's offline stage: fit the estimator to a fixed set of trajectories before the policy trains."""
        import os

        from agentgym.chat import tokenize_trajectory
        from agentgym.types import read_jsonl

        if not os.path.exists(path):
            raise FileNotFoundError(f"credit.progress_fit_data = {path!r} does not exist; point it at a "
                                    "trajectories.jsonl written by `agentgym eval --out DIR`")
        r = self.ctx.cfg.rollout
        trajs = [t if t.has_tokens else tokenize_trajectory(t, self.ctx.tokenizer, history=r.history,
                                                            window_turns=r.window_turns)
                 for t in read_jsonl(path) if t.turns and t.error is None]
        if not trajs:
            raise ValueError(f"credit.progress_fit_data = {path!r} holds no finished trajectory to fit on")
        return self.estimator.fit(trajs, steps, seed=self.ctx.cfg.run.seed)

    def load(self, ckpt: Any) -> None:
        if self.estimator is not None:
            from pathlib import Path

            self.estimator.load(str(Path(ckpt) / "progress_estimator.pt"))

    def results(self, groups: list[list[Trajectory]]) -> list[Any]:
        beliefs_per_group: list[Any] = [None] * len(groups)
        if self.method == "info_gain":
            from agentgym.trainers.credit.info_gain import answer_beliefs

            model = self.ctx.model
            model.eval()  # beliefs are measurements: no dropout
            try:
                for i, g in enumerate(groups):
                    beliefs_per_group[i] = answer_beliefs(model, self.ctx.tokenizer, g,
                                                          probe_text=self.config.probe_text,
                                                          answer_separator=self.config.answer_separator)
            finally:
                model.train()
        if self.method == "role_conditioned":  # one baseline update per step over every group's episodes
            from agentgym.trainers.credit import CreditResult

            flat = [t for g in groups for t in g]
            adv, rewards, metrics = self.estimator.advantages(flat)
            out, pos = [], 0
            for g in groups:
                out.append(CreditResult(rewards=rewards[pos:pos + len(g)], advantages=adv[pos:pos + len(g)],
                                        metrics=metrics))
                pos += len(g)
            return out
        return [self.credit.assign_credit(self.method, g, self.config, beliefs=b, estimator=self.estimator)
                for g, b in zip(groups, beliefs_per_group)]

    def turn_advantages(self, groups: list[list[Trajectory]], *, estimator: str, std_normalize: bool = True,
                        epsilon: float = 1e-6) -> tuple[list[list[float]], dict[str, float]]:
        """Per-turn advantages of every episode (groups flattened in order) and reward/... metrics."""
        from agentgym.trainers.advantages import episode_advantages

        out: list[list[float]] = []
        scores: list[float] = []
        results = self.results(groups)
        for g, res in zip(groups, results):
            if res.advantages is not None:
                out += [list(a) for a in res.advantages]
                scores += [float(sum(r)) for r in (res.rewards or res.advantages)]
            else:
                out += episode_advantages(res.rewards, estimator=estimator, std_normalize=std_normalize,
                                          epsilon=epsilon)
                scores += [float(sum(r)) for r in res.rewards]
        return out, {**self._metrics(groups, scores), **_mean_credit_metrics(results)}

    def turn_rewards(self, groups: list[list[Trajectory]]) -> tuple[list[list[float]], dict[str, float]]:
        """Per-turn rewards of every episode (for GAE); a method that only returns advantages is an error.
        reward/groups_with_signal is 1.0 when any two episodes of the step scored differently, else 0.0."""
        out: list[list[float]] = []
        results = self.results(groups)
        for g, res in zip(groups, results):
            if res.rewards is None:
                raise ConfigError(f"credit.method = {self.method!r} returns per-turn advantages only, which PPO's "
                                  "GAE cannot use; use it with algo.name = \"grpo\" or \"rloo\", or pick a "
                                  "reward-returning method (outcome, gated, turn_level) for PPO")
            out += [list(r) for r in res.rewards]
        # PPO's baseline is its value function, not a group mean: episodes that score differently anywhere in the
        # step give it something to learn, so the step counts as one group (with rollout.group_size = 1 every
        # group would otherwise be a singleton and "without signal").
        step = [[ep for g in groups for ep in g]]
        return out, {**self._metrics(step, [float(sum(r)) for r in out]), **_mean_credit_metrics(results)}

    def after_update(self, episodes: list[Trajectory]) -> dict[str, float]:
        """SPA: fit the progress estimator to this step's episodes (their per-turn hidden states come from the
        training model)."""
        if self.estimator is None or not episodes or self.method == "role_conditioned":
            return {}
        losses = [self.estimator.update(episodes) for _ in range(self.ctx.cfg.credit.progress_updates)]
        return {"loss/progress_estimator": losses[0]} if losses else {}

    @staticmethod
    def _metrics(groups: list[list[Trajectory]], scores: list[float]) -> dict[str, float]:
        if not scores:
            return {"reward/score_mean": 0.0, "reward/groups_with_signal": 0.0}
        with_signal = sum(len({round(s, 9) for s in sc}) > 1 for sc in _split(scores, [len(g) for g in groups]))
        return {"reward/score_mean": sum(scores) / len(scores),
                "reward/groups_with_signal": with_signal / max(len(groups), 1)}


def _mean_credit_metrics(results: list[Any]) -> dict[str, float]:
    """The credit methods' own credit/... diagnostics (one dict per group), averaged over the step's groups."""
    keys = {k for r in results for k in r.metrics}
    return {k: sum(r.metrics[k] for r in results if k in r.metrics) / sum(k in r.metrics for r in results)
            for k in sorted(keys)}


def _split(values: list[float], sizes: list[int]) -> list[list[float]]:
    out, pos = [], 0
    for n in sizes:
        out.append(values[pos:pos + n])
        pos += n
    return out
