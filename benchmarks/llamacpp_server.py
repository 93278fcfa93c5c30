"""`agentgym eval --policy openai:...` against a real llama.cpp server (llama-cpp-python's), at each concurrency.

    pip install 'llama-cpp-python[server]==0.3.36'      # into any venv; it builds llama.cpp from source (~40 min)
    python benchmarks/llamacpp_server.py --server-python /path/to/that/venv/bin/python
    python benchmarks/llamacpp_server.py --server-python ... --concurrency 1 10 --episodes 10 --max-turns 4

For each concurrency C a fresh server is started on 127.0.0.1 (`python -m llama_cpp.server`, serving the
SmolLM2-135M-Instruct GGUF that `scripts/setup.sh --dev` fetches, its own chat template, one slot), the documented
command `agentgym eval agentgym/TextAdventure-v0 --policy openai:smollm2@URL -n N --concurrency C ...` runs against
it, and the server is stopped (by its pid). Measured: wall time of the eval, turns played, turns/s, and the prompt
tokens the server evaluated ("re-read": llama-cpp-python prints `prompt eval time = ... / N tokens` per request
when verbose; tokens it found in its cache from the previous request are not re-read). A single-slot server keeps
one conversation's prefix cached, so interleaving C conversations makes it re-read each one's whole history.

Writes a JSON file per run and prints a markdown table (docs/benchmarks/llamacpp_server.md holds the recorded one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROMPT_EVAL = re.compile(r"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens")
PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(python: str, gguf: Path, port: int, n_ctx: int, threads: int, log: Path) -> subprocess.Popen:
    cmd = [python, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--seed", "0", "--model_alias", "smollm2"]
    with log.open("w") as out:  # the server keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"llama.cpp server did not answer within 120 s; see {log}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_one(args: argparse.Namespace, concurrency: int, work: Path) -> dict:
    port = free_port()
    log = work / f"server-c{concurrency}.log"
    out = work / f"eval-c{concurrency}"
    proc = start_server(args.server_python, args.gguf, port, args.n_ctx, args.threads, log)
    try:
        cmd = [str(Path(sys.executable).parent / "agentgym"), "eval", "agentgym/TextAdventure-v0",
               "--policy", f"openai:smollm2@http://127.0.0.1:{port}/v1", "-n", str(args.episodes),
               "--concurrency", str(concurrency), "--max-turns", str(args.max_turns),
               "--max-new-tokens", str(args.max_new_tokens), "--seed", "0", "--logprobs", "--out", str(out)]
        t0 = time.time()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.time() - t0
    finally:
        stop(proc)
    if done.returncode != 0:
        raise RuntimeError(f"eval failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    server_log = log.read_text(errors="replace")
    reread = sum(int(n) for n in PROMPT_EVAL.findall(server_log))
    cached = sum(int(n) for n in PREFIX_HIT.findall(server_log))
    trajs = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines() if line.strip()]
    turns = sum(len(t["turns"]) for t in trajs)
    with_logprobs = sum(1 for t in trajs for turn in t["turns"] if turn.get("logprobs"))
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    return {"concurrency": concurrency, "episodes": len(trajs), "turns": turns, "wall_s": round(wall, 1),
            "turns_per_s": round(turns / wall, 3), "prompt_tokens_reread": reread, "prompt_tokens_cached": cached,
            "turns_with_logprobs": with_logprobs, "success_rate": metrics["eval/success_rate"],
            "errors": int(metrics["eval/errors"]), "command": " ".join(cmd[1:])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server-python", default=os.environ.get("AGENTGYM_LLAMACPP_PYTHON", sys.executable),
                    help="a python with llama-cpp-python[server] installed (default: $AGENTGYM_LLAMACPP_PYTHON, "
                         "else this one)")
    ap.add_argument("--gguf", type=Path, default=None, help="GGUF to serve (default: the fetched SmolLM2)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 10])
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--max-turns", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2, help="server threads")
    ap.add_argument("--out", type=Path, default=None, help="folder for logs and eval outputs (default: a temp dir)")
    args = ap.parse_args()
    if args.gguf is None:
        from agentgym.models import find_smollm2

        args.gguf = find_smollm2()
        if args.gguf is None:
            sys.exit("no SmolLM2 GGUF found: run scripts/fetch_smollm2.sh (or pass --gguf)")
    work = args.out or Path(tempfile.mkdtemp(prefix="llamacpp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for c in args.concurrency:
        row = run_one(args, c, work)
        rows.append(row)
        print(json.dumps(row), flush=True)
    (work / "results.json").write_text(json.dumps(rows, indent=2))
    print("\n| concurrency | episodes | turns | wall s | turns/s | prompt tokens re-read | prompt tokens from cache |"
          " turns with logprobs | success |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['episodes']} | {r['turns']} | {r['wall_s']} | {r['turns_per_s']} | "
              f"{r['prompt_tokens_reread']:,} | {r['prompt_tokens_cached']:,} | {r['turns_with_logprobs']} | "
              f"{r['success_rate']:.0%} |")
    print(f"\nlogs and eval folders: {work}")


if __name__ == "__main__":
    main()
