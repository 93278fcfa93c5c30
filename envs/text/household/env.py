"""agentgym/Household-v0: an ALFWorld-like household in pure Python."""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task
from agentgym.envs.text.household.oracle import oracle_action
from agentgym.envs.text.household.tasks import build_suite
from agentgym.envs.text.household.world import Goal, World, build_world

NOTHING_HAPPENS = "Nothing happens."
INTRO = "-= Welcome to TextWorld, ALFRED! =-"

# ALFWorld's command grammar. "move X to Y" is ALFWorld >= 0.3; "put X in/on Y" (and "in", "on") is the older form.
_COMMANDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^go to (?P<a>.+)$"), "go"),
    (re.compile(r"^open (?P<a>.+)$"), "open"),
    (re.compile(r"^close (?P<a>.+)$"), "close"),
    (re.compile(r"^take (?P<a>.+?) from (?P<b>.+)$"), "take"),
    (re.compile(r"^move (?P<a>.+?) to (?P<b>.+)$"), "move"),
    (re.compile(r"^put (?P<a>.+?) (?:in/on|in|on|into|onto) (?P<b>.+)$"), "put"),
    (re.compile(r"^(?P<verb>heat|cool|clean) (?P<a>.+?) with (?P<b>.+)$"), "transform"),
    (re.compile(r"^use (?P<a>.+)$"), "use"),
    (re.compile(r"^examine (?P<a>.+)$"), "examine"),
    (re.compile(r"^(?:look|l)$"), "look"),
    (re.compile(r"^(?:inventory|inv|i)$"), "inventory"),
]


def normalize(action: str) -> str:
    """Lowercase, one space between words, no trailing full stop or quotes: 'Go to  Cabinet 1.' -> 'go to cabinet 1'."""
    text = " ".join(action.strip().lower().split())
    return text.strip("\"'`").rstrip(".!").strip()


