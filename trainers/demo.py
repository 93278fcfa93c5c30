"""`agentgym demo`: a tiny model learns the default env on a laptop CPU, and held-out success shows it.

Steps: build a tokenizer (trained on the env's observations and the oracle's actions) and a tiny random model ->
measure greedy success on held-out easy tasks -> SFT on oracle demonstrations -> GRPO on the train split -> measure
held-out success after each stage. Everything lands in one run folder (./runs/demo-<time> unless `out`):

    eval_before/ eval_sft/ eval_rl/   metrics.json (success with a 95% Wilson CI), trajectories.jsonl, report.html
    sft/ grpo/                        config.json, metrics.jsonl, tb/ (TensorBoard), checkpoints/step_N/model
    summary.json                      the numbers printed at the end

The settings below were tuned for 2 CPU cores: the env lists the admissible actions and repeats the quest on every
observation (so a ~130k-parameter model can learn to pick and copy an action), generation stops two tokens after the
longest oracle action, SFT runs long enough for the model to learn to copy (action-token accuracy jumps from ~85% to
~97% around step 300), and GRPO runs at a learning rate 50x below SFT's so it refines the SFT policy instead of
undoing it. Measured on 2 cores with 1 torch thread and the pinned AVX2 kernels (PORTABLE_CPU_KERNELS), 60
held-out easy quests, greedy (2026-12-03; docs/benchmarks/demo.md has the commands and the settings tried since):

    seed   before   after SFT (95% CI)        after GRPO (95% CI)       wall time
    0      0.0%     68.3% (55.8% .. 78.7%)    71.7% (59.2% .. 81.5%)    188 s
    1      0.0%     68.3% (55.8% .. 78.7%)    66.7% (54.1% .. 77.3%)    190 s
    2      0.0%      3.3% (0.9% .. 11.4%)      3.3% (0.9% .. 11.4%)     223 s

SFT does almost all of the work. GRPO's gain on top of it (+3.3, -1.7, +0.0 points) is inside the confidence
interval on every seed, and the demo says so when it prints the result. GRPO mostly repairs quests with a locked
door, which SFT already solves at 350 steps; what the model still fails (taking an object named in the quest) it
does not learn in RL's budget here. docs/benchmarks/credit_comparison_adventure.md runs this GRPO stage with every
credit method from a weaker, 250-step SFT checkpoint (56.7%), where outcome credit climbs to 65-67%.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from agentgym.run_dirs import claim_new_dir
from agentgym.trainers.config import TrainConfig, load_config

ENV_KWARGS = '{level="easy", list_actions=true, show_quest=true}'
"""The demo's env: easy quests; every observation repeats the quest and lists the admissible actions."""

DEMO_SETTINGS = [
    "model.name=tiny", "model.tiny_hidden_size=64", "model.tiny_num_layers=2", "model.tiny_num_heads=4",
    "model.tiny_vocab_size=1024", "model.tiny_corpus_episodes=200", "model.device=cpu",
    'env.id="agentgym/TextAdventure-v0"', f"env.kwargs={ENV_KWARGS}", "env.max_turns=8",
    "rollout.executor=inline", "rollout.batch_size=128",
    "run.progress_bar=false", "run.tensorboard=true", "run.eval_every=0",
]
"""Settings both stages share (rollout.max_new_tokens is added at run time, sized to the oracle's actions)."""

SFT_SETTINGS = ['algo.name="sft"', "algo.lr=1e-2", "algo.oracle_episodes=400", "algo.batch_size=16",
                "algo.micro_batch_size=16", "algo.warmup_steps=5"]
"""SFT: behaviour cloning of the oracle; a tiny model tolerates (and needs) a large learning rate."""

RL_SETTINGS = ['algo.name="grpo"', "algo.lr=2e-4", "algo.kl_coef=0.0", "rollout.tasks_per_step=8",
               "rollout.group_size=8", "rollout.temperature=1.0", "algo.micro_batch_size=32",
               'credit.method="outcome"']
"""GRPO: outcome reward, 8 tasks x 8 samples per step, a learning rate 50x below SFT's."""


