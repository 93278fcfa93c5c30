"""The distribution maps three folders to three import roots, for editable and regular installs alike."""

import os
import subprocess
import sys
import tomllib

ROOT = os.path.join(os.path.dirname(__file__), "..")
FOLDER_OF = {"agentgym": "agentgym", "agentgym.envs": "envs", "agentgym.trainers": "trainers"}


def _declared_packages() -> list[str]:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["packages"]


def _package_folders() -> set[str]:
    found = set()
    for root_pkg, folder in FOLDER_OF.items():
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "data")]
            if "__init__.py" in filenames:
                rel = os.path.relpath(dirpath, os.path.join(ROOT, folder))
                found.add(root_pkg if rel == "." else root_pkg + "." + rel.replace(os.sep, "."))
    return found


def test_every_package_folder_is_declared_in_pyproject():
    found, declared = _package_folders(), set(_declared_packages())
    assert found - declared == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert declared - found == set(), "these are declared but have no __init__.py"


def test_a_regular_install_imports_all_three_roots(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), ROOT], check=True, timeout=300)
    code = ("import agentgym, agentgym.envs, agentgym.trainers, agentgym.envs.text.twenty_questions.env as tq; "
            "import agentgym.trainers.credit; print(agentgym.__file__); print(agentgym.envs.__file__); "
            "print(len(tq.TwentyQuestionsEnv.suite))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(target)}, cwd=str(tmp_path))
    lines = out.stdout.split()
    assert lines[0] == str(target / "agentgym" / "__init__.py")
    assert lines[1] == str(target / "agentgym" / "envs" / "__init__.py")
    assert int(lines[2]) > 100  # the shipped data file (objects.json) came along
