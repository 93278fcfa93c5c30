"""The training loop every trainer runs in: set up the run, step the trainer, log, evaluate, checkpoint, resume.

    from agentgym.trainers.config import load_config
    from agentgym.trainers.run import train
    result = train(load_config("configs/tiny_grpo.toml", ["run.steps=4"]))

The algorithm lives in trainers/<name>.py (a `Config` dataclass and a `Trainer` with `step(step) -> metrics`);
this file owns what they share: the model and tokenizer (and a vision-language model's image processor), the
optimizer, the rollout policy, the run directory.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from agentgym.core import Task
from agentgym.trainers import checkpoints, rng, run_folder
from agentgym.trainers.config import TrainConfig, config_to_dict
from agentgym.trainers.data_order import env_tasks, tasks_for_step
from agentgym.trainers.metrics_log import MetricsLogger
from agentgym.trainers.model_setup import (build_model, load_model, load_model_weights, make_policy, pick_device,
                                           require_vision_for_images, trainable_parameters)
from agentgym.trainers.rollouts import env_runners, eval_model, group_trajectories, play
from agentgym.trainers.weight_sync import sync_weights
from agentgym.types import Trajectory


@dataclass
class Context:
    """What a trainer step needs from the run. Built by `train`, handed to `Trainer(ctx)`."""

    cfg: TrainConfig
    model: Any
    tokenizer: Any
    device: torch.device
    train_tasks: list[Task]
    eval_tasks: list[Task]
    run_dir: Path
    resume_from: Path | None = None
    """The checkpoint this run resumes from (trainers load their own extra state from it), or None."""
    runners: Any = None
    """The run's agentgym.runners.RunnerPool: every rollout and eval of the run plays on it."""
    vision: Any = None
    """agentgym.vision.ImageTokens of a vision-language model (its image processor): rollouts put the observations'
    images into the prompts and batches carry their pixel inputs. None for a text-only model."""
    optimizer: torch.optim.Optimizer | None = None
    scheduler: Any = None
    _vllm_policy: Any = None

    def rollout(self, tasks: Sequence[Task], *, group_size: int, step: int) -> list[Trajectory]:
        """Play `tasks` with the current weights. Sampling is seeded by (run seed, step): resumable exactly."""
        seed = rng.step_seed(self.cfg.run.seed, step)
        policy = self.rollout_policy(seed)
        self.model.eval()
        try:
            return play(self.cfg, policy, tasks, group_size=group_size, seed=seed, runners=self.runners)
        finally:
            self.model.train()

    def rollout_groups(self, step: int) -> tuple[list[list[Trajectory]], dict[str, float]]:
        """The ROLLOUT section every RL trainer starts with: this step's train tasks, each played
        rollout.group_size times with the current weights, grouped by task (failed episodes dropped when
        rollout.drop_errors), and the step's rollout/... metrics with perf/rollout_s."""
        from agentgym.rollout import rollout_metrics

        t0 = time.time()
        r = self.cfg.rollout
        tasks = tasks_for_step(self.train_tasks, r.tasks_per_step, self.cfg.run.seed, step)
        trajectories = self.rollout(tasks, group_size=r.group_size, step=step)
        metrics = rollout_metrics(trajectories)
        metrics["perf/rollout_s"] = time.time() - t0
        return group_trajectories(trajectories, drop_errors=r.drop_errors, error_penalty=r.error_penalty), metrics

    def record(self, step: int, episodes: Sequence[Trajectory], per_turn_advantages: Sequence[Sequence[float]]
               ) -> None:
        """Keep a step's episodes with the advantage each turn got (run.save_rollouts), for the trajectory viewer."""
        if not self.cfg.run.save_rollouts:
            return
        from agentgym.types import write_jsonl

        for t, adv in zip(episodes, per_turn_advantages):
            t.metadata["turn_advantages"] = [float(a) for a in adv]
        out = self.run_dir / "rollouts"
        out.mkdir(parents=True, exist_ok=True)
        write_jsonl(str(out / f"step_{step + 1}.jsonl"), list(episodes))

    def rollout_policy(self, seed: int) -> Any:
        if self.cfg.model.rollout_backend == "hf":
            return make_policy(self.model, self.tokenizer, self.cfg.rollout, seed=seed, vision=self.vision)
        # vLLM: one engine for the run, weights reloaded from the training model before each rollout.
        if self._vllm_policy is None:
            from agentgym.policies.vllm import VLLMPolicy
            from vllm import SamplingParams

            # The engine starts from the training model as it is now, saved as a plain Hugging Face folder: that
            # works for "tiny" and "smollm2" (which exist only in memory or as a GGUF file), for a resumed run, and
            # for any path or Hub name, and it guarantees the engine's architecture and tokenizer are the trainer's.
            start = self.run_dir / "vllm_init"
            checkpoints.save_model(self.model, start)
            self.tokenizer.save_pretrained(start)
            if self.vision is not None:
                self.vision.save_pretrained(start)
            r = self.cfg.rollout
            params = SamplingParams(temperature=r.temperature, top_p=r.top_p, top_k=r.top_k if r.top_k > 0 else -1,
                                    max_tokens=r.max_new_tokens, logprobs=0)
            self._vllm_policy = VLLMPolicy(str(start), sampling_params=params, vision=self.vision)
        else:
            sync_weights(self._vllm_policy, self.model)
        return self._vllm_policy

    def reference_model(self) -> Any:
        """A frozen copy of the starting weights (for the KL penalty), kept in run_dir/reference so a resumed run
        measures KL to the same model."""
        ref_dir = self.run_dir / "reference"
        if self.resume_from is not None and ref_dir.is_dir():
            ref = load_model_weights(str(ref_dir))
        else:
            ref = copy.deepcopy(self.model)
            checkpoints.save_model(ref, ref_dir)
        ref.to(self.device).eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        return ref