@dataclass
class HeldoutScore:
    """Greedy success on the held-out tasks after one stage."""

    success: float
    """Fraction of held-out episodes that completed their quest."""
    ci_low: float
    """Lower end of the 95% Wilson confidence interval of `success`."""
    ci_high: float
    """Upper end of the 95% Wilson confidence interval of `success`."""
    progress: float
    """Mean fraction of quest subgoals reached."""
    out_dir: Path
    """metrics.json, trajectories.jsonl and report.html of this evaluation."""

    def line(self) -> str:
        return f"{self.success:6.1%}  (95% CI {self.ci_low:.1%} .. {self.ci_high:.1%})"


@dataclass
class DemoResult:
    before: HeldoutScore
    """The untrained model."""
    after_sft: HeldoutScore
    """After SFT on oracle demonstrations."""
    after_rl: HeldoutScore
    """After SFT then GRPO."""
    heldout_tasks: int
    seconds: float
    """Wall time of the whole demo, model building and evaluations included."""
    run_dir: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)
    rl_train_success: list[float] = field(default_factory=list)
    """rollout/success_rate of every GRPO step (sampled at temperature 1 on train tasks)."""
    threads: int = 1
    """torch threads the demo ran with."""
    cpu_kernels: str = ""
    """The CPU kernel family torch ran (pin_cpu_kernels; "AVX2" unless the environment chose otherwise)."""
    checkpoint: Path | None = None
    """The trained model's folder (save_pretrained layout), loadable with `--policy hf:PATH`."""
    eval_command: str = ""
    """An `agentgym eval` command line that measures the trained model on the same tasks, the same way."""

    @property
    def rl_verdict(self) -> str:
        """Did GRPO help on top of SFT, by the held-out numbers (an honest one-liner, not a claim of significance)?"""
        d = self.after_rl.success - self.after_sft.success
        overlap = self.after_rl.ci_low <= self.after_sft.success <= self.after_rl.ci_high
        if d > 0:
            return (f"GRPO added {d:+.1%} held-out success on top of SFT" +
                    (" (within the confidence interval: suggestive, not conclusive)" if overlap else
                     " (outside the 95% CI of the after-GRPO score)"))
        if d == 0:
            return "GRPO left held-out success unchanged"
        return f"GRPO lowered held-out success by {-d:.1%} in this run"


PORTABLE_CPU_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
"""The CPU kernels the demo runs on, whatever the machine has: torch picks its vectorised kernels (and MKL its
matrix products) by the CPU's instruction set, and AVX-512 kernels round differently from AVX2 ones; over a few
hundred SFT steps that difference can grow into a different model (measured: the demo's SFT losses part from step 8;
likely why seed 0 ended SFT at 83.3% on one machine and 71.7% on another). AVX2 is on every x86-64 CPU of the last
decade, and MKL's conditional numerical reproducibility (MKL_CBWR) is documented to give the same results across
them for a fixed thread count and MKL version."""


def pin_cpu_kernels(log: Callable[[str], Any] = print) -> str:
    """Select PORTABLE_CPU_KERNELS (unless the environment already sets them) before torch runs its first operation,
    and return the kernel family torch uses. Once torch has run an operation its choice is fixed: then this only
    reports it, and says so when it is not AVX2 (the demo's figures were measured with AVX2 kernels)."""
    for key, value in PORTABLE_CPU_KERNELS.items():
        os.environ.setdefault(key, value)
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    if capability != "AVX2":
        log(f"  note: torch runs {capability} CPU kernels here, not AVX2 (ATEN_CPU_CAPABILITY set otherwise, read "
            f"before the demo started, or a CPU without AVX2): the figures can differ from the README's")
    return capability


def demo_threads() -> int:
    """torch threads for the demo: 1 (the model is ~100k parameters; its matrices are too small for intra-op
    parallelism to pay, and extra threads fight with anything else on the machine). AGENTGYM_DEMO_THREADS
    overrides it."""
    value = os.environ.get("AGENTGYM_DEMO_THREADS", "1")
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"AGENTGYM_DEMO_THREADS must be a positive integer, got {value!r}; unset it or use 1") \
            from None
    if n < 1:
        raise ValueError(f"AGENTGYM_DEMO_THREADS must be >= 1, got {n}; unset it or use 1")
    return n


