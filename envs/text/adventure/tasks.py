"""The adventure's task suite: levels, families, and the train / heldout splits (built deterministically).

Held-out differs from training in two ways:
  - seeds: training tasks use seeds in [0, 1_000_000), held-out tasks seeds in [1_000_000, 2_000_000);
  - families: half of each level's held-out tasks come from families never seen in training: the "return" quest
    (take an object and bring it back to the starting room) on every level, and the "ring" layout (a cycle of
    rooms) on medium and hard. The other half use the training families with new seeds.

Tasks carry only their knobs (Task.params) and a seed; the world is generated when an episode starts.
"""

from __future__ import annotations

import random
from typing import Any

from agentgym.core import Task, TaskSuite

SUITE_NAME = "adventure"
SUITE_VERSION = "1"

LEVELS: dict[str, dict[str, Any]] = {
    # (low, high) ranges, inclusive, drawn per task
    "easy": {"rooms": (2, 3), "locked_doors": (0, 1), "containers": (1, 2), "distractors": (0, 1),
             "subgoals": (1, 2), "max_turns": 15},
    "medium": {"rooms": (4, 6), "locked_doors": (1, 2), "containers": (2, 3), "distractors": (2, 3),
               "subgoals": (3, 4), "max_turns": 40},
    "hard": {"rooms": (7, 10), "locked_doors": (2, 3), "containers": (3, 4), "distractors": (4, 6),
             "subgoals": (5, 7), "max_turns": 60},
}
"""The named levels. Easy is what a ~100k-parameter model learns on CPU in minutes."""

TRAIN_TOPOLOGIES = ("chain", "tree")
TRAIN_GOALS = ("reach", "fetch", "deliver", "unlock")
HELDOUT_ONLY_TOPOLOGIES = ("ring",)
HELDOUT_ONLY_GOALS = ("return",)

SPLIT_SIZES = {"train": {"easy": 400, "medium": 300, "hard": 300}, "heldout": {"easy": 60, "medium": 60, "hard": 60}}
SEED_BASE = {"train": 0, "heldout": 1_000_000}


def task_params(level: str, rng: random.Random, *, topology: str, goal: str) -> dict[str, Any]:
    spec = LEVELS[level]

    def draw(name: str) -> int:
        lo, hi = spec[name]
        return rng.randint(lo, hi)

    rooms = draw("rooms")
    if topology == "ring":
        rooms = max(rooms, 4)
    locked = min(draw("locked_doors"), rooms - 1)
    if level == "easy":
        # an easy quest has at most 2 subgoals: behind a locked door only "take the key, unlock the door" fits
        goal = "unlock" if locked else goal
        if goal == "unlock" and not locked:
            locked = 1
    if goal == "unlock" and locked == 0:
        locked = 1
    if topology == "ring":
        # a single locked door on a cycle can be walked around: lock enough of them to make the quest long
        locked = max(locked, 2 if level == "medium" else 3)
    lo, hi = spec["subgoals"]
    return {"level": level, "rooms": rooms, "locked_doors": locked, "containers": draw("containers"),
            "distractors": draw("distractors"), "min_subgoals": lo, "max_subgoals": hi, "topology": topology,
            "goal": goal, "max_turns": spec["max_turns"]}


def _families(level: str, split: str, i: int) -> tuple[str, str]:
    """Round-robin over families so every split holds each of its families."""
    if split == "train" or i % 2 == 0:  # training families (new seeds on heldout)
        pairs = [(t, g) for t in TRAIN_TOPOLOGIES for g in TRAIN_GOALS]
    else:  # families never seen in training
        topologies = TRAIN_TOPOLOGIES + (HELDOUT_ONLY_TOPOLOGIES if level != "easy" else ())
        pairs = [(t, g) for t in topologies for g in TRAIN_GOALS + HELDOUT_ONLY_GOALS
                 if t in HELDOUT_ONLY_TOPOLOGIES or g in HELDOUT_ONLY_GOALS]
    return pairs[(i // (1 if split == "train" else 2)) % len(pairs)]


def build_split(split: str) -> list[Task]:
    tasks = []
    for level, n in SPLIT_SIZES[split].items():
        rng = random.Random(f"{SUITE_NAME}-v{SUITE_VERSION}-{split}-{level}")
        for i in range(n):
            topology, goal = _families(level, split, i)
            params = task_params(level, rng, topology=topology, goal=goal)
            seed = SEED_BASE[split] + rng.randrange(1_000_000)
            tasks.append(Task(id=f"{SUITE_NAME}/{split}/{level}-{i:04d}", split=split, seed=seed, params=params,
                              family=f"{params['topology']}/{params['goal']}"))
    return tasks


def build_suite() -> TaskSuite:
    return TaskSuite(SUITE_NAME, SUITE_VERSION, {"train": build_split("train"), "heldout": build_split("heldout")})


SUITE = build_suite()


def tasks_for(split: str, level: str | None = None) -> list[Task]:
    """The tasks of a split, optionally of one level (e.g. tasks_for("heldout", "easy"))."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)} or None, got {level!r}")
    return [t for t in SUITE.split(split) if level is None or t.params["level"] == level]
