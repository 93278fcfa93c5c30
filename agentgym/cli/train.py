"""`agentgym train CONFIG.toml [--set key=value ...] [--resume]`: run a TOML recipe from configs/."""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train an agent from a TOML recipe (GRPO, RLOO, PPO, SFT)",
        description="Train an agent from a TOML recipe (see configs/). Metrics go to RUN_DIR/metrics.jsonl and "
                    "TensorBoard (RUN_DIR/tb); checkpoints to RUN_DIR/checkpoints/step_N.",
        epilog="example: agentgym train configs/tiny_grpo.toml --set algo.lr=1e-4 --set run.steps=50")
    p.add_argument("config", help="TOML recipe, e.g. configs/tiny_grpo.toml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting with a dotted key (repeatable): --set algo.lr=1e-4")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest intact checkpoint in run.out_dir (same data order and optimizer\n"
                        "state); refuses another algorithm, model, seed or env than the run's")
    p.add_argument("--overwrite", action="store_true",
                   help="delete the run already in run.out_dir and start afresh")
    p.add_argument("--allow-config-change", action="store_true",
                   help="with --resume: continue although the algorithm, model, seed or env changed (lists what did)")
    p.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation at the end")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from agentgym.trainers.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as e:
        print(f"agentgym train: error: {e}", file=sys.stderr)
        return 2
    from agentgym.trainers.rollouts import eval_model
    from agentgym.trainers.run import train

    from agentgym.trainers.run import TrainingInterrupted

    t0 = time.time()
    try:
        result = train(cfg, resume=args.resume, overwrite=args.overwrite,
                       allow_config_change=args.allow_config_change)
    except ConfigError as e:
        print(f"agentgym train: error: {e}", file=sys.stderr)
        return 2
    except TrainingInterrupted as e:
        print(f"agentgym train: {e}; continue with: agentgym train {args.config} ... --resume", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("agentgym train: stopped at once (second interrupt); nothing was saved after the last checkpoint "
              "(ls run.out_dir/checkpoints)", file=sys.stderr)
        return 130
    last = result.metrics[-1] if result.metrics else {}
    shown = {k: v for k, v in last.items() if k.startswith(("rollout/success", "loss/policy", "loss/sft"))}
    ran = result.steps_run
    span = (f" (steps {result.start_step + 1}-{cfg.run.steps} of {cfg.run.steps}, resumed from step "
            f"{result.start_step})" if result.start_step else "")
    print(f"trained {cfg.algo.name} for {ran} step{'s' if ran != 1 else ''}{span} in {time.time() - t0:.1f} s; "
          "last step: " + ", ".join(f"{k}={v:.4g}" for k, v in shown.items()))
    if not args.no_eval:
        from agentgym.trainers.data_order import env_tasks

        _, heldout = env_tasks(cfg.env)
        ev = eval_model(cfg, result.model, result.tokenizer, heldout[: cfg.run.eval_tasks], vision=result.vision)
        print(f"held-out success: {ev['eval/success_rate']:.3f} on {min(len(heldout), cfg.run.eval_tasks)} tasks")
    print(f"run dir: {result.run_dir} (metrics.jsonl, tb/, checkpoints/: latest {result.checkpoint})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentgym")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
