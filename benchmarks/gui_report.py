"""Print the MiniWoB table of docs/benchmarks/gui.md from docs/benchmarks/gui.json (written by gui_speed.py)."""

import json
from pathlib import Path

data = json.loads((Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "gui.json").read_text())
rows = data.get("miniwob", {})
print("| task | oracle success (20 held-out seeds) | random success | steps/episode (oracle) | s/reset | s/step |")
print("| --- | --- | --- | --- | --- | --- |")
for name in sorted(rows):
    r = rows[name]
    print(f"| {name} | {r['oracle_success']:.0%} | {r['random_success']:.0%} of {r['random_seeds']} | "
          f"{r['steps_per_episode']:.1f} | {r['s_per_reset']:.2f} | {r['s_per_step']:.2f} |")
if rows:
    n = len(rows)
    print(f"| **all {n}** | {sum(r['oracle_success'] for r in rows.values()) / n:.0%} | "
          f"{sum(r['random_success'] for r in rows.values()) / n:.0%} | | "
          f"{sum(r['s_per_reset'] for r in rows.values()) / n:.2f} | {sum(r['s_per_step'] for r in rows.values()) / n:.2f} |")
