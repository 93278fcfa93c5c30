"""The household's state and rules: receptacles, objects, the agent's place and hand, and ALFWorld's commands.

Rules (ALFWorld's PDDL domain, simplified where noted):
- The agent stands at one receptacle at a time ("go to X"), or in the middle of the room at the start.
- It holds at most one object. It can take an object only from the receptacle it stands at, and put one down only
  there; an openable receptacle must be open for both (and to see inside).
- heat / cool / clean need the object in hand and the agent at a microwave / fridge / sinkbasin (or bathtubbasin);
  they set the object's state (hot and cool exclude each other). ALFWorld does not require the appliance to be open
  or closed for these; neither do we.
- Lamps stand on a receptacle and cannot be taken; "use" toggles one when the agent is at its receptacle.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from agentgym.envs.text.household import catalog as C
from agentgym.envs.text.household.tasks import build_layout


@dataclass
class Receptacle:
    name: str
    kind: str
    openable: bool
    is_open: bool = False
    contents: list[str] = field(default_factory=list)
    """Names of the objects (and lamps) in or on it, kept sorted so observations are deterministic."""

    @property
    def visible(self) -> bool:
        return self.is_open or not self.openable


@dataclass
class Item:
    name: str
    kind: str
    location: str | None
    """Receptacle name, or None while the agent holds it."""
    is_lamp: bool = False
    on: bool = False
    clean: bool = False
    hot: bool = False
    cool: bool = False


@dataclass
class Goal:
    task_type: str
    object: str
    receptacle: str | None
    lamp: str | None
    text: str

    @property
    def modifier(self) -> str | None:
        return C.MODIFIER.get(self.task_type)

    @property
    def count(self) -> int:
        return 2 if self.task_type == "pick_two_obj_and_place" else 1


@dataclass
class World:
    receptacles: dict[str, Receptacle]
    items: dict[str, Item]
    at: str | None = None
    holding: str | None = None

    # -- queries ------------------------------------------------------------------------------------------------------
    def satisfies(self, item: Item, modifier: str | None) -> bool:
        return modifier is None or getattr(item, {"clean": "clean", "heat": "hot", "cool": "cool"}[modifier])

    def placed_count(self, goal: Goal) -> int:
        """Objects of the goal's kind, in the modifier's state, inside a receptacle of the goal's kind."""
        n = 0
        for it in self.items.values():
            if it.kind == goal.object and it.location is not None and self.satisfies(it, goal.modifier):
                if self.receptacles[it.location].kind == goal.receptacle:
                    n += 1
        return n

    def lit(self, goal: Goal) -> bool:
        """The look task's state: holding the object, at a receptacle whose lamp of the goal's kind is on."""
        if self.holding is None or self.items[self.holding].kind != goal.object or self.at is None:
            return False
        return any(self.items[n].is_lamp and self.items[n].kind == goal.lamp and self.items[n].on
                   for n in self.receptacles[self.at].contents)

    def succeeded(self, goal: Goal) -> bool:
        if goal.task_type == "look_at_obj_in_light":
            return self.lit(goal)
        return self.placed_count(goal) >= goal.count

    def holding_kind(self, kind: str) -> bool:
        return self.holding is not None and self.items[self.holding].kind == kind

    def any_in_state(self, kind: str, modifier: str) -> bool:
        return any(it.kind == kind and self.satisfies(it, modifier) for it in self.items.values())

    # -- text -----------------------------------------------------------------------------------------------------
    def describe(self, r: Receptacle) -> str:
        if r.openable and not r.is_open:
            return f"The {r.name} is closed."
        seen = list_things(r.contents)
        return f"The {r.name} is open. In it, you see {seen}." if r.openable else f"On the {r.name}, you see {seen}."

    def room_overview(self) -> str:
        return ("You are in the middle of a room. Looking quickly around you, you see "
                f"{list_things(list(self.receptacles))}.")

    # -- commands (each returns the feedback text, or None when the command does nothing) ----------------------------
    def go(self, target: str) -> str | None:
        r = self.receptacles.get(target)
        if r is None or self.at == target:
            return None
        self.at = target
        return f"You arrive at {target}. {self.describe(r)}"

    def open(self, target: str) -> str | None:
        r = self._here(target)
        if r is None or not r.openable or r.is_open:
            return None
        r.is_open = True
        return f"You open the {target}. {self.describe(r)}"

    def close(self, target: str) -> str | None:
        r = self._here(target)
        if r is None or not r.openable or not r.is_open:
            return None
        r.is_open = False
        return f"You close the {target}."

    def take(self, obj: str, source: str) -> str | None:
        r = self._here(source)
        it = self.items.get(obj)
        if r is None or it is None or it.is_lamp or self.holding is not None or not r.visible or obj not in r.contents:
            return None
        r.contents.remove(obj)
        it.location = None
        self.holding = obj
        return f"You pick up the {obj} from the {source}."

    def put(self, obj: str, target: str, verb: str) -> str | None:
        r = self._here(target)
        if r is None or self.holding != obj or not r.visible:
            return None
        self.holding = None
        self.items[obj].location = target
        r.contents = sorted(r.contents + [obj], key=_natural)
        return f"You move the {obj} to the {target}." if verb == "move" else f"You put the {obj} in/on the {target}."

    def transform(self, verb: str, obj: str, tool: str) -> str | None:
        r = self._here(tool)
        if r is None or self.holding != obj:
            return None
        it = self.items[obj]
        if verb == "clean" and (r.kind == C.APPLIANCE["clean"] or r.kind in C.ALSO_CLEANS):
            it.clean = True
        elif verb == "heat" and r.kind == C.APPLIANCE["heat"]:
            it.hot, it.cool = True, False
        elif verb == "cool" and r.kind == C.APPLIANCE["cool"]:
            it.cool, it.hot = True, False
        else:
            return None
        return f"You {verb} the {obj} using the {tool}."

    def use(self, lamp: str) -> str | None:
        it = self.items.get(lamp)
        if it is None or not it.is_lamp or it.location != self.at:
            return None
        it.on = not it.on
        return f"You turn {'on' if it.on else 'off'} the {lamp}."

    def examine(self, target: str) -> str | None:
        if target in self.receptacles:
            return self.describe(self.receptacles[target]) if self.at == target else None
        it = self.items.get(target)
        if it is None or not (self.holding == target or self._visible_here(target)):
            return None
        if it.is_lamp:
            return f"The {target} is {'on' if it.on else 'off'}."
        states = [s for s, flag in (("clean", it.clean), ("hot", it.hot), ("cool", it.cool)) if flag]
        return f"The {target} is {' and '.join(states)}." if states else f"There's nothing special about {target}."

    def look(self) -> str:
        if self.at is None:
            return self.room_overview()
        return f"You are facing the {self.at}. Next to it, you see nothing."

    def inventory(self) -> str:
        return f"You are carrying: a {self.holding}." if self.holding else "You are not carrying anything."

    # -- admissible commands ------------------------------------------------------------------------------------------
    def admissible(self) -> list[str]:
        acts = ["look", "inventory"]
        acts += [f"go to {name}" for name in self.receptacles if name != self.at]
        if self.holding:
            acts.append(f"examine {self.holding}")
        if self.at is not None:
            r = self.receptacles[self.at]
            acts.append(f"examine {r.name}")
            if r.openable:
                acts.append(f"close {r.name}" if r.is_open else f"open {r.name}")
            if r.visible:
                for name in r.contents:
                    it = self.items[name]
                    if it.is_lamp:
                        acts.append(f"use {name}")
                    elif self.holding is None:
                        acts.append(f"take {name} from {r.name}")
                if self.holding:
                    acts.append(f"move {self.holding} to {r.name}")
            if self.holding:
                for verb, kind in C.APPLIANCE.items():
                    if r.kind == kind or (verb == "clean" and r.kind in C.ALSO_CLEANS):
                        acts.append(f"{verb} {self.holding} with {r.name}")
        return sorted(acts)

    # -- helpers ------------------------------------------------------------------------------------------------------
    def _here(self, name: str) -> Receptacle | None:
        return self.receptacles.get(name) if name == self.at else None

    def _visible_here(self, obj: str) -> bool:
        if self.at is None:
            return False
        r = self.receptacles[self.at]
        return r.visible and obj in r.contents


