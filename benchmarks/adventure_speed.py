"""Steps per second of agentgym/TextAdventure-v0 on one core, per level.

    python benchmarks/adventure_speed.py                      # random admissible actions, 20000 steps per level
    python benchmarks/adventure_speed.py --policy oracle --steps 50000 --levels medium

Only env.step() is timed: resets, the policy's choice (random pick or oracle planning) and everything else are
outside the clock. Also reports how much of a step the AgentEnv base class costs (step() minus the time inside the env's own
_act() and _extra_info(), clocked in the same run; the clock itself adds ~0.5 us to the hooks).
"""

from __future__ import annotations

import argparse
import random
import time

from agentgym.envs.text.adventure.env import TextAdventureEnv


def measure(level: str, steps: int, policy: str, seed: int) -> dict[str, float]:
    env = TextAdventureEnv(level=level, split="train")
    own = _time_hooks(env)
    rng = random.Random(seed)
    obs, info = env.reset(seed=seed)
    step_time = 0.0
    episodes = 1
    own_at_reset = 0.0
    for _ in range(steps):
        action = env.oracle_action() if policy == "oracle" else rng.choice(info["admissible_actions"])
        t0 = time.perf_counter()
        obs, reward, terminated, truncated, info = env.step(action)
        step_time += time.perf_counter() - t0
        if terminated or truncated:
            before = own[0]
            obs, info = env.reset()
            own_at_reset += own[0] - before  # _extra_info runs on reset too: not part of step time
            episodes += 1
    hooks = own[0] - own_at_reset
    return {"steps_per_s": steps / step_time, "us_per_step": 1e6 * step_time / steps,
            "hooks_us": 1e6 * hooks / steps, "episodes": episodes}


def _time_hooks(env: TextAdventureEnv) -> list[float]:
    """Wrap the env's own hooks (_act, _extra_info) with a clock; returns the running total in seconds."""
    total = [0.0]
    for name in ("_act", "_extra_info"):
        fn = getattr(env, name)

        def timed(*a, _fn=fn, **k):
            t0 = time.perf_counter()
            out = _fn(*a, **k)
            total[0] += time.perf_counter() - t0
            return out

        setattr(env, name, timed)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20_000, help="env.step() calls timed per level")
    ap.add_argument("--levels", nargs="+", default=["easy", "medium", "hard"], choices=["easy", "medium", "hard"])
    ap.add_argument("--policy", choices=["random", "oracle"], default="random",
                    help="random admissible actions, or the oracle's (its planning time is not counted)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"TextAdventure-v0, {args.policy} actions, {args.steps} steps per level, one process")
    for level in args.levels:
        r = measure(level, args.steps, args.policy, args.seed)
        own = r["hooks_us"]
        print(f"  {level:6s} {r['steps_per_s']:>9,.0f} steps/s  ({r['us_per_step']:.1f} us/step: env hooks "
              f"{own:.1f} us, base class + gymnasium ~{r['us_per_step'] - own:.1f} us; {r['episodes']} episodes)")


if __name__ == "__main__":
    main()