class HouseholdEnv(AgentEnv):
    """An ALFWorld-like household: find objects, change their state, put them in place, in one room.

    Task:
        One goal in one room (kitchen, living room, bedroom, bathroom), of ALFWorld's six types:
        pick_and_place ("put a mug in coffeemachine"), pick_clean_then_place ("put a clean lettuce in diningtable"),
        pick_heat_then_place, pick_cool_then_place, look_at_obj_in_light ("look at book under the desklamp") and
        pick_two_obj_and_place ("put two cellphone in sofa"). The target names a receptacle *kind*: any instance
        counts. Receptacles come from the room's layout; objects are placed by the task's seed.
        Splits (suite "household" v1): train (1000 tasks, layouts 1-4 of each room), heldout_seen (100 tasks, same
        layouts, new seeds: in distribution), heldout (100 tasks, layouts 5-6: unseen, out of distribution).
    Observation:
        Text, as ALFWorld writes it. Reset: "-= Welcome to TextWorld, ALFRED! =-", the room ("You are in the middle
        of a room. Looking quickly around you, you see a cabinet 1, ...") and "Your task is to: <goal>.". After a
        step: the command's feedback ("You arrive at countertop 1. On the countertop 1, you see a apple 1, and a
        knife 2.", "You open the fridge 1. The fridge 1 is open. In it, you see nothing.", "Nothing happens.").
        info["admissible_actions"]: every command that does something now, sorted; info["goal"], info["task_type"].
    Actions:
        One command per turn, case and spacing free: go to X, open X, close X, take X from Y, move X to Y (also the
        older "put X in/on Y"), heat X with Y, cool X with Y, clean X with Y, use X (toggle a lamp), examine X, look,
        inventory. Anything else, or a command that does nothing in the current state, returns "Nothing happens."
        with info["valid_action"] = False; it never raises.
    Reward:
        Sparse: 1.0 on the step that completes the goal, else 0.0. info["progress"] is the fraction of the task's
        subgoals done, latched in order (pick_and_place: holding the object, object placed; clean/heat/cool: holding,
        object in the state, placed; look: holding, lit; two objects: holding, one placed, two placed).
    Episode end:
        Terminated (success=True) when the goal holds. Truncated after `max_turns` (default 50). Nothing else ends
        an episode (as in ALFWorld, there is no failure state).
    Arguments:
        max_turns (int, default 50), split ("train" | "heldout_seen" | "heldout", default "train": the split reset
        samples from when options gives no task), render_mode (None | "ansi").
    Dependencies:
        None (pure Python).
    Version history:
        v0: first version.
    """

    suite = build_suite()
    default_max_turns = 50

    def __init__(self, *, max_turns: int | None = None, split: str | None = None, render_mode: str | None = None):
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.world: World | None = None
        self.goal: Goal | None = None
        self._subgoals_done = 0

    @property
    def _w(self) -> World:
        assert self.world is not None, "call reset() first"
        return self.world

    @property
    def system_prompt(self) -> str:
        return (
            "You are in a household and must complete the task you are given. Reply with exactly one command per "
            "turn, from: go to X, open X, close X, take X from Y, move X to Y, heat X with Y, cool X with Y, "
            "clean X with Y, use X, examine X, look, inventory. Name things exactly as the observation does "
            "(e.g. 'take apple 1 from countertop 2'). You can carry one object at a time; open a closed receptacle "
            "before taking from or putting into it. Heat with a microwave, cool with a fridge, clean with a sinkbasin."
        )

    # -- AgentEnv hooks -------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        # The episode depends on the task only (its seed places the objects); rng is not needed.
        self.world, self.goal = build_world(dict(task.params), task.seed)
        self._subgoals_done = 0
        return f"{INTRO}\n\n{self.world.room_overview()}\n\nYour task is to: {self.goal.text}."

    def _act(self, action: str) -> StepOutcome:
        world, goal = self._w, self.goal
        assert goal is not None
        feedback = self._execute(normalize(action))
        if feedback is None:
            return StepOutcome(NOTHING_HAPPENS, valid_action=False, progress=self._progress_now())
        success = world.succeeded(goal)
        return StepOutcome(feedback, reward=1.0 if success else 0.0, terminated=success, success=success,
                           progress=1.0 if success else self._progress_now())

    def oracle_action(self) -> str:
        assert self.goal is not None, "call reset() first"
        return oracle_action(self._w, self.goal)

    def _extra_info(self) -> dict[str, Any]:
        if self.world is None or self.goal is None:
            return {}
        return {"admissible_actions": self.world.admissible(), "goal": self.goal.text,
                "task_type": self.goal.task_type}

    # -- internals ------------------------------------------------------------------------------------------------
    def _execute(self, command: str) -> str | None:
        w = self._w
        for pattern, name in _COMMANDS:
            m = pattern.match(command)
            if m is None:
                continue
            if name in ("go", "open", "close", "use", "examine"):
                return getattr(w, name)(m["a"])
            if name == "take":
                return w.take(m["a"], m["b"])
            if name in ("move", "put"):
                return w.put(m["a"], m["b"], name)
            if name == "transform":
                return w.transform(m["verb"], m["a"], m["b"])
            return w.look() if name == "look" else w.inventory()
        return None

    def subgoals(self) -> list[tuple[str, Callable[[World], bool]]]:
        """The task's subgoals in order, each a (description, predicate on the world)."""
        goal = self.goal
        assert goal is not None
        obj, recep = goal.object, goal.receptacle
        hold = (f"hold a {obj}", lambda w: w.holding_kind(obj))
        if goal.task_type == "look_at_obj_in_light":
            return [hold, (f"look at the {obj} under the {goal.lamp}", lambda w: w.lit(goal))]
        if goal.task_type == "pick_two_obj_and_place":
            return [hold, (f"one {obj} in {recep}", lambda w: w.placed_count(goal) >= 1),
                    (f"two {obj} in {recep}", lambda w: w.placed_count(goal) >= 2)]
        if goal.modifier is not None:
            state = {"clean": "clean", "heat": "hot", "cool": "cool"}[goal.modifier]
            return [hold, (f"a {state} {obj}", lambda w: w.any_in_state(obj, goal.modifier)),
                    (f"a {state} {obj} in {recep}", lambda w: w.placed_count(goal) >= 1)]
        return [hold, (f"a {obj} in {recep}", lambda w: w.placed_count(goal) >= 1)]

    def _progress_now(self) -> float:
        # Latched in order: a subgoal counts once it held after all earlier ones did, even if later undone
        # (putting the object down again does not take progress back).
        subgoals = self.subgoals()
        while self._subgoals_done < len(subgoals) and subgoals[self._subgoals_done][1](self._w):
            self._subgoals_done += 1
        return self._subgoals_done / len(subgoals)
