"""NetHack/MiniHack figures: oracle and random success per held-out suite, raw NLE steps/s vs steps/s with the language
layer, seconds per reset, and the scripted explorer's BALROG progression on NetHack-v0.

    .venv/bin/python benchmarks/nethack_speed.py                      # everything (several minutes on 2 cores)
    .venv/bin/python benchmarks/nethack_speed.py --tasks Room Lava --heldout 20 --nethack 0
    .venv/bin/python benchmarks/nethack_speed.py --speed-only --nethack 0   # raw NLE vs words, interleaved blocks
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import warnings

warnings.filterwarnings("ignore")

from agentgym.envs.nethack.env import MiniHackEnv, NetHackEnv  # noqa: E402
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


MOVES = (("north", "k"), ("south", "j"), ("east", "l"), ("west", "h"), ("northeast", "u"), ("southwest", "b"),
         ("northwest", "y"), ("southeast", "n"))
"""The move cycle both loops play: the language env gets the names, raw NLE the same keys in the same order."""


class _Stepper:
    """One env stepped in timed blocks: resets happen outside the clock (seconds per reset is measured apart), so a
    block times steps only, for raw NLE and for the language env alike."""

    def __init__(self, env, task, raw: bool):
        self.env, self.task, self.raw, self.i, self.resets, self.turn = env, task, raw, 0, 0, 0
        self._reset()

    def _reset(self) -> None:
        self.env.reset(seed=self.resets, options={"task": self.task})  # the same level and dynamics seeds in both
        self.resets, self.turn = self.resets + 1, 0

    def block(self, n: int) -> tuple[float, float]:
        """(wall-clock seconds, CPU seconds of this thread) spent in n steps."""
        step = self.env._u.step if self.raw else self.env.step
        moves = [ord(k) if self.raw else name for name, k in MOVES]
        elapsed, cpu, done = 0.0, 0.0, 0
        while done < n:
            start, start_cpu = time.perf_counter(), time.thread_time()
            while done < n:
                _, _, term, trunc, _ = step(moves[self.i % 8])
                self.i, self.turn, done = self.i + 1, self.turn + 1, done + 1
                trunc = trunc or self.turn >= self.env.max_turns  # raw NLE ends its episodes where the env does
                if term or trunc:
                    break
            elapsed += time.perf_counter() - start
            cpu += time.thread_time() - start_cpu
            if term or trunc:
                self._reset()
        return elapsed, cpu


def speed(task: str, n: int = 1000, reps: int = 9) -> dict:
    """Raw NLE steps/s against steps/s with the language layer, measured fairly on a shared machine: two envs on the
    same level, stepped in alternating blocks of n steps (raw, words, raw, words, ...) `reps` times in one process,
    so that load from other jobs falls on both; the ratio is taken per pair of blocks and the median reported, by
    wall-clock time and by this thread's CPU time (which leaves out the time other jobs held the core).

    Raw NLE is the engine inside the language env (MiniHack's step on a key code, no words): the same configuration
    the language env drives, so the ratio measures the layer alone. Both play the same moves from the same seeds and
    reset at the task's turn limit, so they walk through the same game states.
    """
    t = MiniHackEnv(task=task).suite.split("heldout")[0]
    raw_env, lang_env = MiniHackEnv(task=task), MiniHackEnv(task=task)
    raw, lang = _Stepper(raw_env, t, raw=True), _Stepper(lang_env, t, raw=False)
    raw.block(n // 5), lang.block(n // 5)  # warm up: first-use tables, caches, allocator
    pairs = [(raw.block(n), lang.block(n)) for _ in range(reps)]
    start = time.perf_counter()
    for i in range(20):
        lang_env.reset(seed=i, options={"task": t})
    reset_s = (time.perf_counter() - start) / 20
    raw_env.close(), lang_env.close()
    wall = [w / r for (r, _), (w, _) in pairs]
    cpu = [w / r for (_, r), (_, w) in pairs]
    return {"raw_nle_steps_per_s": round(statistics.median(n / r for (r, _), _ in pairs)),
            "language_steps_per_s": round(statistics.median(n / w for _, (w, _) in pairs)),
            "step_time_ratio": round(statistics.median(wall), 2),
            "ratio_range": [round(min(wall), 2), round(max(wall), 2)],
            "cpu_raw_nle_steps_per_s": round(statistics.median(n / r for (_, r), _ in pairs)),
            "cpu_language_steps_per_s": round(statistics.median(n / w for _, (_, w) in pairs)),
            "cpu_step_time_ratio": round(statistics.median(cpu), 2),
            "cpu_ratio_range": [round(min(cpu), 2), round(max(cpu), 2)], "reset_s": round(reset_s, 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", nargs="*", default=list(MINIHACK_TASKS))
    ap.add_argument("--heldout", type=int, default=50, help="held-out tasks per MiniHack suite (50 = all)")
    ap.add_argument("--nethack", type=int, default=10, help="NetHack-v0 held-out dungeons for the explorer")
    ap.add_argument("--nethack-turns", type=int, default=1000)
    ap.add_argument("--speed-only", action="store_true", help="only raw NLE vs language steps/s (no oracle/random)")
    ap.add_argument("--block", type=int, default=1000, help="steps per timed block")
    ap.add_argument("--reps", type=int, default=9, help="pairs of (raw, language) blocks per task")
    args = ap.parse_args()
    rows = {}
    for task in args.tasks:
        if args.speed_only:
            rows[task] = speed(task, args.block, args.reps)
            print(task, rows[task], flush=True)
            continue
        env = MiniHackEnv(task=task)
        held = env.suite.split("heldout")[:args.heldout]
        t0 = time.perf_counter()
        oracle, turns = success(env, held, lambda e, info: e.oracle_action())
        oracle_s = time.perf_counter() - t0
        rng = random.Random(0)
        rand, _ = success(env, held, lambda e, info: rng.choice(info["admissible_actions"]))
        env.close()
        rows[task] = {"heldout_tasks": len(held), "oracle_success": oracle, "random_success": rand,
                      "oracle_turns_per_s": round(turns / oracle_s), **speed(task, args.block, args.reps)}
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
