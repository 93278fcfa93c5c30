"""Rollout engine throughput with a scripted policy (the oracle) on the default env: episodes/s and turns/s.

    .venv/bin/python benchmarks/rollout_throughput.py [--episodes 400] [--level easy] [--workers 0 8]

The policy costs nothing here, so this measures the engine and the env: the batching loop, env steps (inline or on a
thread pool), trajectory bookkeeping. Results go to stdout as a markdown table.
"""

from __future__ import annotations

import argparse
import time

from agentgym.evaluation import select_tasks
from agentgym.policies.scripted import OraclePolicy, RandomPolicy
from agentgym.rollout import rollout

ENV = "agentgym/TextAdventure-v0"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=400)
    p.add_argument("--level", default="easy", choices=["easy", "medium", "hard"])
    p.add_argument("--workers", type=int, nargs="+", default=[0, 8], help="env step threads (0 = inline)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--policy", default="oracle", choices=["oracle", "random"])
    args = p.parse_args()

    tasks = select_tasks(ENV, "train", args.episodes, {"level": args.level})
    print("| policy | level | workers | batch | episodes | turns | seconds | episodes/s | turns/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        policy = OraclePolicy() if args.policy == "oracle" else RandomPolicy(seed=0)
        t0 = time.perf_counter()
        trajs = rollout(ENV, policy, tasks, batch_size=args.batch_size, num_env_workers=workers,
                        env_kwargs={"level": args.level})
        dt = time.perf_counter() - t0
        turns = sum(t.num_turns for t in trajs)
        print(f"| {args.policy} | {args.level} | {workers} | {args.batch_size} | {len(trajs)} | {turns} | {dt:.2f} | "
              f"{len(trajs) / dt:.0f} | {turns / dt:.0f} |")


if __name__ == "__main__":
    main()
