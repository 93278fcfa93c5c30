"""manifest.json: what a run was, so two runs can be told apart afterwards and one can be rerun exactly.

Every eval folder and training run folder gets one: agentgym's version and git commit, the versions of python and the
packages that decide results, the env id, its suite and version, the split and the task ids played, the seeds, the
policy spec with a hash of the model's config (or the server it talked to), every generation setting, the limits and
batch sizes. `agentgym eval --like RUN` reruns an eval from it; `agentgym view` and report.html show it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

FILE = "manifest.json"
PACKAGES = ("torch", "transformers", "gymnasium", "numpy", "openai", "vllm", "textworld", "nle", "minihack",
            "playwright", "docker", "pettingzoo")
"""Packages whose version is recorded when installed (the core's and each env family's extra)."""


def build(kind: str, *, env_id: str, env_kwargs: dict[str, Any] | None, split: str | None,
          task_ids: Sequence[str], seed: int, policy: str | None = None, policy_obj: Any = None,
          settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of an eval ("eval") or a training run ("train"). settings: everything else that decides results
    (n, group size, limits, batch sizes, history, the trainer's config)."""
    return {
        "kind": kind,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "agentgym": {"version": _agentgym_version(), "git_commit": git_commit()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "env": {"id": env_id, "kwargs": env_kwargs or {}, **suite_of(env_id, env_kwargs)},
        "split": split,
        "task_ids": list(task_ids),
        "seed": seed,
        "policy": {"spec": policy, **model_identity(policy_obj)},
        "settings": settings or {},
        "command": [os.path.basename(sys.argv[0]), *sys.argv[1:]] if sys.argv else [],
    }


def write(folder: str | os.PathLike, manifest: dict[str, Any]) -> Path:
    path = Path(folder) / FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read(folder: str | os.PathLike) -> dict[str, Any]:
    path = Path(folder) / FILE if Path(folder).is_dir() else Path(folder)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass a folder written by `agentgym eval` or `agentgym train` "
                                "(it holds manifest.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from None


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    """The commit of the agentgym checkout this runs from (with "+dirty" when it has local changes), or None when it
    is not a git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+dirty" if dirty else "")) or None


def suite_of(env_id: str, env_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """The env's task suite name and version (when it has one)."""
    try:
        from agentgym.registry import make

        env = make(env_id, **(env_kwargs or {}))
    except Exception:  # a factory, or an env that cannot be built here: the id says what it can
        return {}
    try:
        suite = getattr(env.unwrapped, "suite", None)
        return {"suite": suite.name, "suite_version": suite.version} if suite is not None else {}
    finally:
        env.close()


def model_identity(policy: Any) -> dict[str, Any]:
    """What identifies the model behind a policy: a hash of its config and its name or path (transformers), the
    served model and server URL (OpenAI-compatible), nothing for scripted policies."""
    if policy is None:
        return {}
    out: dict[str, Any] = {"class": type(policy).__name__}
    model = getattr(policy, "model", None)
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "to_json_string"):
        text = config.to_json_string(use_diff=False)
        out["model_config_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        out["model_name_or_path"] = getattr(config, "_name_or_path", None)
    elif isinstance(model, str):
        out["model"] = model
    if getattr(policy, "base_url", None):
        out["base_url"] = policy.base_url
    served = getattr(policy, "served_models", None)
    if served:  # what the server said it ran, which can differ from the name asked for (aliases, file paths)
        out["server_reported_model"] = sorted(served)[0] if len(served) == 1 else sorted(served)
    settings = getattr(policy, "generation_settings", None)
    if callable(settings):
        out["generation"] = settings()
    return out


def _agentgym_version() -> str:
    from agentgym import __version__

    return __version__
