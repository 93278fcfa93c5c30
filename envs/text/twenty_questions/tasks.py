"""The twenty-questions task suite: one task per hidden object; held-out objects are never seen in training.

Within each category the objects are shuffled with a fixed seed and about a fifth of them (at least one) go to
"heldout", so every category appears in both splits but no held-out object is ever a training answer.
"""

from __future__ import annotations

import random

from agentgym.core import Task, TaskSuite
from agentgym.envs.text.twenty_questions.questions import load_table

SUITE_NAME = "twenty_questions"
SUITE_VERSION = "1"
HELDOUT_FRACTION = 0.2


def split_objects() -> dict[str, list[str]]:
    table = load_table()
    by_cat: dict[str, list[str]] = {}
    for name, cat in zip(table.names, table.categories):
        by_cat.setdefault(cat, []).append(name)
    out: dict[str, list[str]] = {"train": [], "heldout": []}
    for cat, names in by_cat.items():
        names = sorted(names)
        random.Random(f"{SUITE_NAME}-v{SUITE_VERSION}-{cat}").shuffle(names)
        k = max(1, round(HELDOUT_FRACTION * len(names)))
        out["heldout"] += names[:k]
        out["train"] += names[k:]
    return out


def build_suite() -> TaskSuite:
    table = load_table()
    category = dict(zip(table.names, table.categories))
    splits = {split: [Task(id=f"{SUITE_NAME}/{split}/{name.replace(' ', '_')}", split=split,
                           params={"object": name}, answer=name, family=category[name])
                      for name in names]
              for split, names in split_objects().items()}
    return TaskSuite(SUITE_NAME, SUITE_VERSION, splits)


SUITE = build_suite()
