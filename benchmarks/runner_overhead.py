"""What an env runner costs per step on top of the env itself: inline vs thread vs process runners.

    python benchmarks/runner_overhead.py                          # 1, 8, 32 runners x 1000 steps each, every kind
    python benchmarks/runner_overhead.py --runners 64 --steps 1000 --kinds process
    python benchmarks/runner_overhead.py --spawn                  # also time worker start-up with "spawn"

N runners of agentgym/TextAdventure-v0 each take K steps of a fixed admissible action ("look"; the turn limit is
raised so no episode ends) in the rollout engine's batched loop: submit a step to every runner, wait for all, take
the results. "overhead" is ms per step minus inline's at the same N: the cost of getting a step to its executor and
its result back (pickling, pipes, waking a thread or process). On a machine with fewer cores than runners, process
runners share the cores with the parent; with more cores, env time itself spreads out and a process runner can beat
inline.

Also prints worker start-up: seconds to acquire N fresh process runners (start every worker, wait for all to build
their env), per worker, for the start method in use ("forkserver", see agentgym/runners.py) and, with --spawn,
for "spawn", which is what forkserver saves.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

ENV_ID = "agentgym/TextAdventure-v0"
ACTION = "look"


def measure(kind: str, n: int, steps: int) -> float:
    """Seconds per step (wall clock / (n * steps)) for n runners of `kind` in the batched loop."""
    from agentgym.runners import RunnerPool, env_reset, env_step, wait

    with RunnerPool(ENV_ID, kind=kind, env_kwargs={"max_turns": steps + 10}) as pool:
        runners = pool.acquire(n)
        for i, r in enumerate(runners):
            r.submit(env_reset, i, None)
        wait(runners)
        for r in runners:
            obs, info = r.result()
            assert ACTION in info["admissible_actions"], info["admissible_actions"]
        t0 = time.perf_counter()
        for _ in range(steps):
            for r in runners:
                r.submit(env_step, ACTION)
            wait(runners)
            for r in runners:
                r.result()
        elapsed = time.perf_counter() - t0
    return elapsed / (n * steps)


def startup(n: int, method: str | None) -> float:
    """Seconds per worker to start n process runners at once (each builds its env), with the given start method."""
    import agentgym.runners as runners_mod

    saved = runners_mod._CONTEXT
    if method is not None:
        runners_mod._CONTEXT = multiprocessing.get_context(method)
    try:
        pool = runners_mod.RunnerPool(ENV_ID, kind="process")
        t0 = time.perf_counter()
        pool.acquire(n)
        elapsed = time.perf_counter() - t0
        pool.close()
    finally:
        runners_mod._CONTEXT = saved
    return elapsed / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runners", type=int, nargs="+", default=[1, 8, 32], help="batch sizes (default: 1 8 32)")
    ap.add_argument("--steps", type=int, default=1000, help="steps per runner (default: 1000)")
    ap.add_argument("--kinds", nargs="+", default=["inline", "thread", "process"],
                    choices=["inline", "thread", "process"])
    ap.add_argument("--spawn", action="store_true", help="also time worker start-up with the 'spawn' method")
    args = ap.parse_args()

    import agentgym  # noqa: F401 (registers the built-in envs)
    from agentgym.runners import process_start_method

    print(f"{os.cpu_count()} CPUs; {ENV_ID}, action {ACTION!r}, {args.steps} steps per runner\n")
    print("| kind | runners | steps/s | ms per step | overhead ms per step vs inline |")
    print("|---|---:|---:|---:|---:|")
    for n in args.runners:
        base = measure("inline", n, args.steps) if "inline" in args.kinds else None
        for kind in args.kinds:
            per_step = base if kind == "inline" else measure(kind, n, args.steps)
            overhead = "" if base is None else f"{1e3 * (per_step - base):+.3f}"
            print(f"| {kind} | {n} | {1 / per_step:,.0f} | {1e3 * per_step:.3f} | {overhead} |", flush=True)

    if "process" in args.kinds:
        startup(1, None)  # the first acquire starts the fork server itself: keep that out of the per-worker figure
        methods = [None] + (["spawn"] if args.spawn else [])
        print("\n| start method | workers | start-up s per worker |")
        print("|---|---:|---:|")
        for method in methods:
            for n in (1, 8):
                name = method or process_start_method()
                print(f"| {name} | {n} | {startup(n, method):.3f} |", flush=True)


if __name__ == "__main__":
    main()
