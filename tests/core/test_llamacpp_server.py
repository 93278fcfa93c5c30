"""The OpenAI-compatible backend against a real server nobody here wrote: llama-cpp-python's (slow, opt-in).

llama-cpp-python builds llama.cpp from source (about 40 minutes on 2 cores), so it is not a dependency of any extra.
To run these tests, install it into any venv and point at that venv's python:

    python -m venv /tmp/llama && /tmp/llama/bin/pip install 'llama-cpp-python[server]==0.3.36'
    AGENTGYM_LLAMACPP_PYTHON=/tmp/llama/bin/python .venv/bin/python -m pytest -m slow tests/core/test_llamacpp_server.py

They serve the SmolLM2-135M-Instruct GGUF that `scripts/setup.sh --dev` fetches, on 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from agentgym.cli.main import main
from agentgym.models import find_smollm2

pytestmark = pytest.mark.slow

SERVER_PYTHON = os.environ.get("AGENTGYM_LLAMACPP_PYTHON")


def _has_llama_cpp(python: str | None) -> bool:
    if not python:
        return False
    return subprocess.run([python, "-c", "import llama_cpp.server"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def llama_server():
    """A llama-cpp-python server on a free loopback port with a small context (so a long episode overflows it)."""
    if not _has_llama_cpp(SERVER_PYTHON):
        pytest.skip("set AGENTGYM_LLAMACPP_PYTHON to a python with llama-cpp-python[server] (module docstring)")
    gguf = find_smollm2()
    if gguf is None:
        pytest.fail("SmolLM2 GGUF missing: scripts/setup.sh --dev fetches it")
    bench = _benchmark_module()
    port = bench.free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"llamacpp-test-{port}.log"
    proc = bench.start_server(SERVER_PYTHON, gguf, port, n_ctx=1024, threads=2, log=log)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        bench.stop(proc)
    assert proc.poll() is not None


def _benchmark_module():
    """benchmarks/llamacpp_server.py, which starts and stops the server the same way for its measurements."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "llamacpp_server.py"
    spec = importlib.util.spec_from_file_location("llamacpp_server_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _trajectories(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines() if line.strip()]


def test_a_bounded_eval_finishes_with_logprobs_and_the_served_model_recorded(tmp_path, llama_server):
    out = tmp_path / "ev"
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", f"openai:smollm2@{llama_server}", "-n", "2",
                 "--max-turns", "3", "--max-new-tokens", "12", "--logprobs", "--out", str(out)]) == 0
    turns = [turn for t in _trajectories(out) for turn in t["turns"]]
    assert len(turns) == 6
    for turn in turns:  # one logprob per generated token, at most max_tokens of them
        assert turn["logprobs"] and 1 <= len(turn["logprobs"]) <= 12
        assert all(lp <= 0.0 for lp in turn["logprobs"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["policy"]["server_reported_model"] == "smollm2"  # the --model_alias the server runs under


def test_the_servers_context_limit_ends_the_episode_as_truncation(tmp_path, llama_server):
    out = tmp_path / "ev"
    # 1024 tokens of context: medium quests' observations outgrow it within 20 turns
    assert main(["eval", "agentgym/TextAdventure-v0", "--policy", f"openai:smollm2@{llama_server}", "-n", "1",
                 "--max-turns", "40", "--max-new-tokens", "16", "--env-arg", "level=medium", "--out", str(out)]) == 0
    (traj,) = _trajectories(out)
    assert traj["error"] is None and traj["truncated"] is True
    assert traj["metadata"]["truncated_reason"] == "context_limit"
