"""`agentgym train` never splices two runs, keeps checkpoints verifiable, and says what it did: one test per row of
the issue's table (interrupts are real signals to a real `agentgym train` subprocess)."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from _trainer_helpers import tiny_overrides
from agentgym.cli.main import main
from agentgym.trainers import checkpoints
from agentgym.trainers.config import ConfigError, load_config
from agentgym.trainers.metrics_log import read_metrics
from agentgym.trainers.run import train


def _cfg(out: Path, *extra: str, steps: int = 2, algo: str = "grpo"):
    return load_config(None, tiny_overrides(out, algo=algo, steps=steps) + ['credit.params={outcome="progress"}',
                                                                         *extra])


def test_a_folder_with_a_run_needs_resume_or_overwrite(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, "run.save_every=1", steps=3))
    with pytest.raises(ConfigError, match="already holds a run; pass --resume .* --overwrite"):
        train(_cfg(out))
    result = train(_cfg(out, steps=2), overwrite=True)
    assert [r["step"] for r in read_metrics(out)] == [1, 2]
    # keep=2 counts only this run's checkpoints: the old run's step_3 (and step_2) went with it
    assert [p.name for p in checkpoints.list_checkpoints(out)] == ["step_2"]
    assert result.notes == [f"deleted the previous run in {out} (--overwrite)"]


def test_resume_refuses_another_algorithm_or_seed_unless_allowed(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, steps=1))
    with pytest.raises(ConfigError, match=r"run.seed: 0 -> 1"):
        train(_cfg(out, "run.seed=1", steps=2), resume=True)
    with pytest.raises(ConfigError, match=r"algo.name: 'grpo' -> 'rloo'"):
        train(_cfg(out, steps=2, algo="rloo"), resume=True)
    result = train(_cfg(out, "run.seed=1", steps=2), resume=True, allow_config_change=True)
    assert "changed since the run started: run.seed: 0 -> 1" in result.notes
    assert result.start_step == 1 and result.steps_run == 1
    assert [r["step"] for r in read_metrics(out)] == [1, 2]


def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, "run.save_every=1", "run.keep_checkpoints=3", steps=3))
    newest = out / "checkpoints" / "step_3"
    state = newest / checkpoints.STATE_FILE
    state.write_bytes(state.read_bytes()[:100])  # truncated trainer_state.pt
    with open(out / "metrics.jsonl", "a") as f:
        f.write('{"step": 4, "loss/po')  # a half-written last line
    with pytest.warns(UserWarning, match=r"metrics.jsonl, line 4: not a metrics row"):
        result = train(_cfg(out, steps=4), resume=True)
    assert result.start_step == 2
    assert any("checkpoint step_3 is damaged (trainer_state.pt has 100 bytes" in n for n in result.notes)
    assert (out / "checkpoints" / "step_3.damaged").is_dir()
    assert [r["step"] for r in read_metrics(out)] == [1, 2, 3, 4]


def test_a_truncated_model_file_is_caught_by_the_manifest(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, steps=1))
    ckpt = checkpoints.latest_checkpoint(out)
    weights = ckpt / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    assert "model/model.safetensors has" in checkpoints.verify(ckpt)
    with pytest.raises(ConfigError, match=r"no intact checkpoint .* \(1 damaged, set aside\)"):
        train(_cfg(out, steps=2), resume=True)


def test_ctrl_c_during_training_saves_a_checkpoint_at_the_end_of_the_step(tmp_path, interrupt_when):
    out = tmp_path / "run"
    recipe = tmp_path / "slow.toml"
    recipe.write_text("# agentgym train slow.toml\n")
    overrides = [o for o in tiny_overrides(out, algo="grpo", steps=500) if not o.startswith("run.save_every")]
    cmd = [sys.executable, "-m", "agentgym.cli.main", "train", str(recipe), "--no-eval"]
    # A built-in env: the subprocess does not import the test helpers that register KeywordEnv.
    for o in overrides + ["run.save_every=0", 'credit.params={outcome="progress"}', 'env.id="agentgym/TextAdventure-v0"',
                          "env.max_turns=2"]:
        cmd += ["--set", o]
    metrics = out / "metrics.jsonl"
    returncode, stderr = interrupt_when(cmd, lambda: metrics.exists() and metrics.read_text().strip() != "",
                                        signal.SIGINT, timeout=120)
    assert returncode == 130, stderr
    steps = [r["step"] for r in read_metrics(out)]
    ckpt = checkpoints.latest_checkpoint(out)
    assert ckpt is not None and ckpt.name == f"step_{steps[-1]}" and checkpoints.verify(ckpt) is None
    assert f"interrupted after step {steps[-1]} of 500; checkpoint saved at {ckpt}" in stderr
    assert "--resume" in stderr


def test_the_final_message_counts_the_steps_this_run_made(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text("# agentgym train r.toml\n")
    sets = []
    for o in _cfg_overrides(tmp_path / "run", steps=2):
        sets += ["--set", o]
    assert main(["train", str(recipe), "--no-eval", *sets]) == 0
    assert "trained grpo for 2 steps in" in capsys.readouterr().out
    sets = []
    for o in _cfg_overrides(tmp_path / "run", steps=3):
        sets += ["--set", o]
    assert main(["train", str(recipe), "--no-eval", "--resume", *sets]) == 0
    assert "trained grpo for 1 step (steps 3-3 of 3, resumed from step 2)" in capsys.readouterr().out
    assert main(["train", str(recipe), "--no-eval", "--resume", *sets[:-2], "--set", "algo.name=\"sft\""]) == 2
    assert "algo.name: 'grpo' -> 'sft'" in capsys.readouterr().err


def _cfg_overrides(out: Path, *, steps: int) -> list[str]:
    return tiny_overrides(out, algo="grpo", steps=steps) + ['credit.params={outcome="progress"}']


def test_no_signal_for_k_steps_warns(tmp_path, capsys):
    # KeywordEnv succeeds only after its 2 turns; a 1-turn limit makes every outcome 0: no group has any signal.
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="grpo", steps=3) + ["run.warn_no_signal_steps=2",
                                                                                    "env.max_turns=1"])
    rows = train(cfg).metrics
    assert [r["reward/groups_with_signal"] for r in rows] == [0.0, 0.0, 0.0]
    assert [r["reward/steps_without_signal"] for r in rows] == [1.0, 2.0, 3.0]
    err = capsys.readouterr().err
    assert err.count("no group has had a learning signal for 2 steps (up to step 2)") == 1  # once per streak


@pytest.mark.parametrize("spec", ["hf:/nonexistent/model", "hf:runs/nothing", "hf:./here/not"])
def test_a_missing_model_path_fails_at_once_without_the_hub(tmp_path, monkeypatch, capsys, spec):
    monkeypatch.chdir(tmp_path)  # no runs/ folder here: "runs/..." still means a local path
    started = time.time()
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", spec, "-n", "1"]) == 2
    assert time.time() - started < 5
    assert f"model path {spec[3:]!r} does not exist" in capsys.readouterr().err


def test_a_folder_that_is_not_a_model_says_what_is_missing(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hi")
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", f"hf:{tmp_path}", "-n", "1"]) == 2
    assert "is not a transformers model: it has no config.json (it holds: notes.txt)" in capsys.readouterr().err
    cfg = load_config(None, tiny_overrides(tmp_path / "run", algo="grpo") + ["model.name=\"/nonexistent\""])
    with pytest.raises(FileNotFoundError, match="model path '/nonexistent' does not exist"):
        train(cfg)


def test_model_name_can_be_a_run_folder(tmp_path):
    sft = tmp_path / "sft"
    first = train(load_config(None, tiny_overrides(sft, algo="sft", steps=1) + ["algo.oracle_episodes=4",
                                                                            "algo.batch_size=4"]))
    cfg = load_config(None, tiny_overrides(tmp_path / "rl", algo="grpo", steps=1) + [f'model.name="{sft}"'])
    rl = train(cfg)
    assert rl.model.config.hidden_size == first.model.config.hidden_size
    assert json.loads((tmp_path / "rl" / "config.json").read_text())["model"]["name"] == str(sft)


def test_config_files_that_are_not_recipes_are_named(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[run]\nout_dir = \"caf\xe9\"\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=f"config file {str(bad)!r} is not UTF-8 text \\(byte 0xe9"):
        load_config(bad)
    with pytest.raises(ConfigError, match="is a folder; pass a TOML recipe file"):
        load_config(tmp_path)


def test_a_training_run_writes_its_manifest(tmp_path):
    out = tmp_path / "run"
    train(_cfg(out, steps=1))
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "train" and m["seed"] == 0 and m["settings"]["config"]["algo"]["name"] == "grpo"
    assert len(m["policy"]["model_config_sha256"]) == 64 and m["task_ids"]