def list_things(names: list[str]) -> str:
    """ALFWorld's listing: "nothing", "a apple 1", "a apple 1, and a mug 2", "a x 1, a y 1, and a z 1"."""
    if not names:
        return "nothing"
    things = [f"a {n}" for n in names]
    return things[0] if len(things) == 1 else ", ".join(things[:-1]) + ", and " + things[-1]


def _natural(name: str) -> tuple[str, int]:
    kind, _, n = name.rpartition(" ")
    return (kind, int(n)) if n.isdigit() else (name, 0)


# ---------------------------------------------------------------------------------------------------------------------
# Building a task's world
# ---------------------------------------------------------------------------------------------------------------------
def build_world(params: dict, seed: int) -> tuple[World, Goal]:
    """Place the objects of a task: deterministic in (params, seed). The task's objects never start in a target
    receptacle, so no task is solved at reset."""
    goal = Goal(params["task_type"], params["object"], params.get("receptacle"), params.get("lamp"), params["goal"])
    room = params["room"]
    rng = random.Random(seed * 7919 + 17)  # decorrelated from the draw of the task itself (tasks.make_task)
    slots = build_layout(params["layout"])
    receptacles = {s.name: Receptacle(s.name, s.kind, s.openable) for s in slots}
    kinds_present = {s.kind for s in slots}

    others = [o for o in C.ROOM_OBJECTS[room] if o != goal.object]
    chosen = rng.sample(others, k=min(len(others), rng.randint(6, 10)))
    lo = 2 if goal.count == 2 else 1
    counts = {goal.object: rng.randint(lo, 3)}
    counts.update({o: rng.randint(1, 2) for o in chosen})

    items: dict[str, Item] = {}
    for kind in [goal.object] + sorted(chosen):
        spots = [s.name for s in slots if C.accepts(s.kind, kind)
                 and not (kind == goal.object and s.kind == goal.receptacle)]
        if not spots:
            if kind == goal.object:
                raise ValueError(f"task object {kind!r} has no starting receptacle in layout {params['layout']!r}")
            continue
        for n in range(1, counts[kind] + 1):
            spot = rng.choice(spots)
            name = f"{kind} {n}"
            items[name] = Item(name, kind, spot)
            receptacles[spot].contents.append(name)

    if room in C.ROOM_LAMP:
        lamp_kind, stands = C.ROOM_LAMP[room]
        stand_kind = next(k for k in stands if k in kinds_present)
        stand = rng.choice([s.name for s in slots if s.kind == stand_kind])
        name = f"{lamp_kind} 1"
        items[name] = Item(name, lamp_kind, stand, is_lamp=True)
        receptacles[stand].contents.append(name)

    for r in receptacles.values():
        r.contents.sort(key=_natural)
    return World(receptacles, items), goal
