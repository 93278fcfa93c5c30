"""`agentgym train` end to end in a subprocess, with a tiny budget."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _agentgym() -> list[str]:
    exe = shutil.which("agentgym", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "agentgym.cli.main"]


TINY = ["--set", "run.steps=2", "--set", "run.save_every=1", "--set", "run.eval_tasks=2", "--set", "run.eval_every=0",
        "--set", "run.progress_bar=false", "--set", "model.tiny_hidden_size=32", "--set", "model.tiny_num_layers=1",
        "--set", "model.tiny_corpus_episodes=4", "--set", "rollout.tasks_per_step=1", "--set", "rollout.group_size=2",
        "--set", "rollout.max_new_tokens=4", "--set", "env.max_turns=2",
        "--set", 'model.name="tiny"']  # the recipe starts from runs/tiny_sft; a fresh tiny model keeps this quick


def test_train_cli_runs_a_recipe_end_to_end(tmp_path):
    out = tmp_path / "run"
    cmd = _agentgym() + ["train", "configs/tiny_grpo.toml", *TINY, "--set", f'run.out_dir="{out}"']
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "trained grpo for 2 steps" in proc.stdout
    assert "held-out success:" in proc.stdout and f"run dir: {out}" in proc.stdout
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[0]["rollout/episodes"] == 2.0
    assert list((out / "tb").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_1", "step_2"]
    assert json.loads((out / "config.json").read_text())["algo"]["name"] == "grpo"

    # --resume with more steps continues from step 2.
    proc = subprocess.run(cmd + ["--set", "run.steps=3", "--resume", "--no-eval"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]


@pytest.mark.parametrize("args, message", [
    (["--set", "algo.lr=abc"], "algo.lr = 'abc' must be a number, got str"),
    (["--set", "rollout.group_size=1"], "rollout.group_size must be >= 2"),
])
def test_train_cli_config_errors_exit_2_with_the_fix(args, message):
    proc = subprocess.run(_agentgym() + ["train", "configs/tiny_grpo.toml", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_train_cli_missing_file():
    proc = subprocess.run(_agentgym() + ["train", "configs/nope.toml"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "config file 'configs/nope.toml' does not exist" in proc.stderr
