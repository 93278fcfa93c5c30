"""Speed and success of agentgym/SWESandbox-v0 on one backend; results go in docs/benchmarks/swe.md.

    .venv/bin/python benchmarks/swe_speed.py --backend local              # speed: reset, command round trip, grading
    .venv/bin/python benchmarks/swe_speed.py --backend docker --oracle --random   # + oracle and random on every
                                                                                    held-out task (minutes)

Round trip: the median wall time of env.step() on `{"tool": "bash", "command": "true"}` (parse, run in the sandbox,
the working-tree fingerprint), and of the sandbox's bare `shell("true")`. Grading: the submit step (a fresh sandbox,
apply patches, run the test files). Reset: env.reset() (a fresh sandbox from the cached workspace).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentgym.envs.swe.env import SWESandboxEnv  # noqa: E402
from tests.envs.test_swe import random_action  # noqa: E402


def speed(env: SWESandboxEnv, tasks, n_steps: int) -> dict:
    resets, steps, bare, gradings = [], [], [], []
    for task in tasks:
        t = time.perf_counter()
        env.reset(options={"task": task})
        resets.append(time.perf_counter() - t)
        for _ in range(n_steps):
            t = time.perf_counter()
            env.step('{"tool": "bash", "command": "true"}')
            steps.append(time.perf_counter() - t)
            bare.append(env.sandbox.shell("true").seconds)
        while True:
            a = env.oracle_action()
            t = time.perf_counter()
            _, _, term, trunc, info = env.step(a)
            if term or trunc:
                gradings.append(time.perf_counter() - t)
                break
    return {"reset_s": statistics.median(resets), "step_roundtrip_s": statistics.median(steps),
            "sandbox_roundtrip_s": statistics.median(bare), "grading_s": statistics.median(gradings),
            "steps_per_s": 1.0 / statistics.median(steps), "tasks": len(tasks)}


def success(env: SWESandboxEnv, tasks, choose) -> dict:
    ok, t0 = 0, time.perf_counter()
    for task in tasks:
        env.reset(options={"task": task})
        while True:
            _, _, term, trunc, info = env.step(choose(env))
            if term or trunc:
                break
        ok += bool(info["success"])
    return {"resolved": ok, "tasks": len(tasks), "rate": ok / len(tasks), "seconds": time.perf_counter() - t0}


def concurrent(backend: str, tasks, workers: int) -> dict:
    """Oracle episodes on `workers` envs at once (threads; the sandboxes are processes or containers): episodes per
    minute and the median episode time, to see how many episodes this machine runs at once usefully."""
    from concurrent.futures import ThreadPoolExecutor

    def one(task):
        env = SWESandboxEnv(backend=backend)
        try:
            t = time.perf_counter()
            env.reset(options={"task": task})
            while True:
                _, _, term, trunc, info = env.step(env.oracle_action())
                if term or trunc:
                    return time.perf_counter() - t, bool(info["success"])
        finally:
            env.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, tasks))
    wall = time.perf_counter() - t0
    return {"workers": workers, "episodes": len(tasks), "episodes_per_min": 60 * len(tasks) / wall,
            "median_episode_s": statistics.median(r[0] for r in results), "resolved": sum(r[1] for r in results)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["local", "docker"], default="local")
    p.add_argument("--speed-tasks", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--oracle", action="store_true")
    p.add_argument("--random", action="store_true")
    p.add_argument("--random-turns", type=int, default=10)
    p.add_argument("--concurrency", default="", help="e.g. 1,2,4: oracle episodes on that many envs at once")
    args = p.parse_args()
    env = SWESandboxEnv(backend=args.backend)
    out: dict = {"backend": args.backend}
    try:
        out["speed"] = speed(env, env.suite.split("heldout")[: args.speed_tasks], args.steps)
        print(json.dumps(out["speed"]), flush=True)
        for split in ("heldout", "heldout_repos"):
            tasks = env.suite.split(split)
            if args.oracle:
                out[f"oracle/{split}"] = success(env, tasks, lambda e: e.oracle_action())
                print(split, "oracle", json.dumps(out[f"oracle/{split}"]), flush=True)
            if args.random:
                rng = random.Random(0)
                env.max_turns = args.random_turns
                out[f"random/{split}"] = success(env, tasks, lambda e: random_action(rng, e))
                env.max_turns = env.default_max_turns
                print(split, "random", json.dumps(out[f"random/{split}"]), flush=True)
    finally:
        env.close()
    for k in [int(x) for x in args.concurrency.split(",") if x]:
        tasks = (env.suite.split("heldout_repos") * 4)[: 4 * k]
        out[f"concurrency/{k}"] = concurrent(args.backend, tasks, k)
        print(json.dumps(out[f"concurrency/{k}"]), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
