"""Task instances in SWE-bench's schema, and the per-task workspace (the agent's starting copy) they describe.

An instance is one JSON object with SWE-bench's fields:

    instance_id        "pypi__isodate-0.7.2.flip_comparison.3f2a9c1e"
    repo               "pypi/isodate"
    version            "0.7.2" (the pinned sdist; base_commit names its sha256, since sdists have no commit)
    base_commit        "sdist-sha256:4cd1..."
    problem_statement  written from the failing tests' names and assertion messages, never from the patch
    patch              the gold fix, a git-style unified diff (buggy -> clean source)
    test_patch         restores the hidden failing tests (a diff that adds them back to their test files)
    FAIL_TO_PASS       tests that pass on the clean code and fail on the buggy code
    PASS_TO_PASS       the other tests of the same test files that pass on both
    created_at, hints_text, environment_setup_commit   (kept for schema compatibility)

plus `agentgym` (our extras: bug kind, function, split, the test files to run). The agent's copy holds the buggy code
and the test files with the FAIL_TO_PASS tests removed; grading restores them with test_patch, as SWE-bench applies
its test patch before running the tests.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentgym.envs.swe import repos as repos_mod


@dataclass(kw_only=True)
class Instance:
    """One task, in SWE-bench's schema (to_dict/from_dict round-trip the JSON line)."""

    instance_id: str
    repo: str
    version: str
    base_commit: str
    problem_statement: str
    patch: str
    test_patch: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    created_at: str = ""
    hints_text: str = ""
    environment_setup_commit: str = ""
    agentgym: dict[str, Any] = field(default_factory=dict)
    """Our extras: kind, function, file, split, test_files (the test directives), and for loaded SWE-bench files
    image / repo_dir / test_cmd."""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Instance:
        d = dict(d)
        for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
            if isinstance(d.get(key), str):  # SWE-bench's hub files store these lists as JSON strings
                d[key] = json.loads(d[key])
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        missing = [k for k in ("instance_id", "repo", "problem_statement", "patch", "test_patch", "FAIL_TO_PASS",
                               "PASS_TO_PASS") if k not in known]
        if missing:
            raise ValueError(f"instance {d.get('instance_id', '?')!r} lacks SWE-bench fields {missing}")
        known.setdefault("version", str(d.get("version", "")))
        known.setdefault("base_commit", str(d.get("base_commit", "")))
        return cls(**known)

    @property
    def test_files(self) -> list[str]:
        """The test directives: files of the test patch (SWE-bench runs exactly these)."""
        return list(self.agentgym.get("test_files") or diff_files(self.test_patch))


def read_jsonl(path: str | os.PathLike) -> list[Instance]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(Instance.from_dict(json.loads(line)))
                except (ValueError, TypeError) as e:
                    raise ValueError(f"{path}:{n}: not a SWE-bench instance: {e}") from None
    return out


