"""GUI envs: generation speed, screenshot latency, oracle and random success, seconds per reset and step.

    .venv/bin/python benchmarks/gui_speed.py                   # everything (~20 min on 2 shared cores)
    .venv/bin/python benchmarks/gui_speed.py --part grounding  # GUIGrounding only (~1 min)
    .venv/bin/python benchmarks/gui_speed.py --part miniwob --tasks click-test enter-text

Results go to docs/benchmarks/gui.json (merged per part) and are summarised in docs/benchmarks/gui.md.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "gui.json"


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def grounding(n_screens: int) -> dict:
    from agentgym.envs.gui.grounding import tasks as gtasks
    from agentgym.envs.gui.grounding.env import GUIGroundingEnv
    from agentgym.envs.gui.grounding.generator import ScreenRenderer, ScreenSpec

    out: dict = {}
    with tempfile.TemporaryDirectory() as cache:
        r = ScreenRenderer(cache)
        r.render(gtasks.screen_spec("train", 0))  # warm the browser
        t0 = time.perf_counter()
        specs = [gtasks.screen_spec("train", i) for i in range(n_screens)]
        for s in specs:
            r.render(s)
        out["screens_per_s_mixed_viewports"] = n_screens / (time.perf_counter() - t0)
        laptop = [ScreenSpec(**{**s.__dict__, "viewport": "laptop", "scale": 1.0}) for s in specs]
        shots, totals = [], []
        for s in laptop:
            t = time.perf_counter()
            screen, _ = r.render(s)
            totals.append(time.perf_counter() - t)
            shots.append(screen.screenshot_ms)
        out["laptop_screenshot_ms_p50"] = _pct(shots, 50)
        out["laptop_screenshot_ms_p99"] = _pct(shots, 99)
        out["laptop_screens_per_s"] = len(laptop) / sum(totals)
        r.close()

        env = GUIGroundingEnv(cache_dir=cache)
        heldout = env.suite.split("heldout")
        t = time.perf_counter()
        for task in heldout:
            env.reset(options={"task": task})
        out["heldout_first_pass_s_per_reset"] = (time.perf_counter() - t) / len(heldout)
        rng = random.Random(0)
        oracle, rand, resets, steps = [], [], [], []
        for task in heldout:
            t = time.perf_counter()
            obs, _ = env.reset(options={"task": task})
            resets.append(time.perf_counter() - t)
            t = time.perf_counter()
            *_, info = env.step(env.oracle_action())
            steps.append(time.perf_counter() - t)
            oracle.append(info["success"])
            obs, _ = env.reset(options={"task": task})
            h, w = obs["images"][0].shape[:2]
            *_, info = env.step(f"click({rng.uniform(0, w):.1f}, {rng.uniform(0, h):.1f})")
            rand.append(info["success"])
        env.close()
    out.update(heldout_tasks=len(heldout), oracle_success=sum(oracle) / len(oracle),
               random_success=sum(rand) / len(rand), cached_s_per_reset=statistics.mean(resets),
               s_per_step=statistics.mean(steps))
    return out


def miniwob(tasks: list[str], random_seeds: int) -> dict:
    from agentgym.envs.gui.miniwob.env import MiniWoBEnv

    out = {}
    for name in tasks:
        env = MiniWoBEnv(task=name)  # screenshot mode: what a visual agent pays
        heldout = env.suite.split("heldout")
        wins, resets, steps = 0, [], []
        for task in heldout:
            t = time.perf_counter()
            env.reset(options={"task": task})
            resets.append(time.perf_counter() - t)
            while True:
                a = env.oracle_action()
                t = time.perf_counter()
                _, _, term, trunc, info = env.step(a)
                steps.append(time.perf_counter() - t)
                if term or trunc:
                    break
            wins += info["success"]
        rng = random.Random(0)
        rwins = 0
        for task in heldout[:random_seeds]:
            _, info = env.reset(options={"task": task})
            while True:
                _, _, term, trunc, info = env.step(rng.choice(info["admissible_actions"]))
                if term or trunc:
                    break
            rwins += info["success"]
        env.close()
        out[name] = {"oracle_success": wins / len(heldout), "seeds": len(heldout),
                     "random_success": rwins / random_seeds, "random_seeds": random_seeds,
                     "s_per_reset": statistics.mean(resets), "s_per_step": statistics.mean(steps),
                     "steps_per_episode": len(steps) / len(heldout)}
        print(name, json.dumps(out[name]), flush=True)
    return out


def main() -> None:
    from agentgym.envs.gui.miniwob.tasks import TASKS

    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["all", "grounding", "miniwob"], default="all")
    ap.add_argument("--screens", type=int, default=60)
    ap.add_argument("--tasks", nargs="*", default=list(TASKS))
    ap.add_argument("--random-seeds", type=int, default=10)
    args = ap.parse_args()
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    if args.part in ("all", "grounding"):
        results["grounding"] = grounding(args.screens)
        print(json.dumps(results["grounding"], indent=1), flush=True)
    if args.part in ("all", "miniwob"):
        results.setdefault("miniwob", {}).update(miniwob(args.tasks, args.random_seeds))
    OUT.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
