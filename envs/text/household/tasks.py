"""Room layouts and the task suite of agentgym/Household-v0.

A *layout* ("kitchen-3") fixes which receptacles a room has and how many (cabinet 1..6, countertop 1..2, ...), like an
ALFRED floor plan. A *task* picks a layout, a task type, the object kind and target receptacle kind; its seed also
places every object (see world.build_world). Splits, like ALFWorld's train / valid_seen / valid_unseen:

    train         layouts 1-4 of each room type, task seeds 0..999
    heldout_seen  the same layouts, new seeds (new goals and placements): in distribution
    heldout       layouts 5-6 of each room type, never seen in training: out of distribution

Everything is drawn from `random.Random(seed)` with integer seeds, so the suite is the same on every machine and
Python version (Random's integer seeding and choice/randint are stable across CPython releases).
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from agentgym.core import Task, TaskSuite
from agentgym.envs.text.household import catalog as C

SUITE_NAME = "household"
SUITE_VERSION = "1"
SEEN_LAYOUTS = (1, 2, 3, 4)
UNSEEN_LAYOUTS = (5, 6)
SPLIT_SIZES = {"train": 1000, "heldout_seen": 100, "heldout": 100}
SPLIT_SEED_BASE = {"train": 0, "heldout_seen": 100_000, "heldout": 200_000}
"""Task seeds of a split are base + index; the ranges never meet, so no held-out task repeats a training one."""


@dataclass(frozen=True)
class ReceptacleSlot:
    name: str
    """"cabinet 3": kind, space, instance number (ALFWorld's naming)."""
    kind: str
    openable: bool


def layout_ids(room: str, indices: tuple[int, ...]) -> list[str]:
    return [f"{room}-{i}" for i in indices]


def build_layout(layout_id: str) -> list[ReceptacleSlot]:
    """The receptacles of a layout, in a fixed order. Deterministic in the id (crc32 of it seeds the draw)."""
    room, _, index = layout_id.rpartition("-")
    if room not in C.ROOM_RECEPTACLES or not index.isdigit():
        raise ValueError(f"layout id must be '<room>-<n>' with room one of {C.ROOM_TYPES}, got {layout_id!r}")
    rng = random.Random(zlib.crc32(layout_id.encode()))
    slots = []
    for rk in C.ROOM_RECEPTACLES[room]:
        for n in range(1, rng.randint(rk.min_count, rk.max_count) + 1):
            slots.append(ReceptacleSlot(f"{rk.kind} {n}", rk.kind, rk.openable))
    return slots


def _placement_pairs(room: str, kinds: list[str], task_type: str) -> list[tuple[str, str]]:
    """(object kind, target receptacle kind) pairs a placement task can ask for in a layout with these kinds."""
    modifier = C.MODIFIER.get(task_type)
    appliance = C.APPLIANCE.get(modifier) if modifier else None
    needs = {"clean": C.CLEANABLE, "heat": C.HEATABLE, "cool": C.COOLABLE}.get(modifier)  # type: ignore[arg-type]
    pairs = []
    for obj in C.ROOM_OBJECTS[room]:
        if needs is not None and obj not in needs:
            continue
        for recep in kinds:
            if recep == appliance or not C.accepts(recep, obj):
                continue
            # The object must be able to start somewhere other than the target (else the task is done at reset).
            if any(k != recep and C.accepts(k, obj) for k in kinds):
                pairs.append((obj, recep))
    return pairs


def make_task(split: str, index: int, layouts: list[str]) -> Task:
    """One task: its seed is the split's base + index; the seed draws the task type (uniformly over the six, as
    ALFWorld's are near balanced), a layout whose room has that type, then the object and target."""
    seed = SPLIT_SEED_BASE[split] + index
    rng = random.Random(seed)
    task_type = rng.choice(C.TASK_TYPES)
    layout_id = rng.choice([lid for lid in layouts if task_type in C.ROOM_TASK_TYPES[lid.rpartition("-")[0]]])
    room = layout_id.rpartition("-")[0]
    kinds = sorted({s.kind for s in build_layout(layout_id)})
    params: dict[str, str | None] = {"room": room, "layout": layout_id, "task_type": task_type,
                                      "object": None, "receptacle": None, "lamp": None}
    if task_type == "look_at_obj_in_light":
        lamp, _ = C.ROOM_LAMP[room]
        objects = [o for o in C.ROOM_OBJECTS[room] if any(C.accepts(k, o) for k in kinds)]
        params.update(object=rng.choice(objects), lamp=lamp)
    else:
        obj, recep = rng.choice(_placement_pairs(room, kinds, task_type))
        params.update(object=obj, receptacle=recep)
    template = rng.choice(C.GOAL_TEMPLATES[task_type])
    params["goal"] = template.format(obj=params["object"], recep=params["receptacle"], lamp=params["lamp"])
    return Task(id=f"{SUITE_NAME}/{split}/{index:05d}", split=split, seed=seed, params=params, family=layout_id)


def build_suite() -> TaskSuite:
    seen = [lid for room in C.ROOM_TYPES for lid in layout_ids(room, SEEN_LAYOUTS)]
    unseen = [lid for room in C.ROOM_TYPES for lid in layout_ids(room, UNSEEN_LAYOUTS)]
    layouts_of = {"train": seen, "heldout_seen": seen, "heldout": unseen}
    splits = {
        split: [make_task(split, i, layouts_of[split]) for i in range(size)]
        for split, size in SPLIT_SIZES.items()
    }
    return TaskSuite(SUITE_NAME, SUITE_VERSION, splits, train_splits=("train",))