def run_demo(out: str | Path | None = None, *, seed: int = 0, sft_steps: int = 350, rl_steps: int = 15,
             heldout_tasks: int = 60, log: Callable[[str], Any] = print, threads: int | None = None,
             sft_overrides: Sequence[str] = (), rl_overrides: Sequence[str] = ()) -> DemoResult:
    """SFT then GRPO on a tiny model; returns held-out success before, after SFT and after GRPO (module docstring).

    heldout_tasks: the first N held-out easy tasks (the split has 60; more cycle). threads: torch threads (default
    demo_threads()). sft_overrides / rl_overrides: extra `section.key=value` settings for one stage.
    """
    capability = pin_cpu_kernels(log)  # before torch's first operation in this process
    import torch

    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.model_setup import build_model_and_tokenizer
    from agentgym.trainers.run import train

    if min(sft_steps, rl_steps, heldout_tasks) < 1:
        raise ValueError(f"sft_steps, rl_steps and heldout_tasks must be >= 1, got {sft_steps}, {rl_steps}, "
                         f"{heldout_tasks}")
    t0 = time.time()
    threads = threads or demo_threads()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    run_dir = Path(out) if out is not None else Path(claim_new_dir(Path("runs") / "demo"))
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        base = DEMO_SETTINGS + [f"run.seed={seed}"]
        sft_cfg = load_config(None, base + SFT_SETTINGS + [f"run.steps={sft_steps}",
                                                           f'run.out_dir="{run_dir / "sft"}"', *sft_overrides])
        stages: dict[str, float] = {}

        # SETUP: tasks, tokenizer, model, generation length ------------------------------------------------------------
        # The tokenizer and generation limit come from the whole train split (what GRPO plays), not SFT's part of it.
        train_tasks, _ = env_tasks(load_config(None, base + RL_SETTINGS).env)
        log(f"building a tiny model and tokenizer from {sft_cfg.model.tiny_corpus_episodes} oracle episodes "
            f"({threads} torch thread{'s' if threads > 1 else ''}) ...")
        model, tokenizer = build_model_and_tokenizer(sft_cfg, train_tasks)
        max_new = max_action_tokens(sft_cfg, tokenizer, train_tasks) + 2  # +2: slack for held-out words
        gen = [f"rollout.max_new_tokens={max_new}"]
        sft_cfg = load_config(None, base + gen + SFT_SETTINGS + [
            f"run.steps={sft_steps}", f'run.out_dir="{run_dir / "sft"}"', *sft_overrides])
        rl_cfg = load_config(None, base + gen + RL_SETTINGS + [
            f"run.steps={rl_steps}", f'run.out_dir="{run_dir / "grpo"}"', *rl_overrides])
        n_params = sum(p.numel() for p in model.parameters())
        log(f"  {n_params / 1e3:.0f}k parameters, vocabulary {len(tokenizer)}, at most {max_new} new tokens per "
            f"turn, {sft_cfg.env.max_turns} turns per episode")
        before = heldout_score(sft_cfg, model, tokenizer, heldout_tasks, run_dir / "eval_before")
        stages["setup"] = time.time() - t0
        log(f"  held-out success before training: {before.line()}  [{heldout_tasks} easy tasks, greedy]")

        # SFT ------------------------------------------------------------------------------------------------------
        t = time.time()
        log(f"SFT: {sft_steps} steps x {sft_cfg.algo.batch_size} oracle demonstrations, lr {sft_cfg.algo.lr:g} ...")
        sft = train(sft_cfg, model=model, tokenizer=tokenizer)
        after_sft = heldout_score(sft_cfg, model, tokenizer, heldout_tasks, run_dir / "eval_sft")
        stages["sft"] = time.time() - t
        acc = sft.metrics[-1].get("loss/token_accuracy", float("nan"))
        log(f"  action-token accuracy {acc:.0%}; held-out success after SFT: {after_sft.line()}  "
            f"({stages['sft']:.0f} s)")

        # GRPO -----------------------------------------------------------------------------------------------------
        t = time.time()
        r = rl_cfg.rollout
        log(f"GRPO: {rl_steps} steps x {r.tasks_per_step} tasks x {r.group_size} samples, lr {rl_cfg.algo.lr:g} ...")
        rl = train(rl_cfg, model=model, tokenizer=tokenizer)
        after_rl = heldout_score(rl_cfg, model, tokenizer, heldout_tasks, run_dir / "eval_rl")
        stages["grpo"] = time.time() - t
        train_success = [float(m["rollout/success_rate"]) for m in rl.metrics]
        log(f"  train success while sampling: {_curve(train_success)}")
        log(f"  held-out success after GRPO: {after_rl.line()}  ({stages['grpo']:.0f} s)")
    finally:
        torch.set_num_threads(previous_threads)

    checkpoint = rl.checkpoint / "model" if rl.checkpoint is not None else None
    result = DemoResult(before=before, after_sft=after_sft, after_rl=after_rl, heldout_tasks=heldout_tasks,
                        seconds=time.time() - t0, run_dir=run_dir, stage_seconds=stages,
                        rl_train_success=train_success, threads=threads, cpu_kernels=capability,
                        checkpoint=checkpoint,
                        eval_command=eval_command(rl_cfg, checkpoint, heldout_tasks) if checkpoint else "")
    summary = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()}
    summary = json.loads(json.dumps(summary, default=str))
    summary["rl_verdict"] = result.rl_verdict
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return result


