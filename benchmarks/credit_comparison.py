"""Credit assignment compared on the same env and seeds: outcome, turn_level, gated, info_gain, progress, gigpo.

Three settings (--setting), each with its own report page:

- `twenty_questions` (default): agentgym/TwentyQuestions-v0 with every method, because IGPO needs a ground-truth
  answer (info["answer"]) and TwentyQuestions has one. The outcome signal is the env's progress (the fraction of
  wrong objects ruled out, 1.0 on a right guess), since a tiny model rarely guesses the object. Its per-turn reward
  is a constant -1, which gives turn-level credit nothing to work with (the report shows what that does).
- `twenty_questions_sparse`: the same game, warm start and budget, but the outcome is success (1 for a right guess,
  else 0), which a tiny model almost never reaches in five questions: outcome credit has no signal, and IGPO's
  information gain is the only per-turn signal (outcome, info_gain and progress are compared).
- `adventure`: agentgym/TextAdventure-v0 (easy quests, the demo's env), where every subgoal reached pays +1, so
  per-turn rewards say which turns helped. The warm start is the demo's SFT recipe (the recorded run stops it at
  250 steps, which leaves GRPO room to improve). IGPO is left out: a quest has no answer string to probe the
  belief in.

Model: a tiny model built locally, warm-started once by SFT on oracle episodes (cached under --out and shared by
every run, so every (method, seed) pair starts from the same weights), then GRPO with each credit method. A seed
fixes the task order and the sampling seed of every step, so at step 1 all methods play the very same episodes;
they differ only in how those episodes are credited.

Measured per step (learning curve): the train batch's mean progress, success, return and invalid-action rate. At
the end: greedy success, progress and return on the held-out tasks. Every --eval-every steps (the trainer's own
run.eval_every), and at the warm start: greedy held-out success against the env steps (turns) played in training
rollouts so far, and from it, per method and seed, the env steps at which held-out success first reaches outcome
credit's final held-out success (does a per-turn method get there with less experience?).

    python benchmarks/credit_comparison.py                        # TwentyQuestions, the recorded run, ~16 min
    python benchmarks/credit_comparison.py --setting adventure --steps 20 --sft-steps 250   # the recorded run, ~30 min
    python benchmarks/credit_comparison.py --setting twenty_questions_sparse     # ~10 min
    python benchmarks/credit_comparison.py --steps 4 --seeds 0 1 --methods outcome info_gain   # quicker
    python benchmarks/credit_comparison.py --report-only          # redraw table and plot from --out/results.json

Writes docs/benchmarks/<page>.md, <page>.png (training curves) and <page>_heldout.png (held-out success vs env
steps): credit_comparison (twenty_questions), credit_comparison_sparse, credit_comparison_adventure.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

@dataclass(frozen=True)
class Setting:
    """One env's comparison: what every run shares, how the warm start is trained, and each method's knobs."""

    env: str
    methods: dict[str, str]
    """credit method -> its `credit.params=...` override."""
    base: tuple[str, ...]
    """Overrides every run (SFT and GRPO) shares; env.max_turns is added from --max-turns."""
    sft: tuple[str, ...]
    """Overrides of the SFT warm start (run.steps and run.out_dir are added)."""
    grpo: tuple[str, ...]
    """Overrides every GRPO run shares (steps, seed, lr, tasks, group size and the credit method are added)."""
    defaults: dict[str, Any]
    """Command-line defaults of this setting (steps, lr, tasks_per_step, group_size, max_turns, sft_steps,
    eval_every)."""
    page: str
    """Report file stem under --docs."""
    panels: tuple[tuple[str, str], ...]
    """(curve, axis label) of each learning-curve panel."""
    setup: Callable[[dict[str, Any], dict[str, str]], list[str]]
    """The report's setup bullets, from the run's arguments and `methods`."""


CURVES = {"progress": "rollout/mean_progress", "return": "rollout/mean_reward", "success": "rollout/success_rate",
          "invalid": "rollout/invalid_action_rate"}

# TwentyQuestions: every method that has an outcome knob uses the env's progress, like the others' score.
# gated: threshold 1.0 opens the gate only on a solved game (progress 1.0). A lower gate would be harmful here, not
# neutral: TwentyQuestions pays -1 on every turn, so an open gate SUBTRACTS the step rewards and a game that ruled out
# more objects would score lower than one that ruled out fewer (threshold 0.5 inverts the signal for most games).
TQ_METHODS = {
    "outcome": 'credit.params={outcome="progress"}',
    "turn_level": "credit.params={gamma=1.0}",
    "gated": 'credit.params={outcome="progress", threshold=1.0}',
    "info_gain": 'credit.params={outcome="progress"}',
    "progress": "credit.params={valid_action_weight=0.1}",
    "gigpo": 'credit.params={episode_return="progress"}',
}
# The same game with the sparse outcome (1 for a right guess, else 0): the regime IGPO was made for. Within five
# questions a tiny model almost never guesses right, so outcome credit has no signal at all, and information gain is
# the only thing that can tell a useful question from a useless one.
TQ_SPARSE_METHODS = {
    "outcome": 'credit.params={outcome="success"}',
    "info_gain": 'credit.params={outcome="success"}',
    "progress": "credit.params={valid_action_weight=0.1}",
}
SHARED = ("model.name=tiny", "model.tiny_hidden_size=64", "model.tiny_num_layers=2", "rollout.executor=inline",
          "run.progress_bar=false", "run.tensorboard=false", "run.eval_every=0", "model.device=cpu")


def _heldout_when(a: dict[str, Any]) -> str:
    """When the held-out tasks were played; results recorded before --eval-every existed have no such key."""
    every = a.get("eval_every", 0)
    return f"at the warm start, every {every} GRPO step(s) and at the end" if every else "once per run"


def _tq_setup(a: dict[str, Any], methods: dict[str, str]) -> list[str]:
    sparse = "success" in methods.get("outcome", "")
    outcome = "success, the sparse signal (1 for a right guess, else 0)" if sparse else "the env's progress"
    spa_outcome = "success" if sparse else "progress"
    return [
        f"- Env `agentgym/TwentyQuestions-v0`, at most {a['max_turns']} questions per game (turn limit = "
        "truncation). Reward -1 per turn, 0 on the right guess; progress = fraction of the wrong objects ruled out "
        "by the answers (1.0 on a right guess).",
        "- Model: tiny Qwen2-style model built locally (hidden 64, 2 layers, 4 heads, 512-token BPE trained on "
        f"oracle games). Warm start: {a['sft_steps']} SFT steps (lr 1e-2, 16 oracle games per step) on oracle games "
        "of the 157 train objects; one checkpoint shared by every run.",
        f"- RL: GRPO (token-mean loss, clip 0.2, no KL, lr {a['lr']}, 1 update epoch) for {a['steps']} steps of "
        f"{a['tasks_per_step']} train objects x {a['group_size']} sampled games (temperature 1.0, max 12 new tokens "
        f"per turn), seeds {a['seeds']}. A seed fixes the task order and the sampling seed of each step, for every "
        "method alike, so step 1 is the same batch of games for all methods.",
        f"- Credit settings (the outcome is {outcome} where the method has an outcome knob): " +
        "; ".join(f"`{m}`: `{methods[m].split('=', 1)[1]}`" for m in a["methods"]) +
        f"; progress (SPA) also has `credit.progress_outcome=\"{spa_outcome}\"` (its estimator is fitted online, "
        "one Adam step per GRPO step, lr 1e-4).",
        f"- Held-out: {a['heldout_tasks'] or 'all 38'} held-out objects (never seen in training), played greedily "
        f"{_heldout_when(a)}.",
    ]


def _adventure_setup(a: dict[str, Any], methods: dict[str, str]) -> list[str]:
    return [
        f"- Env `agentgym/TextAdventure-v0`, easy quests (the demo's env: admissible actions listed and the quest "
        f"repeated on every observation), at most {a['max_turns']} turns. Reward +1 per quest subgoal newly "
        "reached; success = quest complete; progress = fraction of subgoals reached.",
        "- Model: the demo's tiny Qwen2-style model (hidden 64, 2 layers, 4 heads, ~130k parameters, BPE trained on "
        f"oracle episodes). Warm start: the demo's SFT recipe for {a['sft_steps']} steps (the demo runs 350; lr "
        "1e-2, 16 oracle episodes per step); one checkpoint shared by every run.",
        f"- RL: GRPO (token-mean loss, clip 0.2, no KL, lr {a['lr']}, 1 update epoch) for {a['steps']} steps of "
        f"{a['tasks_per_step']} train quests x {a['group_size']} sampled episodes (temperature 1.0, max 7 new tokens "
        f"per turn), seeds {a['seeds']}, the same batches for every method at step 1.",
        "- Credit settings (outcome = success, the sparse signal; step rewards = the env's subgoal rewards): " +
        "; ".join(f"`{m}`: `{methods[m].split('=', 1)[1]}`" for m in a["methods"]) +
        ". info_gain is not run: a quest has no answer string whose probability could be probed.",
        f"- Held-out: {a['heldout_tasks'] or 'all 60'} held-out easy quests (unseen seeds and layouts), played "
        f"greedily {_heldout_when(a)}.",
    ]


ADVENTURE_METHODS = {
    "outcome": "credit.params={}",
    "turn_level": "credit.params={gamma=1.0}",
    "gated": "credit.params={threshold=1.0}",
    "progress": "credit.params={}",
    "gigpo": "credit.params={}",
}


def _adventure_base() -> tuple[str, ...]:
    from agentgym.trainers.demo import DEMO_SETTINGS

    # The demo's env and model; its tokenizer makes the longest oracle action 5 tokens + end of turn (+ slack).
    return tuple(DEMO_SETTINGS) + ("run.tensorboard=false", "rollout.max_new_tokens=7")


def _adventure_sft() -> tuple[str, ...]:
    from agentgym.trainers.demo import SFT_SETTINGS

    return tuple(SFT_SETTINGS) + ("run.seed=0",)


SETTINGS: dict[str, Callable[[], Setting]] = {
    "twenty_questions": lambda: Setting(
        env="agentgym/TwentyQuestions-v0", methods=TQ_METHODS,
        base=('env.id="agentgym/TwentyQuestions-v0"', *SHARED, "model.tiny_vocab_size=512",
              "model.tiny_corpus_episodes=48", "rollout.max_new_tokens=12", "rollout.batch_size=64"),
        sft=('algo.name="sft"', "run.seed=0", "algo.lr=1e-2", "algo.oracle_episodes=157", "algo.batch_size=16",
             "algo.micro_batch_size=16"),
        grpo=('algo.name="grpo"', "algo.micro_batch_size=16", 'credit.progress_outcome="progress"'),
        defaults={"steps": 25, "lr": 1e-3, "tasks_per_step": 8, "group_size": 4, "max_turns": 5, "sft_steps": 60,
                  "eval_every": 5},
        page="credit_comparison", panels=(("progress", "train mean progress (objects ruled out)"),
                                          ("invalid", "train invalid-question rate (per turn)")),
        setup=_tq_setup),
    "twenty_questions_sparse": lambda: replace(
        SETTINGS["twenty_questions"](), methods=TQ_SPARSE_METHODS, page="credit_comparison_sparse",
        grpo=('algo.name="grpo"', "algo.micro_batch_size=16", 'credit.progress_outcome="success"')),
    "adventure": lambda: Setting(
        env="agentgym/TextAdventure-v0", methods=ADVENTURE_METHODS, base=_adventure_base(), sft=_adventure_sft(),
        grpo=('algo.name="grpo"', "algo.kl_coef=0.0", "rollout.temperature=1.0", "algo.micro_batch_size=32"),
        defaults={"steps": 15, "lr": 2e-4, "tasks_per_step": 8, "group_size": 8, "max_turns": 8, "sft_steps": 350,
                  "eval_every": 1},
        page="credit_comparison_adventure", panels=(("success", "train success rate (sampled)"),
                                                    ("progress", "train mean progress (subgoals reached)")),
        setup=_adventure_setup),
}

FINDINGS = "## What it showed"
"""Heading of the hand-written part of the report page, which a regenerated report keeps."""


def base_overrides(setting: Setting, args: argparse.Namespace) -> list[str]:
    """Settings every run (SFT and GRPO) shares."""
    return [*setting.base, f"env.max_turns={args.max_turns}"]


def sft_overrides(setting: Setting, args: argparse.Namespace) -> list[str]:
    return base_overrides(setting, args) + [*setting.sft, f"run.steps={args.sft_steps}",
                                            f'run.out_dir="{Path(args.out) / "sft"}"']


def grpo_overrides(setting: Setting, args: argparse.Namespace, method: str, seed: int) -> list[str]:
    return base_overrides(setting, args) + [
        *setting.grpo, f"run.steps={args.steps}", f"run.seed={seed}",
        f'run.out_dir="{Path(args.out) / method / f"seed{seed}"}"', f"algo.lr={args.lr}",
        f"rollout.tasks_per_step={args.tasks_per_step}", f"rollout.group_size={args.group_size}",
        f'credit.method="{method}"', setting.methods[method], *eval_overrides(args)]


def eval_overrides(args: argparse.Namespace) -> list[str]:
    """The trainer's own periodic held-out evaluation (run.eval_every), on the held-out tasks the final evaluation
    plays: the first --heldout-tasks of the split, or all of them (a slice past the end keeps the whole split)."""
    return [f"run.eval_every={args.eval_every}", f"run.eval_tasks={args.heldout_tasks or 10**6}"]


# ---------------------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------------------
def warm_start(setting: Setting, args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(SFT config, model, tokenizer): trained once, then loaded from --out/sft while its settings are unchanged."""
    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.model_setup import load_pretrained
    from agentgym.trainers.config import load_config
    from agentgym.trainers.run import train

    overrides = sft_overrides(setting, args)
    cfg = load_config(None, overrides)
    stamp_path = Path(args.out) / "sft" / "warm_start.json"
    # The stamp names the checkpoint it describes: the folder keeps older checkpoints, and after a retrain with
    # fewer --sft-steps the newest one on disk is a stale longer run, not this warm start.
    stamp = json.loads(stamp_path.read_text()) if stamp_path.is_file() else {}
    stamp = stamp if isinstance(stamp, dict) else {}  # an older stamp (a bare list of overrides): retrain once
    ckpt = Path(stamp["checkpoint"]) if "checkpoint" in stamp else None
    if not args.fresh_sft and stamp.get("overrides") == overrides and ckpt and (ckpt / "model").is_dir():
        model, tokenizer = load_pretrained(str(ckpt / "model"))
        print(f"warm start: loaded {ckpt / 'model'} (cached; --fresh-sft retrains it)", flush=True)
        return cfg, model, tokenizer
    from agentgym.trainers.model_setup import build_model_and_tokenizer

    train_tasks, _ = env_tasks(cfg.env)
    model, tokenizer = build_model_and_tokenizer(cfg, train_tasks)
    result = train(cfg, model=model, tokenizer=tokenizer, overwrite=True)  # a retrain replaces the old warm start
    stamp_path.write_text(json.dumps({"overrides": overrides, "checkpoint": str(result.checkpoint)}))
    # Reload from disk so a fresh run and a cached one start from bit-identical weights.
    model, tokenizer = load_pretrained(str(result.checkpoint / "model"))
    return cfg, model, tokenizer


