"""NetHack/MiniHack figures: oracle and random success per held-out suite, raw NLE steps/s vs steps/s with the language
layer, seconds per reset, and the scripted explorer's BALROG progression on NetHack-v0.

    .venv/bin/python benchmarks/nethack_speed.py                      # everything (several minutes on 2 cores)
    .venv/bin/python benchmarks/nethack_speed.py --tasks Room Lava --heldout 20 --nethack 0
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import warnings

warnings.filterwarnings("ignore")

from agentgym.envs.nethack.env import KEYS, MiniHackEnv, NetHackEnv  # noqa: E402
from agentgym.envs.nethack.tasks import MINIHACK_TASKS  # noqa: E402


def success(env, tasks, choose) -> tuple[float, int]:
    wins, turns = 0, 0
    for t in tasks:
        _, info = env.reset(seed=0, options={"task": t})
        while True:
            _, _, term, trunc, info = env.step(choose(env, info))
            turns += 1
            if term or trunc:
                break
        wins += bool(info["success"])
    return wins / len(tasks), turns


def speed(task: str, n: int = 2000) -> dict:
    env = MiniHackEnv(task=task)
    t = env.suite.split("heldout")[0]
    env.reset(seed=0, options={"task": t})
    u, moves = env._u, [ord(c) for c in "hjklyubn"]
    start = time.perf_counter()
    for i in range(n):  # raw NLE: the engine's own step, key codes, no words
        _, _, term, trunc, _ = u.step(moves[i % 8])
        if term or trunc:
            u.reset()
    raw = n / (time.perf_counter() - start)
    env.reset(seed=0, options={"task": t})
    names = ("north", "south", "east", "west", "northeast", "southwest", "northwest", "southeast")
    start = time.perf_counter()
    for i in range(n):
        _, _, term, trunc, _ = env.step(names[i % 8])
        if term or trunc:
            env.reset(seed=i, options={"task": t})
    lang = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(20):
        env.reset(seed=i, options={"task": t})
    reset_s = (time.perf_counter() - start) / 20
    env.close()
    return {"raw_nle_steps_per_s": round(raw), "language_steps_per_s": round(lang),
            "step_time_ratio": round(raw / lang, 2), "reset_s": round(reset_s, 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", nargs="*", default=list(MINIHACK_TASKS))
    ap.add_argument("--heldout", type=int, default=50, help="held-out tasks per MiniHack suite (50 = all)")
    ap.add_argument("--nethack", type=int, default=10, help="NetHack-v0 held-out dungeons for the explorer")
    ap.add_argument("--nethack-turns", type=int, default=1000)
    args = ap.parse_args()
    rows = {}
    for task in args.tasks:
        env = MiniHackEnv(task=task)
        held = env.suite.split("heldout")[:args.heldout]
        t0 = time.perf_counter()
        oracle, turns = success(env, held, lambda e, info: e.oracle_action())
        oracle_s = time.perf_counter() - t0
        rng = random.Random(0)
        rand, _ = success(env, held, lambda e, info: rng.choice(info["admissible_actions"]))
        env.close()
        rows[task] = {"heldout_tasks": len(held), "oracle_success": oracle, "random_success": rand,
                      "oracle_turns_per_s": round(turns / oracle_s), **speed(task)}
        print(task, rows[task], flush=True)
    if args.nethack:
        env = NetHackEnv(max_turns=args.nethack_turns)
        prog, depth, ach = [], [], []
        for t in env.suite.split("heldout")[:args.nethack]:
            _, info = env.reset(seed=0, options={"task": t})
            deepest = 1
            while True:
                _, _, term, trunc, info = env.step(env.oracle_action())
                deepest = max(deepest, info.get("depth") or 0)
                if term or trunc:
                    break
            prog.append(info["progress"])
            depth.append(deepest)
            ach.append(info["achievement"])
        env.close()
        rows["NetHack"] = {"dungeons": len(prog), "turns": args.nethack_turns,
                           "mean_progression": round(statistics.mean(prog), 4),
                           "mean_deepest_dlvl": statistics.mean(depth), "achievements": ach}
        print("NetHack", rows["NetHack"], flush=True)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
