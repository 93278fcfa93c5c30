"""The task suite of agentgym/TextWorld-v0: which games to make (settings and seed), not the games themselves.

A task is a `tw-make custom` call: world size (rooms), number of objects, quest length, seed. The game files are
made on first use and cached (see games.py). Splits:

    train          1000 tasks, seeds 1..1000, alternating the "easy" and "medium" settings
    heldout        6 tasks, seeds 100001..100006, same settings: in distribution (new maps and quests)
    heldout_hard   3 tasks, seeds 200001..200003, the "hard" settings (bigger worlds, longer quests): out of
                   distribution

The held-out splits are small on purpose: every game costs ~2 s to make (Inform 7 compile), and the test suite makes
and solves all of them. Build a bigger evaluation set with `make_tasks(...)` and pass the Task objects to reset.
"""

from __future__ import annotations

from agentgym.core import Task, TaskSuite

SUITE_NAME = "textworld"
SUITE_VERSION = "1"

SETTINGS: dict[str, dict[str, int]] = {
    "easy": {"world_size": 2, "nb_objects": 4, "quest_length": 2},
    "medium": {"world_size": 3, "nb_objects": 6, "quest_length": 4},
    "hard": {"world_size": 5, "nb_objects": 10, "quest_length": 6},
}
"""Named `tw-make custom` settings: --world-size (rooms), --nb-objects (at least), --quest-length (actions)."""


def make_tasks(split: str, seeds: range, levels: tuple[str, ...]) -> list[Task]:
    """Tasks for these seeds, cycling through the named settings. Ids are "textworld/<split>/<seed>"."""
    tasks = []
    for i, seed in enumerate(seeds):
        level = levels[i % len(levels)]
        if level not in SETTINGS:
            raise ValueError(f"unknown TextWorld settings {level!r}; choose one of {sorted(SETTINGS)}")
        tasks.append(Task(id=f"{SUITE_NAME}/{split}/{seed:06d}", split=split, seed=seed,
                          params={"level": level, **SETTINGS[level]}, family=level))
    return tasks


def build_suite() -> TaskSuite:
    return TaskSuite(SUITE_NAME, SUITE_VERSION, {
        "train": make_tasks("train", range(1, 1001), ("easy", "medium")),
        "heldout": make_tasks("heldout", range(100_001, 100_007), ("easy", "medium")),
        "heldout_hard": make_tasks("heldout_hard", range(200_001, 200_004), ("hard",)),
    })
