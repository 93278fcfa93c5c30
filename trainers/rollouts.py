"""Playing episodes for a trainer: the run's env runners, rollouts of a step's tasks, the greedy held-out evaluation,
and grouping a rollout (GRPO/RLOO groups) with errored episodes dropped or penalised."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from agentgym.core import Task
from agentgym.trainers.config import TrainConfig
from agentgym.types import Trajectory


def env_runners(cfg: TrainConfig) -> Any:
    """The run's pool of env runners (rollout.executor): built once, used by every rollout and eval of the run."""
    from agentgym.runners import RunnerPool

    return RunnerPool(cfg.env.id, kind=cfg.rollout.executor, env_kwargs=cfg.env.kwargs)


def play(cfg: TrainConfig, policy: Any, tasks: Sequence[Task], *, group_size: int, seed: int,
         split: str | None = None, runners: Any = None) -> list[Trajectory]:
    """Roll out `tasks` (each group_size times) in the configured env, on `runners` (the run's RunnerPool) when
    given, else on runners made for this call alone."""
    from agentgym.rollout import rollout

    env: Any = runners if runners is not None else cfg.env.id
    return rollout(env, policy, list(tasks), group_size=group_size, max_turns=cfg.env.max_turns,
                   max_context_tokens=cfg.env.max_context_tokens, batch_size=cfg.rollout.batch_size,
                   executor=cfg.rollout.executor, seed=seed, split=split,
                   env_kwargs=None if runners is not None else cfg.env.kwargs, history=cfg.rollout.history,
                   window_turns=cfg.rollout.window_turns)


def eval_model(cfg: TrainConfig, model: Any, tokenizer: Any, tasks: Sequence[Task], *, seed: int = 0,
               runners: Any = None, out_dir: str | None = None, vision: Any = None) -> dict[str, float]:
    """Greedy play of `tasks` (held-out) by the training model through agentgym.evaluation.evaluate, the same
    evaluation `agentgym eval` runs: success rate (Wilson CI), mean reward, turns and progress (bootstrap CIs),
    errors, invalid-action rate; with out_dir also its metrics.json, trajectories.jsonl and report.html. `vision`:
    a vision-language model's image processor (RunResult.vision)."""
    import torch

    from agentgym.evaluation import evaluate
    from agentgym.trainers.model_setup import make_policy

    was_training = model.training
    model.eval()
    policy = make_policy(model, tokenizer, cfg.rollout, seed=seed, greedy=True, vision=vision)
    try:
        with torch.no_grad():
            result = evaluate(cfg.env.id, policy, tasks=tasks, split=cfg.env.eval_split or "heldout", seed=seed,
                              out_dir=out_dir, max_turns=cfg.env.max_turns,
                              max_context_tokens=cfg.env.max_context_tokens, batch_size=cfg.rollout.batch_size,
                              env_kwargs=cfg.env.kwargs,
                              executor=cfg.rollout.executor, runners=runners, policy_name=f"{cfg.algo.name} model",
                              history=cfg.rollout.history, window_turns=cfg.rollout.window_turns)
    finally:
        model.train(was_training)
    return {k: v for k, v in result.metrics.items() if k.startswith("eval/")}


def group_trajectories(trajectories: Sequence[Trajectory], *, drop_errors: bool,
                       error_penalty: float = 0.0) -> list[list[Trajectory]]:
    """Split a rollout (ordered by task, then member) into its groups. Errored episodes are dropped, or (drop_errors
    False) kept as penalised copies (see penalised_error)."""
    groups: dict[int, list[Trajectory]] = {}
    for t in trajectories:
        if t.error is not None:
            if drop_errors:
                continue
            t = penalised_error(t, error_penalty)
        if not t.turns:
            continue  # an episode with no turn has no token to train on
        groups.setdefault(t.group, []).append(t)
    return [groups[k] for k in sorted(groups)]


def penalised_error(traj: Trajectory, penalty: float) -> Trajectory:
    """An errored episode as the update sees it when rollout.drop_errors is false: a copy whose outcome is `penalty`
    for every outcome source (metadata["error_penalty"], which credit.episode_outcome reads), whose last trainable
    turn is rewarded `penalty` and the others 0, without a last turn that has no tokens (the policy raised before
    generating, so there is nothing to score)."""
    turns = list(traj.turns)
    if turns and turns[-1].completion_ids is None:
        turns = turns[:-1]
    turns = [replace(t, reward=penalty if i == len(turns) - 1 else 0.0) for i, t in enumerate(turns)]
    return replace(traj, turns=turns, success=False, metadata=dict(traj.metadata, error_penalty=float(penalty)))
