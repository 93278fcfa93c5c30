#!/usr/bin/env bash
# Regenerate constraints.txt, the pinned version of every package that scripts/setup.sh installs.
#
# Run after changing dependencies in pyproject.toml, from a venv set up with `scripts/setup.sh --dev` (so the pins
# cover the test tools and every extra the tests use). torch is written without its local build tag (+cpu), so the
# pin also matches the CUDA build of the same version on a GPU machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
{
    echo "# Every package version that scripts/setup.sh (and so CI) installs: pip install -c constraints.txt ..."
    echo "# Regenerate after changing dependencies: scripts/setup.sh --dev && scripts/lock.sh"
    .venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v "^agentgym" \
        | sed -E 's/^(torch==[0-9.]+)\+[a-z0-9]+$/\1/'
} > constraints.txt
echo "wrote constraints.txt ($(grep -c '==' constraints.txt) pins)"
