"""The SWE sandbox's task suite: the shipped, generated instances (data/tasks-v1.jsonl) in three splits.

    train          bugs in the training repositories
    heldout        other bugs in the training repositories (never trained on)
    heldout_repos  bugs in repositories no training task comes from (out-of-distribution: inflection, webcolors,
                   xmltodict)

Regenerate (deterministic) with `python -m agentgym.envs.swe.generate make`, validate with `... validate`.
"""

from __future__ import annotations

import functools

from agentgym.core import Task, TaskSuite
from agentgym.envs.swe.generate import HELDOUT_REPOS, SHIPPED, SUITE_VERSION
from agentgym.envs.swe.instances import Instance, read_jsonl

SPLITS = ("train", "heldout", "heldout_repos")


@functools.lru_cache(maxsize=1)
def shipped_instances() -> dict[str, Instance]:
    return {i.instance_id: i for i in read_jsonl(SHIPPED)}


def task_of(inst: Instance, split: str | None = None) -> Task:
    return Task(id=inst.instance_id, split=split or inst.agentgym.get("split", "custom"),
                params={"instance_id": inst.instance_id}, family=inst.repo)


def build_suite() -> TaskSuite:
    splits: dict[str, list[Task]] = {s: [] for s in SPLITS}
    for inst in shipped_instances().values():
        splits[inst.agentgym["split"]].append(task_of(inst))
    return TaskSuite("swe-pypi", SUITE_VERSION, splits, train_splits=("train",))


SUITE = build_suite()
__all__ = ["SUITE", "SPLITS", "HELDOUT_REPOS", "shipped_instances", "task_of"]