def run_all(setting: Setting, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.rollouts import eval_model as evaluate
    from agentgym.trainers.config import load_config
    from agentgym.trainers.run import train

    t_start = time.time()
    sft_cfg, model, tokenizer = warm_start(setting, args)
    _, heldout = env_tasks(sft_cfg.env)
    heldout = heldout[: args.heldout_tasks] if args.heldout_tasks else heldout
    warm = evaluate(sft_cfg, model, tokenizer, heldout)
    print(f"warm start: held-out success {warm['eval/success_rate']:.3f}, progress {warm['eval/mean_progress']:.3f}"
          f"  [{time.time() - t_start:.0f} s]", flush=True)

    runs: dict[str, list[dict[str, Any]]] = {}
    for method in args.methods:
        for seed in args.seeds:
            t0 = time.time()
            cfg = load_config(None, grpo_overrides(setting, args, method, seed))
            run = train(cfg, model=copy.deepcopy(model), tokenizer=tokenizer, on_step=_print_eval, overwrite=True)
            seconds = time.time() - t0
            ev = final_eval(run.metrics) or evaluate(cfg, run.model, tokenizer, heldout)
            bad = [m["step"] for m in run.metrics if not all(math.isfinite(v) for k, v in m.items() if
                                                              isinstance(v, float))]
            record = {
                "seed": seed, "seconds": seconds, "nonfinite_steps": bad,
                "curves": {name: [m[key] for m in run.metrics] for name, key in CURVES.items()},
                "credit_metrics": {k: statistics.mean(m[k] for m in run.metrics) for k in run.metrics[0]
                                   if k.startswith(("credit/", "reward/"))},
                "heldout_success": ev["eval/success_rate"], "heldout_progress": ev["eval/mean_progress"],
                "heldout_return": ev["eval/mean_reward"],
                "heldout_curve": heldout_curve(run.metrics, warm, ev),
            }
            runs.setdefault(method, []).append(record)
            c = record["curves"]["progress"]
            print(f"{method:>10} seed {seed}: train progress {c[0]:.3f} -> {c[-1]:.3f}; held-out progress "
                  f"{record['heldout_progress']:.3f}, success {record['heldout_success']:.3f}"
                  f"{'  NON-FINITE at steps ' + str(bad) if bad else ''}  [{seconds:.0f} s]", flush=True)
            del run
            torch.manual_seed(0)
    return {"args": vars(args), "argv": sys.argv[1:], "warm": warm, "runs": runs, "seconds": time.time() - t_start,
            "machine": _machine(), "sft_overrides": sft_overrides(setting, args),
            "grpo_overrides_example": grpo_overrides(setting, args, args.methods[0], 0)}


def step_env_steps(metrics: dict[str, Any]) -> int:
    """Env steps (turns) a GRPO step played in its training rollouts. rollout_metrics logs the mean turns and the
    number of episodes, not their sum; their product is the sum (rounded: the mean is a float)."""
    return round(metrics["rollout/mean_turns"] * metrics["rollout/episodes"])


def final_eval(history: list[dict[str, Any]]) -> dict[str, float] | None:
    """The eval/... metrics of the last step when the trainer evaluated there (run.eval_every divides the steps):
    the same greedy play of the same tasks with the same weights as a separate evaluation, so it is not repeated."""
    last = history[-1] if history else {}
    return {k: v for k, v in last.items() if k.startswith("eval/")} or None


def heldout_curve(history: list[dict[str, Any]], warm: dict[str, float], final: dict[str, float]
                  ) -> list[dict[str, float]]:
    """Held-out success and progress against training env steps: step 0 (the shared warm start, 0 env steps), every
    step the trainer evaluated at, and the end (from `final` when the trainer did not evaluate there). Env steps count
    the turns of training rollouts only; evaluations play no training turns."""
    def point(step: int, env_steps: int, ev: dict[str, float]) -> dict[str, float]:
        return {"step": step, "env_steps": env_steps, "success": ev["eval/success_rate"],
                "progress": ev["eval/mean_progress"]}

    points, env_steps = [point(0, 0, warm)], 0
    for m in history:
        env_steps += step_env_steps(m)
        if "eval/success_rate" in m:
            points.append(point(m["step"], env_steps, m))
    if points[-1]["step"] != len(history):
        points.append(point(len(history), env_steps, final))
    return points


def _print_eval(step: int, metrics: dict[str, float]) -> None:
    """on_step callback: show each in-run held-out evaluation as it happens (a long run is otherwise silent)."""
    if "eval/success_rate" in metrics:
        print(f"    step {step}: held-out success {metrics['eval/success_rate']:.3f}", flush=True)


def _machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} on CPU with torch.set_num_threads(1), "
            f"Python {platform.python_version()}")


