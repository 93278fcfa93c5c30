"""`agentgym demo` end to end with a tiny budget: what it prints, returns and writes (not how well it learns; the
tuned run's figures are in the demo's docstring and the report of the change that tuned it)."""

from __future__ import annotations

import functools
import json

import pytest

from agentgym.trainers import demo

# Tiny budget: few oracle episodes, 2-turn episodes, 2 SFT steps, 1 GRPO step on 2 tasks x 2 samples, 3 held-out tasks.
SFT_TINY = ["model.tiny_corpus_episodes=4", "algo.oracle_episodes=4", "algo.batch_size=2", "env.max_turns=2",
            "run.tensorboard=false"]
RL_TINY = ["rollout.tasks_per_step=2", "rollout.group_size=2", "env.max_turns=2", "run.tensorboard=false"]


def _tiny_demo(out, _run_demo=demo.run_demo, **kw):
    kw = {"sft_steps": 2, "rl_steps": 1, "heldout_tasks": 3, **kw}
    return _run_demo(out, sft_overrides=SFT_TINY, rl_overrides=RL_TINY, **kw)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    lines: list[str] = []
    result = _tiny_demo(out, seed=0, log=lines.append)
    return out, result, lines


def test_run_demo_returns_three_scores_with_intervals(tiny_run):
    out, r, _ = tiny_run
    assert r.run_dir == out and r.heldout_tasks == 3 and r.threads == 1
    for score, name in ((r.before, "eval_before"), (r.after_sft, "eval_sft"), (r.after_rl, "eval_rl")):
        assert score.success in (0.0, 1 / 3, 2 / 3, 1.0)  # 3 episodes
        assert 0.0 <= score.ci_low <= score.success <= score.ci_high <= 1.0
        assert score.out_dir == out / name
    assert list(r.stage_seconds) == ["setup", "sft", "grpo"]
    assert len(r.rl_train_success) == 1 and 0.0 <= r.rl_train_success[0] <= 1.0
    assert r.rl_verdict.startswith(("GRPO added", "GRPO left", "GRPO lowered"))


def test_run_demo_writes_evaluations_training_logs_checkpoints_and_summary(tiny_run):
    out, r, _ = tiny_run
    for name in ("eval_before", "eval_sft", "eval_rl"):
        metrics = json.loads((out / name / "metrics.json").read_text())["metrics"]
        assert metrics["eval/episodes"] == 3.0
        assert len((out / name / "trajectories.jsonl").read_text().splitlines()) == 3
        assert (out / name / "report.html").stat().st_size > 0
    assert metrics["eval/success_rate"] == r.after_rl.success
    sft_rows = [json.loads(x) for x in (out / "sft" / "metrics.jsonl").read_text().splitlines()]
    grpo_rows = [json.loads(x) for x in (out / "grpo" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in sft_rows] == [1, 2] and [row["step"] for row in grpo_rows] == [1]
    assert grpo_rows[0]["rollout/episodes"] == 4.0
    assert (out / "sft" / "checkpoints" / "step_2" / "model").is_dir()
    assert (out / "grpo" / "checkpoints" / "step_1" / "model").is_dir()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["after_sft"]["success"] == r.after_sft.success and summary["rl_verdict"] == r.rl_verdict


def test_run_demo_sizes_generation_to_the_longest_oracle_action(tiny_run):
    out, _, lines = tiny_run
    config = json.loads((out / "grpo" / "config.json").read_text())
    max_new = config["rollout"]["max_new_tokens"]
    assert f"at most {max_new} new tokens per turn" in "\n".join(lines)
    assert config["env"]["kwargs"] == {"level": "easy", "list_actions": True, "show_quest": True}
    assert config["algo"]["lr"] == 2e-4 and config["algo"]["kl_coef"] == 0.0  # RL_SETTINGS reach the GRPO stage


def test_run_demo_leaves_torch_threads_as_it_found_them(tmp_path):
    import torch

    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="sft_steps, rl_steps and heldout_tasks must be >= 1, got 0, 1, 3"):
        _tiny_demo(tmp_path / "bad", sft_steps=0)
    assert torch.get_num_threads() == before


def test_demo_threads_reads_the_environment(monkeypatch):
    monkeypatch.delenv("AGENTGYM_DEMO_THREADS", raising=False)
    assert demo.demo_threads() == 1
    monkeypatch.setenv("AGENTGYM_DEMO_THREADS", "2")
    assert demo.demo_threads() == 2
    monkeypatch.setenv("AGENTGYM_DEMO_THREADS", "two")
    with pytest.raises(ValueError, match="AGENTGYM_DEMO_THREADS must be a positive integer, got 'two'"):
        demo.demo_threads()


