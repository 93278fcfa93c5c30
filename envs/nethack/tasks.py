"""Task suites of the NetHack envs: one per MiniHack task and one for full NetHack, with train / heldout splits.

A task is a level seed. For MiniHack's own tasks (Room, Corridor, MazeWalk, KeyRoom) the seed is NLE's level-generation
seed (`lgen`): the same seed gives the same layout whatever the episode's dynamics seed. For the generated tasks (Lava,
Boulder) the seed picks the layout in Python (levels.py). For NetHack-v0 it is the dungeon's `lgen` seed.

Held-out differs from training by seed (train seeds in [0, 1_000_000), held-out in [1_000_000, 2_000_000)), and so by
layout: for generated tasks a test checks that no held-out layout occurs in training; for MiniHack's tasks the layout
is a function of the seed (the sample that tests check shows no repeats).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agentgym.core import Task, TaskSuite
from agentgym.envs.nethack import actions as A

SUITE_VERSION = "1"
SEED_BASE = {"train": 0, "heldout": 1_000_000}


@dataclass(frozen=True)
class MiniHackTask:
    """One MiniHack task: where its level comes from, its action set and turn limit (MiniHack's episode limit)."""

    name: str
    gym_id: str | None
    """MiniHack's registered env id, or None for a level generated in levels.py."""
    generator: str | None
    """"lava" | "boulder" for generated levels."""
    max_turns: int
    actions: tuple[str, ...]
    goal: str
    """One sentence for the prompt."""
    train_size: int = 500
    heldout_size: int = 50


MINIHACK_TASKS: dict[str, MiniHackTask] = {t.name: t for t in (
    MiniHackTask(name="Room", gym_id="MiniHack-Room-Random-5x5-v0", generator=None, max_turns=100,
                 actions=A.MINIHACK_NAVIGATION, goal="Reach the stairs down in a lit 5x5 room."),
    MiniHackTask(name="Corridor", gym_id="MiniHack-Corridor-R2-v0", generator=None, max_turns=1000,
                 actions=A.MINIHACK_CORRIDOR, goal="Find the stairs down: two rooms joined by dark corridors."),
    MiniHackTask(name="MazeWalk", gym_id="MiniHack-MazeWalk-9x9-v0", generator=None, max_turns=200,
                 actions=A.MINIHACK_NAVIGATION, goal="Find the stairs down in a dark 9x9 maze."),
    MiniHackTask(name="KeyRoom", gym_id="MiniHack-KeyRoom-S5-v0", generator=None, max_turns=200,
                 actions=A.MINIHACK_KEYROOM,
                 goal="Pick up the key, unlock the locked door with it (apply <key letter> <direction> y), and "
                      "reach the stairs down behind the door."),
    MiniHackTask(name="Lava", gym_id=None, generator="lava", max_turns=100, actions=A.MINIHACK_NAVIGATION,
                 goal="Cross the room to the stairs down without stepping into the lava."),
    MiniHackTask(name="Boulder", gym_id=None, generator="boulder", max_turns=100, actions=A.MINIHACK_NAVIGATION,
                 goal="Reach the stairs down beyond the wall: push boulders (walk into them) to clear the gap."),
)}
"""The MiniHack suite: Room, Corridor, MazeWalk, KeyRoom (MiniHack's), Lava and Boulder (generated here)."""

NAVIGATION = ("Room", "Corridor", "MazeWalk", "Lava", "Boulder", "KeyRoom")


def _split(name: str, split: str, n: int, params: dict) -> list[Task]:
    rng = random.Random(f"{name}-v{SUITE_VERSION}-{split}")
    seeds = rng.sample(range(1_000_000), n)
    return [Task(id=f"{name.lower()}/{split}/{i:04d}", split=split, seed=SEED_BASE[split] + s, params=dict(params),
                 family=name) for i, s in enumerate(seeds)]


def minihack_suite(name: str) -> TaskSuite:
    spec = MINIHACK_TASKS[name]
    params = {"task": name, "max_turns": spec.max_turns}
    return TaskSuite(f"minihack-{name.lower()}", SUITE_VERSION,
                     {"train": _split(name, "train", spec.train_size, params),
                      "heldout": _split(name, "heldout", spec.heldout_size, params)})


NETHACK_SPLIT_SIZES = {"train": 1000, "heldout": 50}


def nethack_suite() -> TaskSuite:
    return TaskSuite("nethack", SUITE_VERSION, {s: _split("NetHack", s, n, {"task": "NetHack"})
                                                for s, n in NETHACK_SPLIT_SIZES.items()})
