"""The folder an eval writes, so that nothing is lost and no two runs mix.

- Checked writable before the first episode (a probe file), not after the last one.
- trajectories.jsonl grows as episodes end (one line each, flushed): an interrupted eval keeps what it played.
- metrics.json and report.html are written at the end, and also when the eval is interrupted (Ctrl-C, SIGTERM, a
  crash), from the episodes that finished, marked "partial" with how many of how many.
- A folder that already holds an eval is never silently overwritten: `resume` continues a partial one (same env,
  split, tasks, seed and policy, checked against its metrics.json) without replaying its finished episodes;
  `overwrite` starts afresh.
"""

from __future__ import annotations

import json
import os
from typing import Any

from agentgym.types import IMAGES_DIR, Trajectory

METRICS = "metrics.json"
TRAJECTORIES = "trajectories.jsonl"
REPORT = "report.html"

# What must match for `resume` to continue an eval rather than mix two different ones.
_RESUME_KEYS = ("env", "split", "n", "group_size", "seed", "policy", "env_kwargs", "history", "window_turns",
                "max_turns")


class EvalFolder:
    """One eval's output folder. `open()` before playing, `add()` each finished episode, `finish()` at the end
    (partial=True when interrupted)."""

    def __init__(self, out_dir: str, run: dict[str, Any], *, resume: bool = False, overwrite: bool = False):
        if resume and overwrite:
            raise ValueError("--resume continues the eval in the folder and --overwrite replaces it: pass one")
        self.out_dir = out_dir
        self.run = dict(run)
        self.resume = resume
        self.overwrite = overwrite
        self.paths = {"metrics": os.path.join(out_dir, METRICS), "trajectories": os.path.join(out_dir, TRAJECTORIES),
                      "report": os.path.join(out_dir, REPORT)}
        self.previous: list[Trajectory] = []
        """Episodes a resumed eval already has (read back from trajectories.jsonl)."""
        self.added: list[Trajectory] = []
        self._file: Any = None

    # -- before the first episode -------------------------------------------------------------------------------------
    def open(self) -> list[Trajectory]:
        """Check the folder (writable; holds no other run unless resumed or overwritten), open the stream; return
        the episodes a resumed eval already has."""
        if os.path.exists(self.out_dir) and not os.path.isdir(self.out_dir):
            raise FileExistsError(f"--out {self.out_dir!r} is a file, not a folder; pass a folder path")
        held = self._held_run()
        if held is not None and not (self.resume or self.overwrite):
            state = "a partial" if held.get("partial") else "a finished"
            raise FileExistsError(f"--out {self.out_dir!r} already holds {state} eval ({held.get('policy')} on "
                                  f"{held.get('env')}); pass --resume to continue it, --overwrite to replace it, or "
                                  "another --out")
        if self.resume:
            self.previous = self._resumable(held)
        try:
            os.makedirs(self.out_dir, exist_ok=True)
            probe = os.path.join(self.out_dir, ".write_test")
            with open(probe, "w") as f:
                f.write("ok")
            os.remove(probe)
        except OSError as e:
            raise PermissionError(f"cannot write to --out {self.out_dir!r}: {e.strerror or e}; pass a folder you "
                                  "can write to") from None
        if not self.resume:
            for name in (METRICS, TRAJECTORIES, REPORT):
                path = os.path.join(self.out_dir, name)
                if os.path.exists(path):
                    os.remove(path)
        self._file = open(self.paths["trajectories"], "a" if self.resume else "w", encoding="utf-8")
        # A crash before the first metrics.json still leaves a folder that says what it is.
        self._write_metrics({}, partial=True, episodes=len(self.previous))
        return list(self.previous)

    def _held_run(self) -> dict[str, Any] | None:
        path = self.paths["metrics"]
        if not os.path.isfile(path):
            if os.path.isfile(self.paths["trajectories"]):
                return {"partial": True}
            return None
        try:
            with open(path, encoding="utf-8") as f:
                return dict(json.load(f).get("run", {}))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path} is not a readable metrics file ({e}); pass --overwrite to replace the eval "
                             "in that folder") from None

    def _resumable(self, held: dict[str, Any] | None) -> list[Trajectory]:
        if held is None:
            raise FileNotFoundError(f"--resume: {self.out_dir!r} holds no eval to continue; run without --resume")
        if not held.get("partial", False):
            raise FileExistsError(f"--resume: the eval in {self.out_dir!r} is finished; pass --overwrite to run it "
                                  "again, or another --out")
        changed = [k for k in _RESUME_KEYS if k in held and held.get(k) != self.run.get(k)]
        if changed:
            diff = ", ".join(f"{k}: {held.get(k)!r} -> {self.run.get(k)!r}" for k in changed)
            raise ValueError(f"--resume: the eval in {self.out_dir!r} was run with other settings ({diff}); "
                             "resume with the same ones, or pass --overwrite")
        return read_trajectories(self.paths["trajectories"])

    # -- while playing ------------------------------------------------------------------------------------------------
    def add(self, traj: Trajectory) -> None:
        """Append one finished episode to trajectories.jsonl, flushed."""
        self._file.write(traj.to_json(os.path.join(self.out_dir, IMAGES_DIR)) + "\n")
        self._file.flush()
        self.added.append(traj)

    # -- at the end ---------------------------------------------------------------------------------------------------
    def finish(self, trajectories: list[Trajectory], metrics: dict[str, float], *, partial: bool,
               title: str) -> dict[str, str]:
        """metrics.json and report.html from `trajectories` (every episode so far, in task order); the JSONL is
        rewritten in task order once the eval is complete."""
        from agentgym.report.html import write_report
        from agentgym.types import write_jsonl

        if self._file is not None:
            self._file.close()
            self._file = None
        if not partial:
            tmp = self.paths["trajectories"] + ".tmp"
            write_jsonl(tmp, trajectories)
            os.replace(tmp, self.paths["trajectories"])
        self._write_metrics(metrics, partial=partial, episodes=len(trajectories))
        write_report(self.paths["report"], trajectories, metrics, title=title + (" (partial)" if partial else ""),
                     run=self.run)
        return dict(self.paths)

    def _write_metrics(self, metrics: dict[str, float], *, partial: bool, episodes: int) -> None:
        run = dict(self.run, partial=partial, episodes_done=episodes)
        tmp = self.paths["metrics"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"run": run, "metrics": metrics}, f, indent=2)
        os.replace(tmp, self.paths["metrics"])


def read_trajectories(path: str) -> list[Trajectory]:
    """Trajectories of a JSONL file; a last line cut short (the writer was killed mid-line) is dropped, any other bad
    line is an error naming the file and line."""
    import warnings

    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out: list[Trajectory] = []
    base = os.path.dirname(os.path.abspath(path))
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(Trajectory.from_json(line, base))
        except (ValueError, TypeError, KeyError) as e:
            if i == last:
                warnings.warn(f"{path}, line {i + 1}: cut short ({e}); skipped", stacklevel=2)
                continue
            raise ValueError(f"{path}, line {i + 1}: not a trajectory ({type(e).__name__}: {e})") from None
    return out
