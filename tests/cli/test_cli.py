import json
import os
import subprocess
import sys

import pytest

from agentgym.cli.main import main

AGENTGYM = os.path.join(os.path.dirname(sys.executable), "agentgym")


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([AGENTGYM, *args], input=stdin, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_help_texts_guide_a_newcomer():
    out = run_cli("--help")
    assert out.returncode == 0
    assert "agentgym envs play agentgym/TextAdventure-v0" in out.stdout
    for cmd in ["envs", "eval", "train", "demo", "view"]:
        assert cmd in out.stdout
    ev = run_cli("eval", "--help").stdout
    assert "--policy" in ev and "openai:MODEL@BASE_URL" in ev and "--split" in ev


def test_every_help_text_renders_cleanly():
    # argparse %-formats argument help but prints descriptions as written: a "%%" there reaches the reader.
    import argparse

    from agentgym.cli.main import build_parser

    def parsers(p):
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from parsers(sub)

    seen = {p.prog: p.format_help() for p in parsers(build_parser())}
    assert {"agentgym eval", "agentgym demo", "agentgym envs play", "agentgym train"} <= set(seen)
    assert [prog for prog, text in seen.items() if "%%" in text] == []


def test_envs_list_and_info(capsys):
    assert main(["envs", "list"]) == 0
    out = capsys.readouterr().out
    assert "agentgym/TextAdventure-v0" in out and "agentgym/TwentyQuestions-v0" in out
    assert main(["envs", "info", "agentgym/TwentyQuestions-v0"]) == 0
    out = capsys.readouterr().out
    assert "Reward" in out and "task suite:" in out and "heldout" in out


def test_unknown_env_is_a_clean_error(capsys):
    assert main(["envs", "info", "agentgym/TextAdventur-v0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "agentgym: error: No environment registered as 'agentgym/TextAdventur-v0'. " \
                          "Did you mean 'agentgym/TextAdventure-v0'?"


def test_envs_check_passes_on_the_default_env(capsys):
    assert main(["envs", "check", "agentgym/TextAdventure-v0", "--actions", "300"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("check_env(agentgym/TextAdventure-v0): PASSED")


def test_eval_oracle_writes_metrics_trajectories_and_report(tmp_path, capsys):
    out_dir = tmp_path / "ev"
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", "oracle", "--split", "heldout", "-n", "8",
                 "--out", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    assert "success rate  100.0%  (95% CI 67.6% .. 100.0%)" in printed  # Wilson at 8/8: 8 / (8 + 1.96^2) = 67.6%
    data = json.loads((out_dir / "metrics.json").read_text())
    assert data["metrics"]["eval/success_rate"] == 1.0 and data["metrics"]["eval/episodes"] == 8
    assert data["run"]["split"] == "heldout" and data["run"]["policy"] == "oracle"
    lines = (out_dir / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == 8 and all(json.loads(line)["success"] for line in lines)
    html = (out_dir / "report.html").read_text()
    assert "oracle on agentgym/TextAdventure-v0 (heldout)" in html and html.count("<details") == 8 + 1  # 8 episodes and the manifest
    # per-task rows and episode headers show progress; the cards include the invalid-action rate (0 for the oracle)
    assert "<th>mean progress</th>" in html and html.count("<td>100%</td>") == 8
    assert html.count("success</span> &middot; progress 100% &middot;") == 8
    assert "<div>invalid actions</div><div class='v'>0.0%</div>" in html
    assert main(["view", str(out_dir)]) == 0


def test_eval_random_on_the_hard_level_mostly_fails(tmp_path, capsys):
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", "random", "-n", "20", "--env-arg", "level=hard",
                 "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())["metrics"]
    assert m["eval/success_rate"] <= 0.1
    assert m["eval/success_rate_ci_low"] <= m["eval/success_rate"] <= m["eval/success_rate_ci_high"]


def test_bad_policy_spec_says_the_forms(capsys):
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", "gpt5", "-n", "1"]) == 2
    assert "unknown policy spec 'gpt5'; use one of: oracle, random, human" in capsys.readouterr().err


def test_envs_play_reads_actions_from_the_terminal():
    out = run_cli("envs", "play", "agentgym/TwentyQuestions-v0", "--task", "twenty_questions/heldout/bear",
                  stdin="is it an animal?\nhello there\n")
    assert out.returncode == 0, out.stderr
    assert "> " in out.stdout and "I can only answer yes/no questions" in out.stdout
    assert out.stdout.rstrip().endswith("bye")
    # /quit stops at once: the answer to the first question is shown, the second question is never asked.
    quit_ = run_cli("envs", "play", "agentgym/TwentyQuestions-v0", "--task", "twenty_questions/heldout/bear",
                    stdin="is it an animal?\n/quit\nis it a bird?\n")
    assert quit_.returncode == 0, quit_.stderr
    assert "(type /quit or press Ctrl-D to stop)" in quit_.stdout
    assert quit_.stdout.count("> ") == 2 and quit_.stdout.rstrip().endswith("bye")
    bad = run_cli("envs", "play", "agentgym/TwentyQuestions-v0", "--task", "nope", stdin="")
    assert bad.returncode == 1 and "has no task 'nope'" in bad.stderr


def test_envs_play_can_watch_the_oracle():
    out = run_cli("envs", "play", "agentgym/TextAdventure-v0", "--policy", "oracle", "--seed", "3")
    assert out.returncode == 0, out.stderr
    assert "SUCCESS" in out.stdout


def test_eval_generation_flags_mean_the_same_for_every_backend(monkeypatch):
    import types

    from agentgym.cli.main import _generation_kwargs

    assert _generation_kwargs("hf:m", None, None) == {}
    assert _generation_kwargs("hf:m", 12, 0.0) == {"max_new_tokens": 12, "do_sample": False}  # 0 = greedy
    assert _generation_kwargs("hf:m", None, 0.7) == {"temperature": 0.7}
    assert _generation_kwargs("openai:m@http://127.0.0.1:1/v1", 12, 0.0) == {"max_tokens": 12, "temperature": 0.0}
    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = lambda **kw: ("SamplingParams", kw)
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    assert _generation_kwargs("vllm:m", 12, 0.0) == {
        "sampling_params": ("SamplingParams", {"max_tokens": 12, "temperature": 0.0})}
    with pytest.raises(ValueError, match="apply to model policies .* not to 'oracle'"):
        _generation_kwargs("oracle", None, 0.0)
    with pytest.raises(ValueError, match=r"--temperature must be >= 0 \(0 = greedy\), got -1"):
        _generation_kwargs("hf:m", None, -1.0)


def test_eval_of_a_saved_model_at_temperature_0_is_greedy(tmp_path, tiny_chatml, capsys):
    model, tokenizer = tiny_chatml
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    runs = []
    for name in ("a", "b"):
        argv = ["eval", "agentgym/TwentyQuestions-v0", "--policy", f"hf:{tmp_path / 'model'}", "-n", "3",
                "--max-turns", "2", "--max-new-tokens", "5", "--temperature", "0", "--seed", str(len(runs)),
                "--out", str(tmp_path / name)]
        assert main(argv) == 0, capsys.readouterr().err
        lines = (tmp_path / name / "trajectories.jsonl").read_text().splitlines()
        runs.append([[t["completion_ids"] for t in json.loads(line)["turns"]] for line in lines])
    # Greedy: a different sampling seed plays the very same tokens; every turn stops within 5 new tokens.
    assert runs[0] == runs[1] and len(runs[0]) == 3
    assert all(0 < len(ids) <= 5 for episode in runs[0] for ids in episode)
