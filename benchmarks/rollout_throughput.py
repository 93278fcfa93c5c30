"""Rollout engine throughput with a scripted policy (the oracle) on the default env: episodes/s and turns/s.

    .venv/bin/python benchmarks/rollout_throughput.py [--episodes 400] [--level easy] [--executors inline thread process]

The policy costs nothing here, so this measures the engine and the env: the batching loop, env steps on their runners
(inline, a thread per env, a worker process per env), trajectory bookkeeping. Each executor's runner pool is built
before the clock starts and reused for --repeats timed rollouts (as a training run reuses it), so the figures are
steady-state throughput; runner start-up is reported apart. Results go to stdout as a markdown table.
"""

from __future__ import annotations

import argparse
import time

from agentgym.evaluation import select_tasks
from agentgym.policies.scripted import OraclePolicy, RandomPolicy
from agentgym.rollout import rollout
from agentgym.runners import RunnerPool

ENV = "agentgym/TextAdventure-v0"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=400)
    p.add_argument("--level", default="easy", choices=["easy", "medium", "hard"])
    p.add_argument("--executors", nargs="+", default=["inline", "thread", "process"],
                   choices=["inline", "thread", "process"], help="runner kinds to measure")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="timed rollouts per executor (the best is reported)")
    p.add_argument("--policy", default="oracle", choices=["oracle", "random"])
    args = p.parse_args()

    tasks = select_tasks(ENV, "train", args.episodes, {"level": args.level})
    print("| policy | level | executor | batch | episodes | turns | start-up s | seconds | episodes/s | turns/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for executor in args.executors:
        with RunnerPool(ENV, kind=executor, env_kwargs={"level": args.level}) as pool:
            t0 = time.perf_counter()
            for runner in pool.acquire(args.batch_size):  # start every runner the rollout will hold
                pool.release(runner)
            startup = time.perf_counter() - t0
            best = float("inf")
            for _ in range(args.repeats):
                policy = OraclePolicy() if args.policy == "oracle" else RandomPolicy(seed=0)
                t0 = time.perf_counter()
                trajs = rollout(pool, policy, tasks, batch_size=args.batch_size)
                best = min(best, time.perf_counter() - t0)
        turns = sum(t.num_turns for t in trajs)
        print(f"| {args.policy} | {args.level} | {executor} | {args.batch_size} | {len(trajs)} | {turns} | "
              f"{startup:.2f} | {best:.2f} | {len(trajs) / best:,.0f} | {turns / best:,.0f} |")


if __name__ == "__main__":
    main()
