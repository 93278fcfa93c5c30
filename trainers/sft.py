"""SFT on oracle trajectories: imitate the env's expert, loss on the policy's tokens only.

Paper: behaviour cloning / rejection-sampling fine-tuning as used to warm-start agents before RL (e.g. AgentTuning,
Zeng et al. 2023; ETO, Song et al. 2024). Formula: loss = -mean_{t in policy tokens} log pi(a_t | history).
Departures: the demonstrations are not sampled and filtered from a model but played by the env's oracle
(OraclePolicy reads the true state), so every one succeeds; they are tokenised with agentgym.chat.tokenize_trajectory,
which renders exactly the token layout an RL rollout produces (the same mask: only action tokens and their end-of-turn
carry loss).

Run it: agentgym train configs/tiny_sft.toml
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from agentgym.trainers.batching import make_batch
from agentgym.trainers.data_order import step_indices
from agentgym.trainers.forward import forward
from agentgym.trainers.config import AlgoConfig, ConfigError, TrainConfig
from agentgym.trainers.padding import pad_id_of


@dataclass(kw_only=True)
class Config(AlgoConfig):
    name: str = "sft"
    """Trainer name (fixed)."""
    lr: float = 1e-3
    """AdamW learning rate (SFT on a tiny model tolerates a much larger one than RL)."""
    oracle_episodes: int = 64
    """Demonstration episodes played once on the train split (tasks in order, cycling if there are fewer tasks)."""
    demonstrator: str = "oracle"
    """Who plays the demonstrations: "oracle" (the env's expert) or "random" (uniformly among the valid actions the
    env lists in info["admissible_actions"]): a warm start that teaches the action format and none of the strategy,
    so RL has the strategy to learn (games, where a tiny model otherwise writes illegal moves)."""
    batch_size: int = 8
    """Episodes per optimizer step, drawn in a seeded order that reshuffles every epoch."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.oracle_episodes < 1:
            raise ConfigError(f"algo.oracle_episodes = {self.oracle_episodes!r} is invalid: play at least 1 episode.")
        if self.batch_size < 1:
            raise ConfigError(f"algo.batch_size = {self.batch_size!r} is invalid: use >= 1.")
        if self.demonstrator not in ("oracle", "random"):
            raise ConfigError(f"algo.demonstrator = {self.demonstrator!r} is invalid: use \"oracle\" or \"random\".")

    def validate(self, cfg: TrainConfig) -> None:
        pass  # rollout.group_size and credit.* do not apply to SFT


class Trainer:
    """One SFT step = a batch of oracle episodes -> masked next-token cross-entropy -> optimizer step."""

    estimator = None

    def __init__(self, ctx: Any):
        from agentgym.chat import ChatTokenizer, tokenize_trajectory
        from agentgym.policies.scripted import OraclePolicy, RandomPolicy
        from agentgym.trainers.rollouts import play

        self.ctx = ctx
        self.cfg: TrainConfig = ctx.cfg
        self.algo: Config = ctx.cfg.algo
        # ROLLOUT (once): the demonstrations, tokenised with the policy's chat template.
        tasks = [ctx.train_tasks[i % len(ctx.train_tasks)] for i in range(self.algo.oracle_episodes)]
        demonstrator = OraclePolicy() if self.algo.demonstrator == "oracle" else RandomPolicy(seed=self.cfg.run.seed)
        demos = play(self.cfg, demonstrator, tasks, group_size=1, seed=self.cfg.run.seed, runners=ctx.runners)
        if self.algo.demonstrator == "random":
            # Without a list of valid actions RandomPolicy writes random strings: demonstrations of nothing.
            bad = next((t for t in demos for turn in t.turns if not turn.info.get("valid_action", True)), None)
            if bad is not None:
                raise ConfigError(f"algo.demonstrator = \"random\" needs an env that lists its valid actions in "
                                  f"info[\"admissible_actions\"]; {self.cfg.env.id!r} does not (task {bad.task_id} "
                                  f"got an invalid random action)")
        r = self.cfg.rollout
        # The same token layout RL rollouts use (rollout.history): one row per episode, or one per turn (windowed);
        # a vision-language model's image tokens expanded as its policy's prompts hold them.
        chat = ChatTokenizer(ctx.tokenizer, vision=ctx.vision)
        self.demos = [tokenize_trajectory(t, chat, history=r.history, window_turns=r.window_turns)
                      for t in demos if t.error is None and t.turns]
        if not self.demos:
            raise RuntimeError(f"the oracle played no usable episode on {self.cfg.env.id!r}: every one ended in an "
                               f"error (first: {demos[0].error if demos else 'no episodes'})")
        self.oracle_success = sum(t.success for t in demos) / len(demos)

    def modules(self) -> dict[str, Any]:
        return {}

    def load_extra(self, ckpt: Any) -> None:
        pass

    def batch_indices(self, step: int) -> list[int]:
        """Demonstrations of step `step`: a pure function of (seed, step), so resume keeps the data order."""
        return step_indices(len(self.demos), self.algo.batch_size, self.cfg.run.seed, step)

    def step(self, step: int) -> dict[str, float]:
        ctx, algo = self.ctx, self.algo
        episodes = [self.demos[i] for i in self.batch_indices(step)]
        batch = make_batch(episodes, pad_id=pad_id_of(ctx.tokenizer), use_logprobs=False,
                           vision=ctx.vision).to(ctx.device)
        n_tokens = max(batch.num_policy_tokens, 1)

        # UPDATE -------------------------------------------------------------------------------------------------------
        t0 = time.time()
        ctx.optimizer.zero_grad(set_to_none=True)
        total, correct = 0.0, 0.0
        for start in range(0, len(batch), algo.micro_batch_size):
            mb = batch.slice(start, start + algo.micro_batch_size)
            out = forward(ctx.model, mb)
            loss = -(out.logprobs * mb.loss_mask).sum() / n_tokens  # token-mean over the whole step
            loss.backward()
            total += float(loss.detach())
            with torch.no_grad():
                hit = (out.logits.argmax(-1) == mb.input_ids).float()
                correct += float((hit * mb.loss_mask).sum())
        metrics = {"loss/sft": total, "loss/token_accuracy": correct / n_tokens}
        if algo.max_grad_norm > 0:
            metrics["loss/grad_norm"] = float(torch.nn.utils.clip_grad_norm_(ctx.model.parameters(),
                                                                             algo.max_grad_norm))
        ctx.optimizer.step()
        ctx.scheduler.step()
        metrics.update({"rollout/oracle_success_rate": self.oracle_success, "perf/update_s": time.time() - t0,
                        "perf/tokens": float(batch.attention_mask.sum())})
        return metrics
