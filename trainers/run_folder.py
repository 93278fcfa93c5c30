"""A training run's folder holds one run: never two spliced together.

- A folder that holds a run (config.json, metrics.jsonl or checkpoints/) is refused unless the call says what to
  do with it: resume it, or overwrite it (its files are deleted first, so nothing of the old run is pruned, counted
  or resumed later).
- Resume compares the saved config.json with the new config: a different algorithm, model, seed or env is refused
  unless allow_config_change (then every change is listed); other changes (more steps, another eval cadence) are
  listed and allowed.
- Resume starts from the newest checkpoint that verifies against its manifest; damaged newer ones are set aside
  (renamed), and the caller is told which and why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from agentgym.trainers import checkpoints
from agentgym.trainers.config import ConfigError

CONFIG_FILE = "config.json"
RUN_FILES = (CONFIG_FILE, "metrics.jsonl")
RUN_DIRS = (checkpoints.CHECKPOINT_DIR, "tb", "rollouts", "reference", "vllm_init")

# Settings a resumed run must share with the run it continues: anything else would splice two different runs.
IDENTITY = ("algo.name", "run.seed", "model.", "env.id", "env.kwargs")
# Settings that never matter for what a run is (how it is shown, where it goes).
COSMETIC = ("run.progress_bar", "run.tensorboard", "run.out_dir")


def holds_run(run_dir: Path) -> bool:
    return any((run_dir / f).exists() for f in RUN_FILES) or (run_dir / checkpoints.CHECKPOINT_DIR).is_dir()


def prepare(run_dir: Path, new_config: dict[str, Any], *, resume: bool, overwrite: bool,
            allow_config_change: bool) -> tuple[Path | None, list[str]]:
    """Check the folder for this run and return (the checkpoint to resume from or None, notes to show the user)."""
    if resume and overwrite:
        raise ConfigError("--resume continues the run in run.out_dir and --overwrite deletes it: pass one")
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"run.out_dir {str(run_dir)!r} is a file; point it at a folder")
    notes: list[str] = []
    if not resume:
        if holds_run(run_dir):
            if not overwrite:
                raise ConfigError(f"run.out_dir {str(run_dir)!r} already holds a run; pass --resume to continue it, "
                                  "--overwrite to delete it and start afresh, or set another --set run.out_dir=...")
            for name in RUN_FILES:
                (run_dir / name).unlink(missing_ok=True)
            for name in RUN_DIRS:
                shutil.rmtree(run_dir / name, ignore_errors=True)
            notes.append(f"deleted the previous run in {run_dir} (--overwrite)")
        return None, notes
    ckpt, skipped = checkpoints.latest_intact_checkpoint(run_dir)
    for bad, reason in skipped:
        moved = checkpoints.set_aside(bad)
        notes.append(f"checkpoint {bad.name} is damaged ({reason}); set aside as {moved.name}")
    if ckpt is None:
        where = str(run_dir / checkpoints.CHECKPOINT_DIR)
        raise ConfigError(f"--resume: no intact checkpoint under {where!r}"
                          + (f" ({len(skipped)} damaged, set aside)" if skipped else "")
                          + "; run without --resume to start fresh, or point run.out_dir at the run to continue")
    if skipped:
        notes.append(f"resuming from {ckpt.name}, the newest intact checkpoint")
    saved = _saved_config(run_dir)
    if saved is not None:
        changes = config_changes(saved, new_config)
        blocking = [c for c in changes if c[0].startswith(IDENTITY)]
        if blocking and not allow_config_change:
            listed = "; ".join(f"{k}: {old!r} -> {new!r}" for k, old, new in blocking)
            raise ConfigError(f"--resume: the run in {str(run_dir)!r} was trained with other settings ({listed}); "
                              "resume with the same ones, or pass --allow-config-change to continue anyway")
        for k, old, new in changes:
            notes.append(f"changed since the run started: {k}: {old!r} -> {new!r}")
    return ckpt, notes


def config_changes(saved: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(dotted key, saved value, new value) for every setting that differs, cosmetic ones left out."""
    a, b = _flatten(saved), _flatten(json.loads(json.dumps(new, default=str)))
    keys = sorted(set(a) | set(b))
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k) and not k.startswith(COSMETIC)]


def _saved_config(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON ({e}); fix or delete it to resume") from None


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not key.endswith((".kwargs", ".params", ".task_params")):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out
