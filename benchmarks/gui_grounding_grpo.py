"""GRPO on GUIGrounding-v0 with the tiny Qwen2-VL through `agentgym train`'s entry point: GUI-G2's Gaussian reward
vs point-in-box (ScreenSpot's metric) as the reward.

    .venv/bin/python benchmarks/gui_grounding_grpo.py                       # the recorded run (docs/benchmarks/gui.md)
    .venv/bin/python benchmarks/gui_grounding_grpo.py --sft-steps 20 --steps 2 --eval-tasks 8 --no-record  # a smoke run

What runs is the library's trainer (agentgym.trainers.run.train) on the two recipes, loaded with load_config exactly
as `agentgym train` loads them:

1. configs/gui_grounding_sft.toml: model.name = "tiny-vl" (seeded by run.seed), SFT on the oracle's click(x, y)
   answers. A random tiny model never writes a parseable answer, so neither reward would give GRPO a signal.
2. configs/gui_grounding_grpo.toml twice from that SFT run, with the same seed (so the same task order and sampling
   streams): env.kwargs.reward = "gui_g2" (the recipe's) and env.kwargs.reward = "point_in_box" (the other arm is
   the same recipe with that one --set).
3. Held-out success (point-in-box, greedy, the first --eval-tasks held-out tasks) of the random model, the SFT model
   and each arm's final model, with the parseable-answer rate (1 - invalid-action rate), through the trainer's own
   evaluation (trainers.rollouts.eval_model: agentgym.evaluation.evaluate).

--set KEY=VALUE overrides go to every stage (e.g. --set env.num_train_tasks=100). Results go to
docs/benchmarks/gui_grpo.json (the table in docs/benchmarks/gui.md is written by hand from it).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "benchmarks" / "gui_grpo.json"
SFT_RECIPE = REPO / "configs" / "gui_grounding_sft.toml"
GRPO_RECIPE = REPO / "configs" / "gui_grounding_grpo.toml"
ARMS = ("gui_g2", "point_in_box")
STEP_KEYS = ("rollout/mean_reward", "rollout/success_rate", "rollout/invalid_action_rate",
             "reward/groups_with_signal", "reward/advantage_abs_mean", "loss/policy", "perf/step_s")


def heldout(cfg: Any, parts: Any, n: int) -> dict[str, float]:
    """Greedy point-in-box success on the first n held-out tasks (the env's success is the point-in-box hit whatever
    its reward arg), with its 95% Wilson interval and the parseable-answer rate."""
    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.rollouts import eval_model

    _, tasks = env_tasks(cfg.env)
    m = eval_model(cfg, parts.model, parts.tokenizer, tasks[:n], seed=cfg.run.seed, vision=parts.vision)
    return {"success": m["eval/success_rate"], "success_ci": [m["eval/success_rate_ci_low"],
                                                              m["eval/success_rate_ci_high"]],
            "parseable": 1.0 - m["eval/invalid_action_rate"], "mean_reward": m["eval/mean_reward"],
            "episodes": m["eval/episodes"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sft-steps", type=int, default=None, help="SFT steps (default: the recipe's)")
    ap.add_argument("--steps", type=int, default=None, help="GRPO steps per arm (default: the recipe's)")
    ap.add_argument("--eval-tasks", type=int, default=40, help="held-out tasks per evaluation (40)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/bench_gui_grounding", help="run folders of every stage")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="an override for every stage (repeatable)")
    ap.add_argument("--no-record", action="store_true", help=f"do not write {OUT.relative_to(REPO)}")
    args = ap.parse_args()

    import torch

    from agentgym.trainers.config import load_config
    from agentgym.trainers.data_order import env_tasks
    from agentgym.trainers.model_setup import ModelParts, build_model
    from agentgym.trainers.run import train

    t0 = time.time()
    out = Path(args.out)
    common = [f"run.seed={args.seed}", "run.progress_bar=false", *args.overrides]
    result: dict[str, Any] = {"settings": {**vars(args), "torch_threads": torch.get_num_threads(),
                                           "machine": f"{platform.machine()}, {platform.processor() or '?'}"}}

    # SFT ------------------------------------------------------------------------------------------------------------
    sft_over = common + [f'run.out_dir="{out / "sft"}"'] + ([f"run.steps={args.sft_steps}"] if args.sft_steps else [])
    sft_cfg = load_config(SFT_RECIPE, sft_over)
    t = time.time()
    random_model = build_model(sft_cfg, env_tasks(sft_cfg.env)[0])
    result["random_model"] = heldout(sft_cfg, random_model, args.eval_tasks)
    result["random_model"]["seconds"] = time.time() - t
    print("random tiny-vl:", result["random_model"], flush=True)
    del random_model
    t = time.time()
    sft = train(sft_cfg, overwrite=True)
    sft_s = time.time() - t
    result["sft"] = {"steps": sft_cfg.run.steps, "seconds": sft_s, "final_loss": sft.metrics[-1]["loss/sft"],
                     "final_token_accuracy": sft.metrics[-1]["loss/token_accuracy"],
                     "heldout": heldout(sft_cfg, ModelParts(sft.model, sft.tokenizer, sft.vision), args.eval_tasks)}
    print("after SFT:", result["sft"], flush=True)

    # GRPO, one arm per reward ------------------------------------------------------------------------------------------
    result["arms"] = []
    for reward in ARMS:
        over = common + [f'model.name="{out / "sft"}"', f'env.kwargs.reward="{reward}"',
                         f'run.out_dir="{out / ("grpo_" + reward)}"'] + (
            [f"run.steps={args.steps}"] if args.steps else [])
        cfg = load_config(GRPO_RECIPE, over)
        t = time.time()
        rl = train(cfg, overwrite=True)
        seconds = time.time() - t
        arm = {"reward": reward, "steps": cfg.run.steps, "seconds": seconds,
               "per_step": [{"step": m["step"], **{k: m.get(k) for k in STEP_KEYS}} for m in rl.metrics],
               "heldout_before": result["sft"]["heldout"],
               "heldout_after": heldout(sft_cfg, ModelParts(rl.model, rl.tokenizer, rl.vision), args.eval_tasks)}
        result["arms"].append(arm)
        print(reward, "held-out after GRPO:", arm["heldout_after"], f"({seconds:.0f} s)", flush=True)

    result["seconds"] = time.time() - t0
    if not args.no_record:
        OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\n{'arm':14s} {'before':>8s} {'after':>8s} {'parseable before -> after':>27s}")
    for a in result["arms"]:
        b, f = a["heldout_before"], a["heldout_after"]
        print(f"{a['reward']:14s} {b['success']:8.1%} {f['success']:8.1%} {b['parseable']:13.1%} -> "
              f"{f['parseable']:.1%}")
    print(f"total {result['seconds']:.0f} s" + ("" if args.no_record else f"; written to {OUT}"))


if __name__ == "__main__":
    main()
