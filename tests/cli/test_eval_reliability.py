"""`agentgym eval` under interrupts, bad paths and failing servers: nothing lost, nothing mixed, nothing misleading.

Each test is one row of the table in the issue "Nothing lost, nothing mixed, nothing misleading". Servers are the stub
on 127.0.0.1 (tests/conftest.py); interrupts are real signals to a real `agentgym eval` subprocess."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from agentgym.cli.main import main

ENV = "agentgym/TextAdventure-v0"


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip()) if path.exists() else 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_eval_keeps_what_finished_and_resume_completes_it(tmp_path, server, sig, interrupt_when):
    server.slow_s = 0.05
    out = tmp_path / "ev"
    cmd = [sys.executable, "-m", "agentgym.cli.main", "eval", ENV, "--policy", f"openai:slow@{server.base_url}",
           "-n", "30", "--max-turns", "2", "--batch-size", "1", "--out", str(out)]
    returncode, stderr = interrupt_when(cmd, lambda: _lines(out / "trajectories.jsonl") >= 3, sig)
    assert returncode == 130, stderr
    saved = _lines(out / "trajectories.jsonl")
    m = _metrics(out)
    assert m["run"]["partial"] is True and m["run"]["episodes_done"] == saved and 3 <= saved < 30
    assert m["metrics"]["eval/episodes"] == saved
    assert "(partial)" in (out / "report.html").read_text()
    assert f"{saved} finished episodes are saved in {out}" in stderr and "--resume" in stderr

    played_before = len(server.requests)
    assert main(["eval", ENV, "--policy", f"openai:slow@{server.base_url}", "-n", "30", "--max-turns", "2",
                 "--batch-size", "1", "--out", str(out), "--resume"]) == 0
    m = _metrics(out)
    assert m["run"]["partial"] is False and m["metrics"]["eval/episodes"] == 30
    trajs = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]
    assert [t["seed"] for t in trajs] == list(range(30))  # every episode once, in task order
    # The resumed run played only the missing episodes (2 turns each, so 2 requests each; the last saved one may
    # have been cut mid-line and replayed).
    assert len(server.requests) - played_before in (2 * (30 - saved), 2 * (31 - saved))


def test_resume_refuses_other_settings_and_finished_evals(tmp_path):
    out = tmp_path / "ev"
    assert main(["eval", ENV, "--policy", "oracle", "-n", "3", "--out", str(out)]) == 0
    assert main(["eval", ENV, "--policy", "oracle", "-n", "3", "--out", str(out), "--resume"]) == 2  # finished
    data = _metrics(out)
    data["run"]["partial"] = True
    (out / "metrics.json").write_text(json.dumps(data))
    assert main(["eval", ENV, "--policy", "random", "-n", "3", "--out", str(out), "--resume"]) == 2
    assert main(["eval", ENV, "--policy", "oracle", "-n", "3", "--out", str(out), "--resume"]) == 0


def test_an_unwritable_out_fails_before_the_first_episode(tmp_path, server, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    started = time.time()
    assert main(["eval", ENV, "--policy", f"openai:slow@{server.base_url}", "--out", str(blocker / "sub")]) == 2
    assert server.requests == [] and time.time() - started < 10
    assert f"cannot write to --out {str(blocker / 'sub')!r}" in capsys.readouterr().err


def test_default_out_is_new_for_every_run_and_an_explicit_one_is_never_overwritten(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", ENV, "--policy", "oracle", "-n", "2", "--env-arg", "level=easy"]) == 0
    assert main(["eval", ENV, "--policy", "oracle", "-n", "2", "--env-arg", "level=medium"]) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2
    assert {_metrics(r)["run"]["env_kwargs"]["level"] for r in runs} == {"easy", "medium"}
    out = str(runs[0])
    capsys.readouterr()
    assert main(["eval", ENV, "--policy", "oracle", "-n", "2", "--out", out]) == 2
    assert "already holds a finished eval" in capsys.readouterr().err
    assert main(["eval", ENV, "--policy", "oracle", "-n", "1", "--out", out, "--overwrite"]) == 0
    assert _metrics(Path(out))["metrics"]["eval/episodes"] == 1


def test_a_refused_eval_leaves_no_empty_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", ENV, "--policy", "oracle", "-n", "100000"]) == 2  # above the split: refused before playing
    assert "--repeat" in capsys.readouterr().err
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_server_that_is_down_or_failing_says_so_and_exits_non_zero(tmp_path, server, capsys):
    down = "http://127.0.0.1:9/v1"
    assert main(["eval", ENV, "--policy", f"openai:m@{down}", "-n", "2", "--max-retries", "0",
                 "--out", str(tmp_path / "down")]) == 1
    out, err = capsys.readouterr()
    assert "ERRORS        2 of 2 episodes ended in an error" in out
    assert f"cannot reach the server at {down}" in out
    assert "every episode ended in an error; nothing was measured" in err
    report = (tmp_path / "down" / "report.html").read_text()
    assert "2 of 2 episodes ended in an error" in report and "cannot reach the server at" in report
    assert "card bad" in report  # the error count is a headline card, beside success
    assert main(["eval", ENV, "--policy", f"openai:broken@{server.base_url}", "-n", "2", "--max-retries", "0",
                 "--out", str(tmp_path / "broken")]) == 1
    assert f"server at {server.base_url} answered HTTP 500: engine died" in capsys.readouterr().out


def test_a_hanging_server_times_out_after_request_timeout(tmp_path, server, capsys):
    server.hang_s = 3.0
    started = time.time()
    assert main(["eval", ENV, "--policy", f"openai:hang@{server.base_url}", "-n", "1", "--request-timeout", "0.3",
                 "--max-retries", "1", "--out", str(tmp_path / "ev")]) == 1
    assert time.time() - started < 2.9  # 2 attempts of 0.3 s (plus the client's backoff), not 600 s x 3
    assert f"server at {server.base_url} did not answer within 0.3 s (1 retries)" in capsys.readouterr().out


def test_a_malformed_body_names_the_server(tmp_path, server, capsys):
    assert main(["eval", ENV, "--policy", f"openai:malformed@{server.base_url}", "-n", "1", "--max-retries", "0",
                 "--out", str(tmp_path / "ev")]) == 1
    assert f"server at {server.base_url} returned a malformed response" in capsys.readouterr().out


def test_n_above_the_split_needs_repeat(tmp_path, capsys):
    import agentgym

    size = len(agentgym.make(ENV).unwrapped.tasks("heldout"))
    assert main(["eval", ENV, "--policy", "oracle", "-n", str(size + 1), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert f"-n {size + 1} is more than the {size} tasks of split 'heldout'" in err
    assert "--group-size" in err and "--repeat" in err
    assert not (tmp_path / "a").exists()  # refused before the folder was made
    assert main(["eval", ENV, "--policy", "oracle", "-n", str(size + 1), "--repeat", "--out",
                 str(tmp_path / "b")]) == 0
    assert _metrics(tmp_path / "b")["metrics"]["eval/episodes"] == size + 1


def test_envs_check_rejects_nonsense_counts(capsys):
    for flag, value in (("--actions", "-5"), ("--actions", "0"), ("--oracle-tasks", "-1")):
        with pytest.raises(SystemExit) as e:
            main(["envs", "check", ENV, flag, value])
        assert e.value.code == 2
        assert "pass a count >=" in capsys.readouterr().err


def test_view_of_a_cut_trajectories_file_names_the_file_and_line(tmp_path):
    out = tmp_path / "ev"
    assert main(["eval", ENV, "--policy", "oracle", "-n", "3", "--out", str(out)]) == 0
    path = out / "trajectories.jsonl"
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # the writer was killed mid-line
    with pytest.warns(UserWarning, match=f"{path}, line 3: cut short"):
        assert main(["view", str(out)]) == 0
    lines = text.splitlines()
    path.write_text(lines[0] + "\n{broken\n" + lines[2] + "\n")
    with pytest.raises(ValueError, match=f"{path}, line 2: not a trajectory"):
        from agentgym.eval_output import read_trajectories

        read_trajectories(str(path))
    assert main(["view", str(out)]) == 2
    (out / "metrics.json").write_text("{")
    path.write_text(text)
    assert main(["view", str(out)]) == 2


def test_signal_handlers_are_restored(tmp_path):
    # The eval turns SIGTERM and SIGINT into an interrupt only while it runs.
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert main(["eval", ENV, "--policy", "oracle", "-n", "1", "--out", str(tmp_path / "ev")]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_sigint_interrupts_even_when_the_shell_started_the_eval_with_sigint_ignored(tmp_path, server,
                                                                                     interrupt_when):
    # A background job of a non-interactive shell (`cmd &` in a script, CI) inherits SIGINT ignored.
    server.slow_s = 0.05
    out = tmp_path / "ev"
    cmd = [sys.executable, "-m", "agentgym.cli.main", "eval", ENV, "--policy", f"openai:slow@{server.base_url}",
           "-n", "30", "--max-turns", "2", "--out", str(out)]
    returncode, stderr = interrupt_when(cmd, lambda: _lines(out / "trajectories.jsonl") >= 2, signal.SIGINT,
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert returncode == 130, stderr
    assert _metrics(out)["run"]["partial"] is True


@pytest.mark.parametrize("model", ["tiny", "llamacpp"])
def test_logprobs_from_a_server_are_stored_on_every_turn(tmp_path, server, model):
    out = tmp_path / "ev"
    assert main(["eval", ENV, "--policy", f"openai:{model}@{server.base_url}", "-n", "2", "--max-turns", "2",
                 "--logprobs", "--out", str(out)]) == 0
    # top_logprobs goes with logprobs: llama-cpp-python's server ("llamacpp" in the stub) returns none without it
    assert all(r["body"]["logprobs"] is True and r["body"]["top_logprobs"] == 1 and r["body"]["max_tokens"] == 64
               for r in server.requests)
    trajs = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]
    turns = [turn for t in trajs for turn in t["turns"]]
    assert len(turns) == 4
    for turn in turns:  # the stub gives -0.1, -0.2, ... per character of its reply
        assert turn["logprobs"] == pytest.approx([-0.1 * (i + 1) for i in range(len(turn["action"]))])
    assert _metrics(out)["run"]["generation"] == {"max_tokens": 64, "logprobs": True, "top_logprobs": 1}
    # the manifest names the model the server reported serving, beside the name the request used
    policy = json.loads((out / "manifest.json").read_text())["policy"]
    assert policy["model"] == model
    assert policy["server_reported_model"] == ("models/SmolLM2-135M-Instruct.Q4_1.gguf" if model == "llamacpp"
                                               else "tiny")


def test_every_eval_writes_a_manifest_and_like_reruns_it_exactly(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    assert main(["eval", ENV, "--policy", "random", "-n", "6", "--seed", "4", "--group-size", "2", "--max-turns", "5",
                 "--env-arg", "level=medium", "--out", str(first)]) == 0
    m = json.loads((first / "manifest.json").read_text())
    assert m["kind"] == "eval" and m["env"] == {"id": ENV, "kwargs": {"level": "medium"}, "suite": "adventure",
                                                "suite_version": m["env"]["suite_version"]}
    assert len(m["task_ids"]) == 6 and m["seed"] == 4 and m["policy"]["spec"] == "random"
    assert m["settings"]["group_size"] == 2 and m["settings"]["max_turns"] == 5
    assert {"torch", "transformers", "gymnasium"} <= set(m["packages"]) and m["agentgym"]["version"]
    assert "manifest.json: versions" in (first / "report.html").read_text()
    assert main(["eval", "--like", str(first), "--out", str(again)]) == 0
    a, b = _metrics(first)["metrics"], _metrics(again)["metrics"]
    assert {k: v for k, v in a.items() if k.startswith("eval/")} == {k: v for k, v in b.items() if k.startswith("eval/")}
    assert json.loads((again / "manifest.json").read_text())["task_ids"] == m["task_ids"]


@pytest.mark.parametrize("concurrency", [None, 3])
def test_concurrency_bounds_requests_in_flight_and_keeps_episodes_sticky(tmp_path, server, concurrency):
    server.slow_s = 0.05
    flag = [] if concurrency is None else ["--concurrency", str(concurrency)]
    assert main(["eval", ENV, "--policy", f"openai:slow@{server.base_url}", "-n", "6", "--max-turns", "3", *flag,
                 "--out", str(tmp_path / "ev")]) == 0
    if concurrency is None:
        assert server.max_in_flight == 1
    else:
        assert 1 < server.max_in_flight <= concurrency
    if concurrency is None:  # one episode at a time: every request extends the previous one's conversation
        msgs = [r["body"]["messages"] for r in server.requests]
        for prev, cur in zip(msgs, msgs[1:]):
            assert cur[: len(prev)] == prev or len(cur) == 2  # same episode, or the next one starting
        assert len(server.requests) == 18
