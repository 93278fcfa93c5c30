"""Outcome vs G-RA gated credit on the SWE sandbox: configs/swe_grpo_gated.toml as shipped, and the same recipe with
outcome credit on the same ordered outcome level (no immediate rewards), for a few steps each, on the same seed.

    python benchmarks/swe_gra.py --out /tmp/swe_gra                 # 4 steps each, local (bubblewrap) backend
    python benchmarks/swe_gra.py --steps 8 --backend docker --out /tmp/swe_gra

Reads the episodes every step played (run_dir/rollouts/step_N.jsonl) and reports, per step and per credit method,
the rates G-RA's paper tracks: well-formed tool calls (share of turns), episodes that ran the tests, completion (a
submission: outcome level >= 1), modification (a non-empty patch: level >= 2) and resolved (level 3), with
reward/groups_with_signal from metrics.jsonl. A tiny model mostly fails here; the point is what each credit gives
it to learn from.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "configs" / "swe_grpo_gated.toml"
METHODS = {
    "gated": [],
    "outcome": ["credit.method=outcome", 'credit.params={outcome = "info:outcome_level"}'],
}


def episode_rates(episodes: list[dict]) -> dict[str, float]:
    """G-RA's rates over one step's episodes (each a Trajectory as JSON)."""
    turns = [t for e in episodes for t in e["turns"]]
    levels = [e["turns"][-1]["info"].get("outcome_level", 0) if e["turns"] else 0 for e in episodes]
    n = max(len(episodes), 1)
    return {
        "well_formed": sum(bool(t["info"].get("well_formed")) for t in turns) / max(len(turns), 1),
        "ran_tests": sum(any(t["info"].get("tests_run") for t in e["turns"]) for e in episodes) / n,
        "completion": sum(lvl >= 1 for lvl in levels) / n,
        "modification": sum(lvl >= 2 for lvl in levels) / n,
        "resolved": sum(lvl >= 3 for lvl in levels) / n,
    }


def run(method: str, args: argparse.Namespace) -> list[dict]:
    from agentgym.trainers.config import load_config
    from agentgym.trainers.run import train

    run_dir = args.out / method
    overrides = [f"run.steps={args.steps}", f"run.out_dir={run_dir}", "run.save_every=0", "run.eval_every=0",
                 "run.progress_bar=false", "run.tensorboard=false", f"run.seed={args.seed}",
                 f'env.kwargs={{backend = "{args.backend}", command_timeout_s = 30.0}}', *METHODS[method], *args.overrides]
    t0 = time.time()
    train(load_config(RECIPE, overrides), overwrite=True)
    wall = time.time() - t0
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rows = []
    for step in range(1, args.steps + 1):
        path = run_dir / "rollouts" / f"step_{step}.jsonl"
        episodes = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        m = next((m for m in metrics if m.get("step") == step), {})
        rows.append({"method": method, "step": step, "episodes": len(episodes), **episode_rates(episodes),
                     "groups_with_signal": m.get("reward/groups_with_signal"), "wall_s": round(wall, 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", choices=["local", "docker"], default="local")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help='a recipe override for both arms, e.g. model.name="runs/swe_sft"')
    args = ap.parse_args()
    rows = [row for method in METHODS for row in run(method, args)]
    (args.out / "swe_gra.json").write_text(json.dumps(rows, indent=2))
    print("| credit | step | episodes | well-formed turns | ran tests | completion | modification | resolved |"
          " groups with signal |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sig = "–" if r["groups_with_signal"] is None else f"{r['groups_with_signal']:.0%}"
        print(f"| {r['method']} | {r['step']} | {r['episodes']} | {r['well_formed']:.0%} | {r['ran_tests']:.0%} | "
              f"{r['completion']:.0%} | {r['modification']:.0%} | {r['resolved']:.0%} | {sig} |")
    for method in METHODS:
        wall = next(r["wall_s"] for r in rows if r["method"] == method)
        print(f"{method}: {wall} s for {args.steps} steps")


if __name__ == "__main__":
    main()
