"""Making TextWorld games offline and caching them: one .z8 (plus its .json) per task, deterministic in the seed.

Generation is textworld's own (`textworld.generator.make_game` then `compile_game`, what `tw-make custom` runs).
Cache layout: <cache_dir>/tw<version>-<level>-w<rooms>-o<objects>-q<length>-s<seed>.z8 (+ .json), where cache_dir is
the `cache_dir` argument, else $AGENTGYM_CACHE/textworld, else ~/.cache/agentgym/textworld. The textworld version is
part of the name because another version's generator may make a different game from the same seed.
Writes are atomic (made in a temporary folder, then renamed), so parallel workers can share a cache.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from agentgym.core import Task

TEXTWORLD_LOCK = threading.RLock()
"""Serialises every call into textworld within a process. Its logic parser (a module-level tatsu parser, used when a
game loads or is made) is not thread-safe, and the rollout engine steps envs from a thread pool: two games loading at
once failed with tatsu parse errors. For parallel game making use `generate_games(..., workers=N)` (processes)."""

INSTALL_HINT = "install it with `pip install 'agentgym[textworld]'`"
MAX_SEED_RETRIES = 5
"""A seed whose quest cannot be generated is retried with derived seeds (seed + k * 1_000_003), deterministically."""


def require_textworld() -> Any:
    try:
        import textworld
    except ImportError as e:
        raise ImportError(f"agentgym/TextWorld-v0 needs the `textworld` package (missing: {e.name}); "
                          f"{INSTALL_HINT}") from e
    return textworld


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    root = os.environ.get("AGENTGYM_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "agentgym") / "textworld"


def game_path(task: Task, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    textworld = require_textworld()
    p = task.params
    name = (f"tw{textworld.__version__}-{p.get('level', 'custom')}-w{p['world_size']}-o{p['nb_objects']}"
            f"-q{p['quest_length']}-s{task.seed}.z8")
    return resolve_cache_dir(cache_dir) / name


def make_game(task: Task) -> Any:
    """The textworld Game of a task (in memory, not compiled). Same task -> same game."""
    textworld = require_textworld()
    from textworld.generator import QuestGenerationError

    last_error: Exception | None = None
    for k in range(MAX_SEED_RETRIES):
        options = textworld.GameOptions()
        options.seeds = task.seed + k * 1_000_003
        options.nb_rooms = int(task.params["world_size"])
        options.nb_objects = int(task.params["nb_objects"])
        options.quest_length = int(task.params["quest_length"])
        try:
            with TEXTWORLD_LOCK:
                return textworld.generator.make_game(options)
        except QuestGenerationError as e:  # rare: the map admits no quest of that length; try the next derived seed
            last_error = e
    raise RuntimeError(f"textworld could not make a quest for task {task.id!r} (params {dict(task.params)}) in "
                       f"{MAX_SEED_RETRIES} seeds: {last_error}; lower quest_length or raise world_size")


def ensure_game(task: Task, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of the task's compiled game, making and caching it first if needed (~2 s)."""
    textworld = require_textworld()
    path = game_path(task, cache_dir)
    if path.is_file() and path.with_suffix(".json").is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with TEXTWORLD_LOCK:
        game = make_game(task)
        tmp = Path(tempfile.mkdtemp(prefix=".making-", dir=path.parent))
        try:
            options = textworld.GameOptions()
            options.path = str(tmp / path.name)
            options.force_recompile = True
            compiled = Path(textworld.generator.compile_game(game, options))
            # .json first: a .z8 is only ever visible with its .json beside it (the check above relies on it).
            os.replace(compiled.with_suffix(".json"), path.with_suffix(".json"))
            os.replace(compiled, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _ensure_one(args: tuple[Task, str | None]) -> str:
    return str(ensure_game(*args))


def generate_games(tasks: Sequence[Task], cache_dir: str | os.PathLike[str] | None = None,
                   workers: int = 1) -> list[Path]:
    """Make (or find in the cache) the games of many tasks, in `workers` processes. Returns their paths, in order."""
    require_textworld()
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    jobs = [(t, None if cache_dir is None else str(cache_dir)) for t in tasks]
    if workers == 1 or len(jobs) <= 1:
        return [Path(_ensure_one(j)) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [Path(p) for p in pool.map(_ensure_one, jobs)]