def write_jsonl(path: str | os.PathLike, instances: list[Instance]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for inst in instances:
            f.write(json.dumps(inst.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------------------------------
# diffs
# ---------------------------------------------------------------------------------------------------------------------
def unified_diff(path: str, before: str, after: str) -> str:
    """A git-style diff of one file (what `git apply` takes)."""
    body = "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}", n=3))
    if not body:
        return ""
    if not body.endswith("\n"):
        body += "\n\\ No newline at end of file\n"
    return f"diff --git a/{path} b/{path}\n" + body


def diff_files(patch: str) -> list[str]:
    return sorted(set(re.findall(r"^diff --git a/(\S+) b/", patch, flags=re.M)))


@dataclass
class Hunk:
    path: str
    old: str
    new: str


def hunks(patch: str) -> list[Hunk]:
    """Each hunk of a unified diff as (file, old text, new text): what a string-replace editor needs to apply it."""
    out: list[Hunk] = []
    path = None
    old: list[str] | None = None
    new: list[str] = []
    for line in patch.splitlines(keepends=True):
        if line.startswith("+++ "):
            path = line[4:].strip().removeprefix("b/")
            continue
        if line.startswith("--- ") or line.startswith("diff --git"):
            continue
        if line.startswith("@@"):
            if old is not None and path:
                out.append(Hunk(path, "".join(old), "".join(new)))
            old, new = [], []
            continue
        if old is None:
            continue
        if line.startswith("\\"):
            continue
        tag, text = line[:1], line[1:]
        if tag in (" ", "-"):
            old.append(text)
        if tag in (" ", "+"):
            new.append(text)
    if old is not None and path:
        out.append(Hunk(path, "".join(old), "".join(new)))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# hiding tests
# ---------------------------------------------------------------------------------------------------------------------
def _node_path(test_id: str) -> tuple[str, list[str]]:
    """"tests/test_x.py::TestA::test_b[1-2]" -> ("tests/test_x.py", ["TestA", "test_b"])."""
    file, *parts = test_id.split("::")
    return file, [re.sub(r"\[.*\]$", "", p) for p in parts]


def hide_tests(source: str, names: list[list[str]]) -> str | None:
    """The test module without the functions named by `names` (each [Class, ..., function]); a class left empty gets
    `pass`. None when one of them is not defined in this module (a test inherited from another file)."""
    tree = ast.parse(source)
    spans: list[tuple[int, int]] = []
    emptied: dict[int, tuple[int, str]] = {}
    for path in names:
        body, owner = tree.body, None
        for part in path[:-1]:
            owner = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == part), None)
            if owner is None:
                return None
            body = owner.body
        fn = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == path[-1]),
                  None)
        if fn is None:
            return None
        first = min([fn.lineno] + [d.lineno for d in fn.decorator_list])
        spans.append((first, fn.end_lineno))  # type: ignore[arg-type]
        if owner is not None:
            emptied[id(owner)] = (owner.body[-1].end_lineno, " " * fn.col_offset)  # type: ignore[assignment]
    lines = source.splitlines(keepends=True)
    drop = set()
    for a, b in spans:
        drop.update(range(a - 1, b))
    kept = [ln for i, ln in enumerate(lines) if i not in drop]
    out = "".join(kept)
    try:
        ast.parse(out)
        return out
    except SyntaxError:
        pass
    # a class whose body is now empty: put `pass` where its last statement ended
    for i in sorted({end for end, _ in emptied.values()}, reverse=True):
        indent = next(ind for end, ind in emptied.values() if end == i)
        lines.insert(i, f"{indent}pass\n")
    shifted = []
    for a, b in spans:
        shift = sum(1 for end in {e for e, _ in emptied.values()} if end < a - 1)
        shifted.append((a + shift, b + shift))
    drop = set()
    for a, b in shifted:
        drop.update(range(a - 1, b))
    out = "".join(ln for i, ln in enumerate(lines) if i not in drop)
    ast.parse(out)
    return out


def hidden_test_files(repo_root: Path, fail_to_pass: list[str]) -> dict[str, tuple[str, str]]:
    """{test file: (full text, text the agent sees)}: the FAIL_TO_PASS functions removed; a file where a test cannot
    be found by name (inherited) is hidden whole (the agent sees it empty)."""
    by_file: dict[str, list[list[str]]] = {}
    for t in fail_to_pass:
        f, parts = _node_path(t)
        by_file.setdefault(f, []).append(parts)
    out = {}
    for f, names in sorted(by_file.items()):
        full = (repo_root / f).read_text(encoding="utf-8")
        hidden = hide_tests(full, names) if all(names) else None
        out[f] = (full, hidden if hidden is not None else "")
    return out


# ---------------------------------------------------------------------------------------------------------------------
# workspaces
# ---------------------------------------------------------------------------------------------------------------------
_GIT_ENV = {"GIT_AUTHOR_NAME": "agentgym", "GIT_AUTHOR_EMAIL": "agentgym@localhost", "GIT_COMMITTER_NAME": "agentgym",
            "GIT_COMMITTER_EMAIL": "agentgym@localhost", "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git_init(folder: Path) -> None:
    """One commit of the whole folder, with a fixed identity and date (the agent's diff base)."""
    env = {**os.environ, **_GIT_ENV}
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "task base"]):
        subprocess.run(argv, cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL)


def apply_patch_here(folder: Path, patch: str, *, reverse: bool = False) -> None:
    if not patch:
        return
    argv = ["git", "apply", "--whitespace=nowarn"] + (["-R"] if reverse else []) + ["-"]
    subprocess.run(argv, cwd=folder, input=patch.encode(), check=True)


def workspace(inst: Instance) -> Path:
    """The task's starting copy (cached): the clean sdist, the gold patch reversed (the bug), the FAIL_TO_PASS tests
    removed (test_patch reversed), one git commit."""
    key = hashlib.sha256(json.dumps(inst.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
    root = repos_mod.cache_dir() / "workspaces" / f"{inst.instance_id}-{key}"
    if (root / ".git").exists():
        return root
    spec = repos_mod.repo(inst.repo)
    clean = repos_mod.repo_path(spec)
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(clean, tmp, ignore=shutil.ignore_patterns(".agentgym-ok", "__pycache__"))
    apply_patch_here(tmp, inst.patch, reverse=True)
    apply_patch_here(tmp, inst.test_patch, reverse=True)
    git_init(tmp)
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root