@dataclass
class RunResult:
    run_dir: Path
    model: Any
    tokenizer: Any
    metrics: list[dict[str, Any]] = field(default_factory=list)
    """The metrics of the steps this call ran."""
    checkpoint: Path | None = None
    trainer: Any = None
    start_step: int = 0
    """The step this call started from (the resumed checkpoint's, else 0)."""
    notes: list[str] = field(default_factory=list)
    """What the run folder check did (overwritten, damaged checkpoints set aside, config changes on resume)."""
    vision: Any = None
    """The image processor (agentgym.vision.ImageTokens) of a vision-language model; None for a text-only one."""

    @property
    def steps_run(self) -> int:
        return len(self.metrics)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped training after a finished step, whose checkpoint was saved."""

    def __init__(self, step: int, total: int, checkpoint: Path):
        super().__init__(f"interrupted after step {step} of {total}; checkpoint saved at {checkpoint}")
        self.step, self.total, self.checkpoint = step, total, checkpoint


def trainer_class(name: str) -> type:
    return importlib.import_module(f"agentgym.trainers.{name}").Trainer


def train(cfg: TrainConfig, *, resume: bool = False, overwrite: bool = False, allow_config_change: bool = False,
          model: Any = None, tokenizer: Any = None, vision: Any = None,
          on_step: Callable[[int, dict], None] | None = None) -> RunResult:
    """Run `cfg.run.steps` optimizer steps of trainer `cfg.algo.name` in cfg.run.out_dir.

    The folder holds one run (trainers/run_folder.py): one that already holds a run needs resume (continue from its
    newest intact checkpoint; a different algorithm, model, seed or env needs allow_config_change) or overwrite
    (delete it first). `model`/`tokenizer` (and `vision`, a vision-language model's image processor) start from
    given objects instead of building them from cfg.model (the demo hands over its SFT model); they are trained in
    place. An env that shows images needs a vision-language model (a ConfigError says so before the first step).
    Ctrl-C or SIGTERM finishes the current step, saves a checkpoint and raises TrainingInterrupted (a second one
    stops at once).
    """
    run_dir = Path(cfg.run.out_dir)
    ckpt, notes = run_folder.prepare(run_dir, config_to_dict(cfg), resume=resume, overwrite=overwrite,
                                     allow_config_change=allow_config_change)
    for note in notes:
        print(f"agentgym train: {note}", file=sys.stderr)
    rng.seed_everything(cfg.run.seed)
    device = pick_device(cfg.model)
    train_tasks, eval_tasks = env_tasks(cfg.env)
    checked = False
    if ckpt is not None:
        model, tokenizer, vision = load_model(str(ckpt / "model"))
    elif model is None:
        if cfg.model.name in ("tiny", "smollm2"):  # text-only: say so before building its tokenizer's corpus
            require_vision_for_images(cfg, None)
            checked = True
        model, tokenizer, vision = build_model(cfg, train_tasks)
    if not checked:
        require_vision_for_images(cfg, vision)
    model.to(device).train()
    if cfg.model.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / run_folder.CONFIG_FILE).write_text(json.dumps(config_to_dict(cfg), indent=2, default=str))
    _write_manifest(cfg, run_dir, model, train_tasks, resumed_from=ckpt)

    # One pool of env runners for the whole run: envs (and whatever browser or container they hold) start once.
    runners = env_runners(cfg)
    ctx = Context(cfg=cfg, model=model, tokenizer=tokenizer, device=device, train_tasks=train_tasks,
                  eval_tasks=eval_tasks, run_dir=run_dir, resume_from=ckpt, runners=runners, vision=vision)
    try:
        result = _train_steps(ctx, ckpt, on_step)
    finally:
        runners.close()
    result.notes = notes
    return result


def _write_manifest(cfg: TrainConfig, run_dir: Path, model: Any, train_tasks: Sequence[Task], *,
                    resumed_from: Path | None) -> None:
    from types import SimpleNamespace

    from agentgym import manifest

    m = manifest.build("train", env_id=cfg.env.id, env_kwargs=cfg.env.kwargs,
                       split=cfg.env.train_split or "train", task_ids=[t.id for t in train_tasks], seed=cfg.run.seed,
                       policy=cfg.model.name, policy_obj=SimpleNamespace(model=model),
                       settings={"config": config_to_dict(cfg),
                                 "resumed_from": str(resumed_from) if resumed_from else None})
    manifest.write(run_dir, m)


def _train_steps(ctx: Context, ckpt: Path | None, on_step: Callable[[int, dict], None] | None) -> RunResult:
    cfg, model, tokenizer, run_dir, eval_tasks = ctx.cfg, ctx.model, ctx.tokenizer, ctx.run_dir, ctx.eval_tasks
    trainer = trainer_class(cfg.algo.name)(ctx)
    extra = trainer.modules()
    ctx.optimizer = torch.optim.AdamW(trainable_parameters(model, *extra.values()), lr=cfg.algo.lr,
                                      weight_decay=cfg.algo.weight_decay)
    warmup = cfg.algo.warmup_steps
    ctx.scheduler = torch.optim.lr_scheduler.LambdaLR(ctx.optimizer,
                                                      lambda s: min(1.0, (s + 1) / warmup) if warmup else 1.0)
    start = 0
    if ckpt is not None:
        start = checkpoints.restore(checkpoints.load_trainer_state(ckpt), optimizer=ctx.optimizer,
                                    scheduler=ctx.scheduler, extra_modules=extra)
        trainer.load_extra(ckpt)

    logger = MetricsLogger(run_dir, tensorboard=cfg.run.tensorboard, resume_step=start if ckpt is not None else None)
    from tqdm.auto import tqdm

    bar = tqdm(total=cfg.run.steps, initial=start, desc=f"{cfg.algo.name}", unit="step",
               disable=not cfg.run.progress_bar)
    history: list[dict[str, Any]] = []
    last_ckpt = ckpt
    no_signal = NoSignalWatch(cfg.run.warn_no_signal_steps)

    def save(step: int) -> Path:
        return checkpoints.save_checkpoint(run_dir, step, model=model, tokenizer=tokenizer, optimizer=ctx.optimizer,
                                           scheduler=ctx.scheduler, extra_modules=extra, estimator=trainer.estimator,
                                           keep=cfg.run.keep_checkpoints, vision=ctx.vision)

    selfplay = None
    if cfg.selfplay.pool:  # the opponents' pool must hold the starting policy before the first rollout
        from agentgym.trainers.selfplay import SelfPlayPool

        selfplay = SelfPlayPool(ctx)
        selfplay.snapshot(start)
    try:
        with StopAfterStep() as stop:
            for step in range(start, cfg.run.steps):
                t0 = time.time()
                metrics = trainer.step(step)
                if selfplay is not None:
                    metrics.update(selfplay.after_step(step + 1))
                metrics["perf/step_s"] = time.time() - t0
                metrics["perf/lr"] = ctx.scheduler.get_last_lr()[0]
                if cfg.run.eval_every and (step + 1) % cfg.run.eval_every == 0:
                    metrics.update(eval_model(cfg, model, tokenizer, eval_tasks[: cfg.run.eval_tasks],
                                              runners=ctx.runners, vision=ctx.vision))
                no_signal.check(step + 1, metrics)
                logger.log(step + 1, metrics)
                history.append({"step": step + 1, **metrics})
                bar.update(1)
                bar.set_postfix({k.split("/")[-1]: f"{metrics[k]:.3g}" for k in
                                 ("rollout/success_rate", "loss/policy", "loss/sft") if k in metrics})
                if on_step is not None:
                    on_step(step + 1, metrics)
                done = step + 1 == cfg.run.steps
                if done or stop.requested or (cfg.run.save_every and (step + 1) % cfg.run.save_every == 0):
                    last_ckpt = save(step + 1)
                if stop.requested and not done:
                    raise TrainingInterrupted(step + 1, cfg.run.steps, last_ckpt)
    finally:
        bar.close()
        logger.close()
        if selfplay is not None:
            selfplay.close()
    return RunResult(run_dir=run_dir, model=model, tokenizer=tokenizer, metrics=history, checkpoint=last_ckpt,
                     trainer=trainer, start_step=start, vision=ctx.vision)


class StopAfterStep:
    """While training: the first Ctrl-C or SIGTERM asks the loop to stop after the current step (it saves a
    checkpoint first); a second one stops at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        from agentgym.interrupts import on_interrupt

        self.requested = False
        self._handlers = on_interrupt(self._handle)

    def __enter__(self) -> StopAfterStep:
        self._handlers.__enter__()
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nagentgym train: stopping after this step and saving a checkpoint (press Ctrl-C again to quit now, "
              "without saving)", file=sys.stderr)

    def __exit__(self, *exc: Any) -> None:
        self._handlers.__exit__(*exc)


class NoSignalWatch:
    """Warns when no group has had a learning signal (every episode of every group scored the same, so every
    advantage is 0 and the gradient vanishes) for `patience` consecutive steps."""

    def __init__(self, patience: int):
        self.patience = patience
        self.streak = 0

    def check(self, step: int, metrics: dict[str, float]) -> None:
        if self.patience <= 0 or "reward/groups_with_signal" not in metrics:
            return
        self.streak = self.streak + 1 if metrics["reward/groups_with_signal"] == 0 else 0
        metrics["reward/steps_without_signal"] = float(self.streak)
        if self.streak == self.patience:
            print(f"agentgym train: warning: no group has had a learning signal for {self.streak} steps (up to step "
                  f"{step}): every episode of a group scored the same, so every advantage is 0 and nothing is "
                  f"learned (invalid-action rate {metrics.get('rollout/invalid_action_rate', float('nan')):.2f}). "
                  "Start from an SFT checkpoint (model.name = a run folder), use a denser outcome "
                  "(credit.params={outcome=\"progress\"}), or a larger rollout.group_size", file=sys.stderr)