def test_cli_demo_prints_before_sft_rl_time_and_files(tmp_path, monkeypatch, capsys):
    from agentgym.cli.main import main

    monkeypatch.setattr(demo, "run_demo", functools.partial(_tiny_demo, log=lambda s: None))
    monkeypatch.setattr("sys.argv", [".venv/bin/agentgym", "demo"])  # invoked as the README does
    out = tmp_path / "cli"
    assert main(["demo", "--out", str(out), "--sft-steps", "1", "--rl-steps", "1", "--heldout-tasks", "2"]) == 0
    text = capsys.readouterr().out
    for expected in ("held-out success on 2 easy quests (greedy, 95% Wilson CI):", "before training",
                     "after SFT", "after GRPO", "95% CI", "time: ", f"run folder: {out}", "metrics.jsonl",
                     str(out / "eval_rl" / "report.html"),
                     ".venv/bin/agentgym eval agentgym/TextAdventure-v0 --policy "
                     f"hf:{out}/grpo/checkpoints/step_1/model --split heldout -n 2 --max-turns 2 --max-new-tokens "):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert main(["demo", "--rl-steps", "0"]) == 2
    assert "--rl-steps must be >= 1, got 0" in capsys.readouterr().err


def test_the_printed_eval_command_reproduces_the_demo_after_grpo(tiny_run, tmp_path):
    import shlex

    from agentgym.cli.main import main

    out, r, _ = tiny_run
    argv = shlex.split(r.eval_command)
    assert argv[:2] == ["agentgym", "eval"] and "--temperature" in argv
    assert main(argv[1:] + ["--out", str(tmp_path / "again")]) == 0

    def episodes(folder):
        rows = [json.loads(line) for line in (folder / "trajectories.jsonl").read_text().splitlines()]
        return [(row["task_id"], [turn["completion_ids"] for turn in row["turns"]]) for row in rows]

    # The same tasks played with the very same tokens as the demo's own evaluation of the trained model.
    assert episodes(tmp_path / "again") == episodes(out / "eval_rl")
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())["metrics"]
    assert again["eval/success_rate"] == r.after_rl.success


def test_rl_verdict_says_whether_the_gain_is_outside_the_confidence_interval(tmp_path):
    def result(sft, rl, rl_ci):
        score = lambda s, ci: demo.HeldoutScore(success=s, ci_low=ci[0], ci_high=ci[1], progress=0.0, out_dir=tmp_path)
        return demo.DemoResult(before=score(0.0, (0.0, 0.06)), after_sft=score(sft, (sft - 0.1, sft + 0.1)),
                               after_rl=score(rl, rl_ci), heldout_tasks=60, seconds=1.0, run_dir=tmp_path)

    assert result(0.50, 0.55, (0.42, 0.67)).rl_verdict == (
        "GRPO added +5.0% held-out success on top of SFT (within the confidence interval: suggestive, not conclusive)")
    assert result(0.30, 0.55, (0.42, 0.67)).rl_verdict == (
        "GRPO added +25.0% held-out success on top of SFT (outside the 95% CI of the after-GRPO score)")
    assert result(0.50, 0.50, (0.38, 0.62)).rl_verdict == "GRPO left held-out success unchanged"
    assert result(0.50, 0.45, (0.33, 0.58)).rl_verdict == "GRPO lowered held-out success by 5.0% in this run"


def _kernels_in_a_fresh_process(env_overrides: dict[str, str]) -> list[str]:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in demo.PORTABLE_CPU_KERNELS} | env_overrides
    code = ("from agentgym.trainers.demo import pin_cpu_kernels; import os; "
            "print(pin_cpu_kernels(log=print)); print(os.environ['MKL_CBWR'])")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [line.strip() for line in done.stdout.splitlines()]


def test_the_demo_pins_avx2_kernels_before_torch_runs_anything():
    import torch

    native = torch.backends.cpu.get_cpu_capability()
    if native not in ("AVX2", "AVX512"):
        pytest.skip(f"this CPU has no AVX2 (torch reports {native} kernels)")
    assert _kernels_in_a_fresh_process({}) == ["AVX2", "AVX2"]


def test_a_kernel_choice_in_the_environment_wins_and_the_demo_says_the_figures_may_differ():
    lines = _kernels_in_a_fresh_process({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"})
    assert lines[-2:] == ["DEFAULT", "COMPATIBLE"]
    assert any(line.startswith("note: torch runs DEFAULT CPU kernels here, not AVX2") for line in lines), lines


def test_demos_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    # Two seeds launched at once used to share runs/demo-<time> and the second stopped at a "partial eval" error.
    from pathlib import Path

    from agentgym import run_dirs

    monkeypatch.setattr(run_dirs.time, "strftime", lambda fmt: "20261204-201918")
    folders = [Path(run_dirs.claim_new_dir(tmp_path / "runs" / "demo")) for _ in range(3)]
    assert [f.name for f in folders] == ["demo-20261204-201918", "demo-20261204-201918-2", "demo-20261204-201918-3"]
    assert all(f.is_dir() for f in folders)