# ---------------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------------
def _mean_sd(xs: list[float], digits: int = 3) -> str:
    if len(xs) == 1:
        return f"{xs[0]:.{digits}f}"
    return f"{statistics.mean(xs):.{digits}f} ± {statistics.stdev(xs):.{digits}f}"


def plot(setting: Setting, results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(setting.panels), figsize=(12, 4.6))
    colors = plt.get_cmap("tab10").colors
    for ax, (name, label) in zip(axes, setting.panels):
        for color, (method, runs) in zip(colors, results["runs"].items()):
            curves = [r["curves"][name] for r in runs]
            steps = list(range(1, len(curves[0]) + 1))
            mean = [statistics.mean(c[i] for c in curves) for i in range(len(steps))]
            # Dashed for gated: while no sampled episode passes its gate, its curve lies exactly on outcome's.
            ax.plot(steps, mean, color=color, lw=1.8, ls="--" if method == "gated" else "-", label=method)
            ax.fill_between(steps, [min(c[i] for c in curves) for i in range(len(steps))],
                            [max(c[i] for c in curves) for i in range(len(steps))], color=color, alpha=0.12, lw=0)
        ax.set_xlabel("GRPO step")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8, ncol=2)
    a = results["args"]
    fig.suptitle(f"Credit methods on {setting.env}: mean over seeds {a['seeds']}, shaded min-max "
                 f"({a['tasks_per_step']} tasks x {a['group_size']} samples per step)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def first_reaching(curve: list[dict[str, float]], target: float) -> dict[str, float] | None:
    """The first eval point whose held-out success is at least `target` (None: never). Successes are k/n for the
    same n, so the tolerance only absorbs float rounding, not a task."""
    return next((p for p in curve if p["success"] >= target - 1e-9), None)


def hits_of_outcome_final(results: dict[str, Any]) -> dict[str, list[dict[str, float] | None]]:
    """Per method, per seed: the first eval point at which held-out success reaches outcome credit's final held-out
    success of the same seed. The target is per seed because a seed fixes the task order and the sampling, which
    move the final number by more than the methods do."""
    targets = {r["seed"]: r["heldout_success"] for r in results["runs"]["outcome"]}
    return {m: [first_reaching(r["heldout_curve"], targets[r["seed"]]) for r in rs]
            for m, rs in results["runs"].items()}


def faster_than_outcome(hits: dict[str, list[dict[str, float] | None]]) -> dict[str, int]:
    """Per method, in how many seeds it reached the target in strictly fewer env steps than outcome credit did
    (outcome reaches its own final at the latest at the end; often earlier)."""
    return {m: sum(h is not None and h["env_steps"] < o["env_steps"] for h, o in zip(hs, hits["outcome"]))
            for m, hs in hits.items() if m != "outcome"}


def curve_table(results: dict[str, Any]) -> list[str]:
    """Markdown: held-out success at every eval point, per method mean ± std over seeds, with the env steps played
    by then (mean over seeds; methods differ because episodes end early once solved)."""
    runs = results["runs"]
    lines = ["| GRPO step | " + " | ".join(f"{m}: success (env steps)" for m in runs) + " |",
             "|---|" + "---|" * len(runs)]
    for i, step in enumerate(p["step"] for p in next(iter(runs.values()))[0]["heldout_curve"]):
        cells = []
        for rs in runs.values():
            pts = [r["heldout_curve"][i] for r in rs]
            cells.append(f"{_mean_sd([p['success'] for p in pts])} "
                         f"({statistics.mean(p['env_steps'] for p in pts):,.0f})")
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return lines


def hits_table(results: dict[str, Any]) -> list[str]:
    """Markdown: env steps (GRPO step) at which each method first reaches outcome's final held-out success, per
    seed, and a summary across seeds."""
    hits, runs = hits_of_outcome_final(results), results["runs"]
    seeds = results["args"]["seeds"]
    faster = faster_than_outcome(hits)
    lines = ["| method | " + " | ".join(f"seed {s}" for s in seeds) + " | reached | mean env steps (reached seeds) "
             "| fewer env steps than outcome |", "|---|" + "---|" * (len(seeds) + 3),
             "| target: outcome's final held-out success | " +
             " | ".join(f"{r['heldout_success']:.3f}" for r in runs["outcome"]) + " | | | |"]
    for method, hs in hits.items():
        reached = [h for h in hs if h is not None]
        cells = [f"{h['env_steps']:,} (step {h['step']})" if h else "never" for h in hs]
        mean = f"{statistics.mean(h['env_steps'] for h in reached):,.0f}" if reached else "-"
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {len(reached)}/{len(hs)} | {mean} | "
                     f"{'(reference)' if method == 'outcome' else f'{faster[method]}/{len(hs)} seeds'} |")
    return lines


