"""agentgym/TextAdventure-v0: a procedural text adventure (the project's default, embedded environment)."""

from __future__ import annotations

import functools
import json
from typing import Any, Literal

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task
from agentgym.envs.text.adventure import tasks as adventure_tasks
from agentgym.envs.text.adventure.oracle import Planner
from agentgym.envs.text.adventure.world import (
    HELP, State, World, WorldParams, admissible_actions, advance, execute, generate, inventory_line, parse,
    room_line,
)

Level = Literal["easy", "medium", "hard"]


@functools.lru_cache(maxsize=4096)
def _world(seed: int, params_json: str) -> World:
    # Worlds are immutable and fully determined by (seed, params): generate each once per process.
    return generate(seed, WorldParams.from_params(json.loads(params_json)))


def world_for(task: Task) -> World:
    """The world of a task (cached)."""
    return _world(int(task.seed), json.dumps(dict(task.params), sort_keys=True))


class TextAdventureEnv(AgentEnv):
    """A procedural text adventure: rooms joined by doors (some locked, with keys somewhere), containers that open
    and close, portable objects, and a quest of k subgoals.

    Task:
        Complete the quest shown in the first observation, e.g. "Quest: take the red key, then unlock the door to the
        cellar, then go to the cellar." A quest is the chain of milestones of the shortest solution to a final goal;
        the goal families are reach (go to a room), fetch (take an object), deliver (put an object in a container),
        unlock (open the way through the deepest locked door) and return (take an object and bring it back to the
        starting room). Layout families: chain, tree, ring. Levels: easy (2-3 rooms, 1-2 subgoals), medium (4-6
        rooms, 1-2 locked doors, 3-4 subgoals), hard (7-10 rooms, 2-3 locked doors, 5-7 subgoals); see tasks.LEVELS.

    Observation:
        Text. On reset: the quest line, then the room line. After each action: one line of feedback, then the room
        line, e.g. "You take the red key.\\nKitchen. Exits: north (locked), east. You see: chest (closed)."
        `look` repeats the quest; `inventory` lists what you carry. With `list_actions=True` a third line lists the
        admissible actions; with `show_quest=True` the quest line is repeated on every observation.
        info["admissible_actions"] (sorted) lists every command that is valid in the current state;
        info["subgoals_done"] and info["subgoals_total"] count the quest.

    Actions:
        One command per turn: look, inventory, go <north|east|south|west>, take <object>, drop <object>,
        open <container>, close <container>, unlock <direction> door (needs the door's key in the inventory),
        put <object> in <container>. Case, articles and punctuation are ignored; a few synonyms are understood
        ("get", "n", "pick up", "take X from Y"). Only the first line of a reply is read. A command that cannot be
        parsed or has no effect (a locked door, an absent object) returns feedback naming the problem, reward 0 and
        info["valid_action"] = False.

    Reward:
        +1 for each quest subgoal newly reached, 0 otherwise (the return over an episode is the number of subgoals
        reached, at most k). Subgoals count in order: the next one counts when its condition holds after a step.
        info["progress"] = subgoals reached / k.

    Episode end:
        Terminated when the last subgoal is reached (info["success"] = True). Truncated at the turn limit (the
        task's `max_turns`: easy 15, medium 40, hard 60, unless the constructor's `max_turns` overrides it).

    Arguments:
        level: "easy" | "medium" | "hard" | None. Restricts the tasks sampled by a reset without options["task"] to
            one level (None: all levels). Default "easy". An explicit task always wins.
        list_actions: append "Actions: ..." (the admissible actions) to every observation. Default False.
        show_quest: repeat the quest on every observation. Default False.
        max_turns: override every task's turn limit.
        split: the default split ("train"; the suite also has "heldout").
        world: knobs for freshly generated worlds instead of the suite (keys of world.WorldParams: rooms,
            locked_doors, containers, distractors, min_subgoals, max_subgoals, topology, goal; plus max_turns). A
            reset without options["task"] then generates a world from a seed drawn from the reset's seed. Example:
            TextAdventureEnv(world={"rooms": 12, "locked_doors": 4, "min_subgoals": 8, "max_subgoals": 10}).
            Unset knobs take WorldParams defaults; max_turns defaults to 40.

    Dependencies:
        None beyond the core (pure Python; no extra, no docker image).

    Version history:
        v0: first version (suite "adventure" v1: train and heldout; heldout adds the ring layout and the return
            quest family, never seen in training).
    """

    suite = adventure_tasks.SUITE
    default_max_turns = 40

    def __init__(self, *, level: Level | None = "easy", list_actions: bool = False, show_quest: bool = False,
                 max_turns: int | None = None, split: str | None = None, render_mode: str | None = None,
                 world: dict[str, Any] | None = None):
        if level is not None and level not in adventure_tasks.LEVELS:
            raise ValueError(f"level must be one of {list(adventure_tasks.LEVELS)} or None, got {level!r}")
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.level = level
        self.list_actions = list_actions
        self.show_quest = show_quest
        self._fixed_max_turns = max_turns
        self._custom = dict(world) if world is not None else None
        if self._custom is not None:
            WorldParams.from_params(self._custom)  # validate now, with the message naming the bad knob
            unknown = set(self._custom) - set(WorldParams.__dataclass_fields__) - {"max_turns"}
            if unknown:
                raise ValueError(f"unknown world knobs {sorted(unknown)}; the knobs are "
                                 f"{sorted(WorldParams.__dataclass_fields__)} and max_turns")
        self._by_level: dict[tuple[str, str | None], list[Task]] = {}
        self.world: World | None = None
        self.state: State | None = None
        self._planner: Planner | None = None
        self._views: dict[tuple, tuple[str, list[str]]] = {}

    # -- task selection -----------------------------------------------------------------------------------------------
    def _pick_task(self, options: dict[str, Any]) -> Task:
        if options.get("task") is not None:
            return super()._pick_task(options)
        if self._custom is not None:
            seed = int(self.np_random.integers(2**31))
            return Task(id=f"adventure/custom/{seed}", split="custom", seed=seed, params=dict(self._custom),
                        family=f"{self._custom.get('topology', 'tree')}/{self._custom.get('goal', 'fetch')}")
        return super()._pick_task(options)

    def tasks(self, split: str) -> list[Task]:
        """The tasks of `split` at this env's level (all levels when level is None)."""
        key = (split, self.level)
        if key not in self._by_level:
            tasks = self.suite.split(split)
            self._by_level[key] = [t for t in tasks if self.level is None or t.params.get("level") == self.level]
        if not self._by_level[key]:
            raise ValueError(f"split {split!r} of {self.suite.name!r} has no task of level {self.level!r}")
        return list(self._by_level[key])

    # -- hooks --------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self.world = world_for(task)
        self.state = State.initial(self.world)
        self._planner = None
        self._views = {}
        self.max_turns = self._fixed_max_turns or int(task.params.get("max_turns", self.default_max_turns))
        return self._observation(self.world.quest_text(), quest_shown=True)

    def _act(self, action: str) -> StepOutcome:
        w, s = self.world, self.state
        assert w is not None and s is not None
        cmd = parse(action)
        feedback, valid = execute(w, s, cmd)
        before = s.done
        if valid:
            s.done = advance(w, s.room, s.locs, s.locked, s.opened, s.done)
        k = len(w.quest)
        gained = s.done - before
        if gained:
            feedback += f" Subgoal done ({s.done}/{k})." if s.done < k else " Quest complete!"
        return StepOutcome(
            observation=self._observation(feedback, quest_shown=cmd is not None and cmd[0] == "look"),
            reward=float(gained), terminated=s.done >= k, valid_action=valid, success=s.done >= k,
            progress=s.done / k, info={"subgoals_done": s.done, "subgoals_total": k})

    def oracle_action(self) -> str:
        if self.world is None or self.state is None:
            raise RuntimeError("call reset() before oracle_action()")
        if self._planner is None:
            self._planner = Planner(self.world)
        return self._planner.next_action(self.state)

    def _extra_info(self) -> dict[str, Any]:
        return {"admissible_actions": list(self._view()[1])}

    @property
    def system_prompt(self) -> str:
        return ("You are playing a text adventure. Complete the quest you are given, one subgoal after the other. "
                + HELP + " Reply with exactly one command per turn.")

    # -- helpers ------------------------------------------------------------------------------------------------------
    def _view(self) -> tuple[str, list[str]]:
        """(room line, admissible actions) of the current state. Cached per state: a step costs microseconds, and
        episodes revisit states often."""
        s = self.state
        assert self.world is not None and s is not None
        key = (s.room, tuple(s.locs), s.locked, s.opened)
        view = self._views.get(key)
        if view is None:
            if len(self._views) > 4096:  # bound the memory of a long random walk
                self._views.clear()
            view = self._views[key] = (room_line(self.world, s), admissible_actions(self.world, s))
        return view

    def _observation(self, first_line: str, *, quest_shown: bool) -> str:
        w, s = self.world, self.state
        assert w is not None and s is not None
        line, actions = self._view()
        text = first_line + "\n" + line
        if self.show_quest and not quest_shown:
            text += "\n" + w.quest_text()
        if self.list_actions:
            text += "\nActions: " + ", ".join(actions)
        return text

    def inventory_text(self) -> str:
        assert self.world is not None and self.state is not None
        return inventory_line(self.world, self.state)
