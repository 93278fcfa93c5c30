"""`agentgym demo`: train a tiny model on the default env on CPU and show held-out success before and after."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo", help="train a tiny model on CPU (SFT then GRPO) and show held-out success before/after",
        description="Build a tiny model (~130k parameters) and tokenizer locally, measure its greedy success on the "
                    "60 held-out easy quests of agentgym/TextAdventure-v0 (listed actions, quest repeated), train "
                    "it (SFT on oracle demonstrations, then GRPO), and measure again after each stage, with 95% "
                    "Wilson confidence intervals. About 3-4 minutes on 2 CPU cores (more on a busy machine); no "
                    "download. Writes the evaluations (metrics.json, trajectories.jsonl, report.html), training "
                    "metrics (metrics.jsonl, TensorBoard) and checkpoints to one run folder.")
    p.add_argument("--out", default=None, help="run folder (default: ./runs/demo-<date>-<time>)")
    p.add_argument("--seed", type=int, default=0, help="seed of the model, data order and sampling (default: 0)")
    p.add_argument("--sft-steps", type=int, default=None, help="SFT steps (default: the demo's tuned value, 350)")
    p.add_argument("--rl-steps", type=int, default=None, help="GRPO steps (default: the demo's tuned value, 15)")
    p.add_argument("--heldout-tasks", type=int, default=None,
                   help="held-out tasks to measure on (default: all 60 easy ones; more cycle through them)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: 1, or $AGENTGYM_DEMO_THREADS; the tiny model gains nothing from "
                        "more, and they compete with anything else on the machine)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from agentgym.trainers.demo import run_demo

    kw = {k: v for k, v in (("sft_steps", args.sft_steps), ("rl_steps", args.rl_steps),
                            ("heldout_tasks", args.heldout_tasks), ("threads", args.threads)) if v is not None}
    for k, v in kw.items():
        if v < 1:
            print(f"agentgym demo: error: --{k.replace('_', '-')} must be >= 1, got {v}", file=sys.stderr)
            return 2
    r = run_demo(args.out, seed=args.seed, **kw)
    print()
    print(f"held-out success on {r.heldout_tasks} easy quests (greedy, 95% Wilson CI):")
    print(f"  before training  {r.before.line()}")
    print(f"  after SFT        {r.after_sft.line()}")
    print(f"  after GRPO       {r.after_rl.line()}")
    print(f"  {r.rl_verdict}")
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in r.stage_seconds.items())
    print(f"time: {r.seconds:.0f} s ({stages}; {r.threads} torch thread{'s' if r.threads > 1 else ''}, "
          f"{r.cpu_kernels} kernels)")
    print(f"run folder: {r.run_dir}")
    print("  eval_before/ eval_sft/ eval_rl/  metrics.json, trajectories.jsonl, report.html")
    print("  sft/ grpo/                       metrics.jsonl, tb/, checkpoints/step_N/model")
    print("  summary.json                     these numbers")
    print(f"see a report: {r.after_rl.out_dir / 'report.html'}   curves: tensorboard --logdir {r.run_dir}")
    if r.eval_command:
        # Print the command as this one was invoked (e.g. .venv/bin/agentgym), so it pastes as is.
        prog = sys.argv[0] if os.path.basename(sys.argv[0]) == "agentgym" else "agentgym"
        print(f"evaluate the trained model again:\n  {prog}{r.eval_command.removeprefix('agentgym')}")
    return 0