def plot_heldout(results: dict[str, Any], path: Path) -> None:
    """Held-out success against training env steps: one panel per seed, with outcome's final as a dotted line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seeds = results["args"]["seeds"]
    fig, axes = plt.subplots(1, len(seeds), figsize=(4.4 * len(seeds), 4.2), sharey=True, squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for k, (ax, seed) in enumerate(zip(axes[0], seeds)):
        for color, (method, rs) in zip(colors, results["runs"].items()):
            curve = rs[k]["heldout_curve"]
            ax.plot([p["env_steps"] for p in curve], [p["success"] for p in curve], color=color, lw=1.5,
                    ls="--" if method == "gated" else "-", marker=".", ms=4, label=method)
        ax.axhline(results["runs"]["outcome"][k]["heldout_success"], color="black", ls=":", lw=1,
                   label="outcome's final")
        ax.set_title(f"seed {seed}", fontsize=10)
        ax.set_xlabel("env steps played in training rollouts")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("held-out success (greedy)")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Held-out success vs env steps ({len(results['runs']['outcome'][0]['heldout_curve']) - 1} "
                 "eval points after the warm start)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sample_efficiency_section(setting: Setting, results: dict[str, Any], docs: Path) -> list[str]:
    """The report's held-out-success-vs-env-steps part (empty for results recorded before it existed)."""
    runs = results["runs"]
    if "outcome" not in runs or not all("heldout_curve" in r for rs in runs.values() for r in rs):
        return []
    plot_heldout(results, docs / f"{setting.page}_heldout.png")
    faster = faster_than_outcome(hits_of_outcome_final(results))
    every_seed = [m for m, n in faster.items() if n == len(results["args"]["seeds"])]
    warm = results["warm"]["eval/success_rate"]
    flat = [r["seed"] for r in runs["outcome"] if r["heldout_success"] <= warm + 1e-9]
    return [
        "## Held-out success against env steps", "",
        "Greedy held-out success at the warm start (step 0, 0 env steps), every "
        f"{results['args']['eval_every']} GRPO step(s) (the trainer's run.eval_every) and at the end. Env steps = "
        "turns played in training rollouts so far (rollout/mean_turns x rollout/episodes per step, summed); "
        "evaluations are not counted. Mean ± sample std over seeds; env steps in brackets, mean over seeds.", "",
        *curve_table(results), "",
        "## Env steps to reach outcome credit's final held-out success", "",
        "Per seed, the first eval point at which a method's held-out success is at least outcome credit's final "
        "held-out success for that seed: env steps (GRPO step), or never. Outcome's own row is when it first got "
        "there. Resolution is one eval point.", "",
        *hits_table(results), "",
        "Methods that got there in fewer env steps than outcome on every seed: "
        f"{', '.join(every_seed) if every_seed else 'none'}." +
        (f" Outcome's final held-out success is not above the warm start for seed(s) {flat}: there, every method "
         "'reaches' it at step 0 and the comparison says nothing." if flat else ""), "",
        f"![held-out success vs env steps]({setting.page}_heldout.png)", ""]


