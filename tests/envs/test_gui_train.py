"""`agentgym train` on a GUI env end to end: GRPO on MiniWoB++ click-button (text mode) with the tiny model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_agentgym_train_on_miniwob(tmp_path):
    exe = shutil.which("agentgym", path=str(Path(sys.executable).parent))
    out = tmp_path / "run"
    cmd = [exe or sys.executable, *([] if exe else ["-m", "agentgym.cli.main"]), "train",
           "configs/gui_miniwob_grpo.toml", "--set", "run.steps=1", "--set", "run.save_every=1",
           "--set", "run.eval_tasks=2", "--set", "run.progress_bar=false", "--set", 'model.name="tiny"',
           "--set", "model.tiny_hidden_size=32",
           "--set", "model.tiny_num_layers=1", "--set", "model.tiny_corpus_episodes=2",
           "--set", "rollout.tasks_per_step=1", "--set", "rollout.group_size=2", "--set", "env.max_turns=2",
           "--set", f'run.out_dir="{out}"']
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "trained grpo for 1 step in" in proc.stdout and "held-out success:" in proc.stdout
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1] and rows[0]["rollout/episodes"] == 2.0