def eval_command(cfg: TrainConfig, checkpoint: Path, n: int) -> str:
    """`agentgym eval` of `checkpoint` on the demo's held-out tasks with the demo's env settings, turn limit and
    greedy generation: it reproduces the demo's "after" number."""
    env_args = " ".join(f"--env-arg {k}={str(v).lower() if isinstance(v, bool) else v}"
                        for k, v in cfg.env.kwargs.items())
    return (f"agentgym eval {cfg.env.id} --policy hf:{checkpoint} --split {cfg.env.eval_split or 'heldout'} -n {n} "
            f"--max-turns {cfg.env.max_turns} --max-new-tokens {cfg.rollout.max_new_tokens} --temperature 0 "
            f"--batch-size {cfg.rollout.batch_size} {env_args}")


def max_action_tokens(cfg: TrainConfig, tokenizer: Any, tasks: Sequence[Any], episodes: int = 200) -> int:
    """Tokens (end-of-turn included) of the longest action the oracle takes in `episodes` train episodes: the
    generation limit that lets every demonstrated action finish, and no more (every extra token is one more step
    of `generate` for every live episode)."""
    from agentgym.chat import tokenize_trajectory
    from agentgym.policies.scripted import OraclePolicy
    from agentgym.trainers.rollouts import play

    demos = play(cfg, OraclePolicy(), list(tasks)[:episodes], group_size=1, seed=cfg.run.seed)
    lengths = [len(turn.completion_ids or ()) for d in demos if d.turns
               for turn in tokenize_trajectory(d, tokenizer).turns]
    if not lengths:
        raise RuntimeError(f"the oracle played no turn on {cfg.env.id!r}; cannot size rollout.max_new_tokens")
    return max(lengths)


def heldout_score(cfg: TrainConfig, model: Any, tokenizer: Any, n: int, out_dir: Path) -> HeldoutScore:
    """Greedy success on the first n held-out tasks, with a 95% Wilson CI; writes metrics.json,
    trajectories.jsonl and report.html to out_dir."""
    from agentgym.evaluation import evaluate
    from agentgym.trainers.model_setup import make_policy

    was_training = model.training
    try:
        policy = make_policy(model, tokenizer, cfg.rollout, seed=cfg.run.seed, greedy=True)
        res = evaluate(cfg.env.id, policy, split=cfg.env.eval_split or "heldout", n=n, seed=cfg.run.seed,
                       out_dir=str(out_dir), max_turns=cfg.env.max_turns, batch_size=cfg.rollout.batch_size,
                       env_kwargs=cfg.env.kwargs, policy_name="tiny demo model")
    finally:
        model.train(was_training)
    m = res.metrics
    return HeldoutScore(success=m["eval/success_rate"], ci_low=m["eval/success_rate_ci_low"],
                        ci_high=m["eval/success_rate_ci_high"], progress=m["eval/mean_progress"], out_dir=out_dir)


def _curve(values: Sequence[float], width: int = 12) -> str:
    """A short text rendering of a per-step series: every value when few, else evenly spaced ones."""
    if len(values) > width:
        idx = [round(i * (len(values) - 1) / (width - 1)) for i in range(width)]
        values = [values[i] for i in idx]
    return " ".join(f"{v:.0%}" for v in values)