def write_report(setting: Setting, results: dict[str, Any], docs: Path) -> str:
    docs.mkdir(parents=True, exist_ok=True)
    plot(setting, results, docs / f"{setting.page}.png")
    a, warm, runs = results["args"], results["warm"], results["runs"]
    argv = " ".join(results["argv"])
    command = f"python benchmarks/credit_comparison.py{' ' + argv if argv else ''}"
    lines = [
        f"# Credit assignment comparison: {setting.env}", "",
        f"Command: `{command}` ({results['seconds'] / 60:.1f} min wall time, one process).  ",
        f"Machine: {results['machine']}.", "",
        "## Setup", "",
        *setting.setup(a, setting.methods), "",
        f"Warm start on held-out: success {warm['eval/success_rate']:.3f}, progress "
        f"{warm['eval/mean_progress']:.3f}, return {warm['eval/mean_reward']:.2f}.", "",
        "## Summary (mean ± sample std over seeds)", "",
        "| method | train progress, step 1 | train progress, last 5 steps | train success, last 5 steps |"
        " held-out success | held-out progress | held-out return | wall s / run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method, rs in runs.items():
        def tail(name: str) -> list[float]:
            return [statistics.mean(r["curves"][name][-5:]) for r in rs]
        lines.append(
            f"| {method} | {_mean_sd([r['curves']['progress'][0] for r in rs])} | {_mean_sd(tail('progress'))} | "
            f"{_mean_sd(tail('success'))} | {_mean_sd([r['heldout_success'] for r in rs])} | "
            f"{_mean_sd([r['heldout_progress'] for r in rs])} | {_mean_sd([r['heldout_return'] for r in rs], 2)} | "
            f"{statistics.mean(r['seconds'] for r in rs):.0f} |")
    lines += ["", "## Per seed (held-out success / progress / return after training)", "",
              "| method | " + " | ".join(f"seed {s}" for s in a["seeds"]) + " |",
              "|---|" + "---|" * len(a["seeds"])]
    for method, rs in runs.items():
        lines.append(f"| {method} | " + " | ".join(
            f"{r['heldout_success']:.3f} / {r['heldout_progress']:.3f} / {r['heldout_return']:.2f}" for r in rs) + " |")
    nonfinite = {m: [(r["seed"], r["nonfinite_steps"]) for r in rs if r["nonfinite_steps"]] for m, rs in runs.items()}
    nonfinite = {m: v for m, v in nonfinite.items() if v}
    lines += ["", "Non-finite metrics: " + (json.dumps(nonfinite) if nonfinite else "none in any run") + ".", "",
              "## Credit diagnostics (mean over steps and seeds)", "", "| method | metric | value |", "|---|---|---|"]
    for method, rs in runs.items():
        for key in rs[0]["credit_metrics"]:
            lines.append(f"| {method} | `{key}` | {statistics.mean(r['credit_metrics'][key] for r in rs):.3f} |")
    lines += ["", "## Learning curves", "", f"![learning curves]({setting.page}.png)", "",
              "Training batch mean per step (mean over seeds, shaded min-max over seeds).", ""]
    lines += sample_efficiency_section(setting, results, docs)
    page = docs / f"{setting.page}.md"
    old = page.read_text() if page.is_file() else ""
    if FINDINGS in old:  # written by hand after looking at a run; kept when the tables are regenerated
        lines += [old[old.index(FINDINGS):].rstrip(), ""]
    text = "\n".join(lines)
    page.write_text(text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setting", choices=list(SETTINGS), default="twenty_questions",
                    help="which env to compare on (default: twenty_questions); it sets the defaults below")
    ap.add_argument("--methods", nargs="+", default=None,
                    help="credit methods (default: every one the setting supports)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=None, help="GRPO steps per run (25 / 15)")
    ap.add_argument("--tasks-per-step", type=int, default=None, help="(8 / 8)")
    ap.add_argument("--group-size", type=int, default=None, help="(4 / 8)")
    ap.add_argument("--lr", type=float, default=None, help="GRPO learning rate, the same for every method "
                                                           "(1e-3 / 2e-4)")
    ap.add_argument("--max-turns", type=int, default=None,
                    help="turn budget (5 / 8); for twenty_questions 5 keeps the run inside ~20 min")
    ap.add_argument("--sft-steps", type=int, default=None, help="warm-start SFT steps (60 / 350)")
    ap.add_argument("--fresh-sft", action="store_true", help="retrain the cached warm start")
    ap.add_argument("--heldout-tasks", type=int, default=0, help="first N held-out tasks (0: all)")
    ap.add_argument("--eval-every", type=int, default=None,
                    help="held-out evaluation every N GRPO steps during training, besides the warm start and the "
                         "end (0: only those two) (5 / 1)")
    ap.add_argument("--out", default=None, help="run folder (default: runs/<report page name>)")
    ap.add_argument("--docs", default="docs/benchmarks")
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from --out/results.json")
    args = ap.parse_args()
    setting = SETTINGS[args.setting]()
    for key, value in setting.defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.methods = args.methods or list(setting.methods)
    unknown = [m for m in args.methods if m not in setting.methods]
    if unknown:
        ap.error(f"--methods {unknown} not available in setting {args.setting!r}; choose from {list(setting.methods)}")
    args.out = args.out or str(Path("runs") / setting.page)

    import torch

    torch.set_num_threads(1)  # one process on a shared 2-core machine; also keeps timings comparable
    results_path = Path(args.out) / "results.json"
    if args.report_only:
        results = json.loads(results_path.read_text())
    else:
        results = run_all(setting, args)
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=1))
    print(write_report(setting, results, Path(args.docs)))


if __name__ == "__main__":
    main()
