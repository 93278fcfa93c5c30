"""The adventure's world: procedural generation, the state, the command parser and the rules.

A world is immutable once generated (`World`); an episode mutates a small `State` (the player's room, where each
object is, which doors are locked, which containers are open, how many subgoals are done). Everything is plain
Python over ints and tuples so that one step costs a few microseconds and the planner (oracle.py) can search the
same rules.

Locations of objects are ints: `INVENTORY` (-1), a room index r (on the floor of room r), or `num_rooms + c` (inside
container c).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------------------
DIRECTIONS = ("north", "east", "south", "west")
_DELTA = {"north": (0, 1), "east": (1, 0), "south": (0, -1), "west": (-1, 0)}
_OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}
ROOM_NAMES = ("kitchen", "hall", "cellar", "garden", "study", "attic", "pantry", "library", "bedroom", "bathroom",
              "garage", "porch", "parlor", "workshop", "gallery", "vault")
KEY_COLORS = ("red", "blue", "green", "yellow", "white", "black")
CONTAINER_NAMES = ("chest", "box", "cupboard", "crate", "basket", "drawer", "cabinet", "trunk")
ITEM_NAMES = ("coin", "book", "apple", "lamp", "ring", "cup", "map", "candle", "scroll", "gem", "hat", "bottle",
              "shell", "feather", "bell", "flute", "mirror", "compass")

TOPOLOGIES = ("chain", "tree", "ring")
"""Layout families: a path, a random tree, a cycle (the perimeter of a rectangle) with branches."""
GOALS = ("reach", "fetch", "deliver", "unlock", "return")
"""Quest families by final goal: go to a room; take an object; put an object in a container; unlock the deepest
locked door; take an object and bring it back to the starting room."""

INVENTORY = -1

# A subgoal is a tuple: ("go", room) | ("take", obj) | ("unlock", door, far_room) | ("open", container)
# | ("put", obj, container). They are reached in order (see `advance`).
Subgoal = tuple


class GenerationError(RuntimeError):
    """No world with the asked quest length was found for these parameters."""


# ---------------------------------------------------------------------------------------------------------------------
# World and state
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    rooms: tuple[str, ...]
    exits: tuple[tuple[tuple[str, int, int], ...], ...]
    """Per room: (direction, neighbour room, door index or -1 for an open passage), in DIRECTIONS order."""
    door_key: tuple[int, ...]
    """Per door: the object index of its key."""
    objects: tuple[str, ...]
    """Portable objects (keys first, then items); names are unique within the world."""
    containers: tuple[str, ...]
    container_room: tuple[int, ...]
    start_room: int
    start_locs: tuple[int, ...]
    start_locked: int
    """Bitmask over doors: bit d set = door d locked."""
    start_opened: int
    """Bitmask over containers: bit c set = container c open."""
    quest: tuple[Subgoal, ...]
    family: str = ""
    object_index: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    container_index: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def num_rooms(self) -> int:
        return len(self.rooms)

    def subgoal_text(self, sub: Subgoal) -> str:
        kind = sub[0]
        if kind == "go":
            return f"go to the {self.rooms[sub[1]]}"
        if kind == "take":
            return f"take the {self.objects[sub[1]]}"
        if kind == "unlock":
            return f"unlock the door to the {self.rooms[sub[2]]}"
        if kind == "open":
            return f"open the {self.containers[sub[1]]}"
        return f"put the {self.objects[sub[1]]} in the {self.containers[sub[2]]}"

    def quest_text(self) -> str:
        return "Quest: " + ", then ".join(self.subgoal_text(s) for s in self.quest) + "."

    def fingerprint(self) -> tuple:
        """Everything that makes two worlds the same game (used to keep held-out worlds out of training)."""
        return (self.rooms, self.exits, self.door_key, self.objects, self.containers, self.container_room,
                self.start_room, self.start_locs, self.start_locked, self.start_opened, self.quest)


@dataclass
class State:
    room: int
    locs: list[int]
    locked: int
    opened: int
    done: int = 0
    """How many quest subgoals are reached (they are reached in order)."""

    @classmethod
    def initial(cls, w: World) -> State:
        s = cls(w.start_room, list(w.start_locs), w.start_locked, w.start_opened)
        s.done = advance(w, s.room, s.locs, s.locked, s.opened, 0)
        return s

    def key(self) -> tuple:
        return (self.room, tuple(self.locs), self.locked, self.opened, self.done)


def holds(w: World, sub: Subgoal, room: int, locs, locked: int, opened: int) -> bool:
    kind = sub[0]
    if kind == "go":
        return room == sub[1]
    if kind == "take":
        return locs[sub[1]] == INVENTORY
    if kind == "unlock":
        return not (locked >> sub[1]) & 1
    if kind == "open":
        return bool((opened >> sub[1]) & 1)
    return locs[sub[1]] == w.num_rooms + sub[2]  # put


def advance(w: World, room: int, locs, locked: int, opened: int, done: int) -> int:
    """Subgoals count in order: the next one counts when its condition holds after a step, then the one after it
    is checked too (so taking two keys in the other order still counts both once the first is taken)."""
    quest = w.quest
    while done < len(quest) and holds(w, quest[done], room, locs, locked, opened):
        done += 1
    return done


# ---------------------------------------------------------------------------------------------------------------------
# Rules: what the player sees and can do
# ---------------------------------------------------------------------------------------------------------------------
def visible_objects(w: World, s: State) -> list[int]:
    """Objects the player can take: on the floor of the room or inside an open container there."""
    R = w.num_rooms
    out = []
    for o, loc in enumerate(s.locs):
        if loc == s.room:
            out.append(o)
        elif loc >= R:
            c = loc - R
            if w.container_room[c] == s.room and (s.opened >> c) & 1:
                out.append(o)
    return out


def room_line(w: World, s: State) -> str:
    R = w.num_rooms
    exits = []
    for d, _nb, door in w.exits[s.room]:
        exits.append(f"{d} (locked)" if door >= 0 and (s.locked >> door) & 1 else d)
    seen = []
    for c, room in enumerate(w.container_room):
        if room != s.room:
            continue
        if (s.opened >> c) & 1:
            inside = [w.objects[o] for o, loc in enumerate(s.locs) if loc == R + c]
            seen.append(f"{w.containers[c]} (open: {', '.join(inside)})" if inside else f"{w.containers[c]} (open)")
        else:
            seen.append(f"{w.containers[c]} (closed)")
    seen += [w.objects[o] for o, loc in enumerate(s.locs) if loc == s.room]
    line = f"{w.rooms[s.room].capitalize()}. Exits: {', '.join(exits)}."
    return line + (f" You see: {', '.join(seen)}." if seen else "")


def inventory_line(w: World, s: State) -> str:
    carried = [w.objects[o] for o, loc in enumerate(s.locs) if loc == INVENTORY]
    return f"You carry: {', '.join(carried)}." if carried else "You carry nothing."


def admissible_actions(w: World, s: State) -> list[str]:
    """Every command that changes the state or shows something, sorted (deterministic)."""
    acts = ["inventory", "look"]
    for d, _nb, door in w.exits[s.room]:
        if door >= 0 and (s.locked >> door) & 1:
            if s.locs[w.door_key[door]] == INVENTORY:
                acts.append(f"unlock {d} door")
        else:
            acts.append(f"go {d}")
    for o in visible_objects(w, s):
        acts.append(f"take {w.objects[o]}")
    here = [c for c, room in enumerate(w.container_room) if room == s.room]
    for c in here:
        acts.append(f"close {w.containers[c]}" if (s.opened >> c) & 1 else f"open {w.containers[c]}")
    for o, loc in enumerate(s.locs):
        if loc == INVENTORY:
            acts.append(f"drop {w.objects[o]}")
            for c in here:
                if (s.opened >> c) & 1:
                    acts.append(f"put {w.objects[o]} in {w.containers[c]}")
    acts.sort()
    return acts


_ARTICLES = re.compile(r"\b(the|a|an|to|at|my|your)\b")
_NON_WORD = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_DIR_ALIASES = {"n": "north", "e": "east", "s": "south", "w": "west"}
_VERB_ALIASES = {"get": "take", "grab": "take", "pick": "take", "walk": "go", "move": "go", "head": "go",
                 "i": "inventory", "inv": "inventory", "l": "look", "examine": "look", "place": "put",
                 "insert": "put", "shut": "close"}

HELP = ("Commands: look, inventory, go <north|east|south|west>, take <object>, drop <object>, open <container>, "
        "close <container>, unlock <direction> door, put <object> in <container>.")


def normalize(text: str) -> str:
    text = text.strip().lower()
    first_line = text.split("\n", 1)[0]  # a model that rambles past the command: read the first line
    first_line = _NON_WORD.sub(" ", first_line)
    first_line = _ARTICLES.sub(" ", first_line)
    return _SPACES.sub(" ", first_line).strip()


_PARSED: dict[str, tuple[str, ...] | None] = {}


def parse(text: str) -> tuple[str, ...] | None:
    """Text -> a canonical command tuple, or None when it is not a command of this game (memoised: agents repeat
    the same few commands)."""
    try:
        return _PARSED[text]
    except KeyError:
        pass
    cmd = _parse(text)
    if len(_PARSED) > 50_000:
        _PARSED.clear()
    _PARSED[text] = cmd
    return cmd


def _parse(text: str) -> tuple[str, ...] | None:
    words = normalize(text).split(" ")
    if not words or not words[0]:
        return None
    verb = _VERB_ALIASES.get(words[0], words[0])
    rest = words[1:]
    if verb == "pick" or (verb == "take" and rest[:1] == ["up"]):
        rest = rest[1:] if rest[:1] == ["up"] else rest
    if verb in _DIRECTIONS_SET or verb in _DIR_ALIASES:  # a bare direction: "north", "n"
        return ("go", _DIR_ALIASES.get(verb, verb)) if not rest else None
    if verb in ("look", "inventory"):
        return (verb,) if len(rest) <= 1 else None  # "look around", "inventory"
    if verb == "go" and len(rest) == 1:
        d = _DIR_ALIASES.get(rest[0], rest[0])
        return ("go", d) if d in _DIRECTIONS_SET else ("go?", rest[0])
    if verb == "unlock" and rest:
        rest = [r for r in rest if r not in ("door", "with", "key")] if rest[0] != "door" else rest[1:2]
        if rest:
            d = _DIR_ALIASES.get(rest[0], rest[0])
            return ("unlock", d)
        return ("unlock", "")
    if verb in ("take", "drop", "open", "close") and rest:
        name = " ".join(rest)
        if verb == "take" and " from " in f" {name} ":  # "take coin from chest"
            name = name.split(" from ")[0].strip()
        return (verb, name)
    if verb == "put" and rest:
        joined = " ".join(rest)
        for sep in (" in ", " into ", " inside ", " on "):
            if sep in joined:
                obj, cont = joined.split(sep, 1)
                return ("put", obj.strip(), cont.strip())
        return ("put", joined, "")
    return None


_DIRECTIONS_SET = frozenset(DIRECTIONS)


def execute(w: World, s: State, cmd: tuple[str, ...] | None) -> tuple[str, bool]:
    """Apply a parsed command to the state in place. Returns (feedback, valid). Never raises on bad input."""
    if cmd is None:
        return "I don't understand that. " + HELP, False
    verb = cmd[0]
    R = w.num_rooms
    if verb == "look":
        return w.quest_text(), True
    if verb == "inventory":
        return inventory_line(w, s), True
    if verb in ("go", "go?"):
        for d, nb, door in w.exits[s.room]:
            if d == cmd[1]:
                if door >= 0 and (s.locked >> door) & 1:
                    return f"The door to the {d} is locked.", False
                s.room = nb
                return f"You go {d}.", True
        exits = ", ".join(d for d, _, _ in w.exits[s.room])
        return f"You can't go {cmd[1]} from the {w.rooms[s.room]}. Exits: {exits}.", False
    if verb == "unlock":
        for d, _nb, door in w.exits[s.room]:
            if d == cmd[1] and door >= 0:
                if not (s.locked >> door) & 1:
                    return f"The door to the {d} is not locked.", False
                key = w.door_key[door]
                if s.locs[key] != INVENTORY:
                    return f"You need the {w.objects[key]} to unlock it.", False
                s.locked &= ~(1 << door)
                return f"You unlock the door to the {d}.", True
        return f"There is no door to the {cmd[1] or '?'} here. Say: unlock <direction> door.", False
    if verb in ("open", "close"):
        c = w.container_index.get(cmd[1], -1)
        if c < 0 or w.container_room[c] != s.room:
            return f"There is no {cmd[1]} to {verb} here.", False
        is_open = (s.opened >> c) & 1
        if verb == "open":
            if is_open:
                return f"The {cmd[1]} is already open.", False
            s.opened |= 1 << c
            inside = [w.objects[o] for o, loc in enumerate(s.locs) if loc == R + c]
            return f"You open the {cmd[1]}. " + (f"Inside: {', '.join(inside)}." if inside else "It is empty."), True
        if not is_open:
            return f"The {cmd[1]} is already closed.", False
        s.opened &= ~(1 << c)
        return f"You close the {cmd[1]}.", True
    if verb in ("take", "drop", "put"):
        o = w.object_index.get(cmd[1], -1)
        if verb == "take":
            if o >= 0 and s.locs[o] == INVENTORY:
                return f"You already carry the {cmd[1]}.", False
            if o < 0 or o not in visible_objects(w, s):
                return f"There is no {cmd[1]} here to take.", False
            s.locs[o] = INVENTORY
            return f"You take the {cmd[1]}.", True
        if o < 0 or s.locs[o] != INVENTORY:
            return f"You don't carry a {cmd[1]}.", False
        if verb == "drop":
            s.locs[o] = s.room
            return f"You drop the {cmd[1]}.", True
        c = w.container_index.get(cmd[2], -1)
        if c < 0 or w.container_room[c] != s.room:
            return f"There is no {cmd[2] or 'container'} here to put it in. Say: put <object> in <container>.", False
        if not (s.opened >> c) & 1:
            return f"The {cmd[2]} is closed.", False
        s.locs[o] = R + c
        return f"You put the {cmd[1]} in the {cmd[2]}.", True
    return "I don't understand that. " + HELP, False


# ---------------------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorldParams:
    """The knobs of one world. Every task stores these in Task.params (plus level and max_turns)."""

    rooms: int = 3
    """Number of rooms (2-16)."""
    locked_doors: int = 0
    """Doors that start locked; each has a key somewhere reachable without it."""
    containers: int = 1
    """Fixed containers (chest, box, ...); each starts closed or open at random."""
    distractors: int = 1
    """Portable objects that no subgoal needs."""
    min_subgoals: int = 1
    max_subgoals: int = 2
    """The quest length k is drawn from [min_subgoals, max_subgoals] by generating until one fits."""
    topology: str = "tree"
    """One of TOPOLOGIES."""
    goal: str = "fetch"
    """One of GOALS."""

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> WorldParams:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**known)

    def __post_init__(self) -> None:
        if not 2 <= self.rooms <= len(ROOM_NAMES):
            raise ValueError(f"rooms must be in [2, {len(ROOM_NAMES)}], got {self.rooms}")
        if not 0 <= self.locked_doors <= min(len(KEY_COLORS), self.rooms - 1):
            raise ValueError(f"locked_doors must be in [0, min({len(KEY_COLORS)}, rooms - 1)], got "
                             f"{self.locked_doors} with rooms={self.rooms}")
        if not 0 <= self.containers <= len(CONTAINER_NAMES):
            raise ValueError(f"containers must be in [0, {len(CONTAINER_NAMES)}], got {self.containers}")
        if not 0 <= self.distractors <= len(ITEM_NAMES) - 1:
            raise ValueError(f"distractors must be in [0, {len(ITEM_NAMES) - 1}], got {self.distractors}")
        if not 1 <= self.min_subgoals <= self.max_subgoals:
            raise ValueError(f"need 1 <= min_subgoals <= max_subgoals, got {self.min_subgoals}, {self.max_subgoals}")
        if self.topology not in TOPOLOGIES:
            raise ValueError(f"topology must be one of {TOPOLOGIES}, got {self.topology!r}")
        if self.topology == "ring" and self.rooms < 4:
            raise ValueError(f"a ring needs at least 4 rooms, got rooms={self.rooms}")
        if self.goal not in GOALS:
            raise ValueError(f"goal must be one of {GOALS}, got {self.goal!r}")
        if self.goal == "unlock" and self.locked_doors == 0:
            raise ValueError("goal 'unlock' needs locked_doors >= 1, got 0")
        if self.goal == "deliver" and self.containers == 0:
            raise ValueError("goal 'deliver' needs containers >= 1, got 0")


def generate(seed: int, p: WorldParams, max_attempts: int = 400) -> World:
    """A world and quest for `seed`: deterministic (Python's `random.Random(seed)`), tried until the quest from the
    planner's shortest solution has between min_subgoals and max_subgoals subgoals."""
    from agentgym.envs.text.adventure.oracle import milestones

    rng = random.Random(seed)
    for _ in range(max_attempts):
        w = _attempt(rng, p)
        if w is None:
            continue
        quest = milestones(w)
        if quest is not None and p.min_subgoals <= len(quest) <= p.max_subgoals:
            return _with_quest(w, tuple(quest))
    raise GenerationError(f"no world with a quest of {p.min_subgoals}-{p.max_subgoals} subgoals in {max_attempts} "
                          f"attempts for seed={seed}, {p}; widen the subgoal range or change the other knobs")


def _with_quest(w: World, quest: tuple) -> World:
    return World(**{**{f: getattr(w, f) for f in World.__dataclass_fields__}, "quest": quest})


def _layout(rng: random.Random, n: int, topology: str) -> list[tuple[int, int, str]] | None:
    """Rooms on a grid; returns edges (a, b, direction from a to b), room 0 first. None when the walk got stuck."""
    cells = {(0, 0): 0}
    pos = [(0, 0)]
    edges: list[tuple[int, int, str]] = []

    def free_dirs(c):
        return [d for d in DIRECTIONS if (c[0] + _DELTA[d][0], c[1] + _DELTA[d][1]) not in cells]

    def add(frm: int, d: str) -> None:
        c = pos[frm]
        nc = (c[0] + _DELTA[d][0], c[1] + _DELTA[d][1])
        cells[nc] = len(pos)
        pos.append(nc)
        edges.append((frm, len(pos) - 1, d))

    if topology == "ring":
        m = n if n % 2 == 0 else n - 1  # the cycle: the perimeter of a w x h rectangle, 2(w + h) - 4 = m
        shapes = [(a, m // 2 + 2 - a) for a in range(2, m // 2 + 1) if m // 2 + 2 - a >= 2]
        width, height = rng.choice(shapes)
        ring = [(x, 0) for x in range(width)] + [(width - 1, y) for y in range(1, height)]
        ring += [(x, height - 1) for x in range(width - 2, -1, -1)] + [(0, y) for y in range(height - 2, 0, -1)]
        k = rng.randrange(len(ring))
        ring = ring[k:] + ring[:k]
        cells, pos = {c: i for i, c in enumerate(ring)}, list(ring)
        for i in range(len(ring)):
            a, b = i, (i + 1) % len(ring)
            dx, dy = ring[b][0] - ring[a][0], ring[b][1] - ring[a][1]
            edges.append((a, b, next(d for d in DIRECTIONS if _DELTA[d] == (dx, dy))))
    while len(pos) < n:
        if topology == "chain":
            frm = len(pos) - 1
        else:
            options = [i for i in range(len(pos)) if free_dirs(pos[i])]
            if not options:
                return None
            frm = rng.choice(options)
        dirs = free_dirs(pos[frm])
        if not dirs:
            return None
        add(frm, rng.choice(dirs))
    return edges


def _attempt(rng: random.Random, p: WorldParams) -> World | None:
    edges = _layout(rng, p.rooms, p.topology)
    if edges is None:
        return None
    rooms = tuple(rng.sample(ROOM_NAMES, p.rooms))
    n = p.rooms
    start = rng.randrange(n) if p.topology == "ring" else 0

    # doors: which edges are locked
    locked_edges = sorted(rng.sample(range(len(edges)), p.locked_doors))
    door_of_edge = {e: d for d, e in enumerate(locked_edges)}
    exits_list: list[dict[str, tuple[int, int]]] = [{} for _ in range(n)]
    for e, (a, b, d) in enumerate(edges):
        door = door_of_edge.get(e, -1)
        exits_list[a][d] = (b, door)
        exits_list[b][_OPPOSITE[d]] = (a, door)
    exits = tuple(tuple((d, *ex[d]) for d in DIRECTIONS if d in ex) for ex in exits_list)

    containers = tuple(rng.sample(CONTAINER_NAMES, p.containers))
    container_room = tuple(rng.randrange(n) for _ in containers)
    opened = sum(1 << c for c in range(len(containers)) if rng.random() < 0.3)

    # keys: place each in the region reachable without it, so every world is solvable
    key_names = [f"{c} key" for c in rng.sample(KEY_COLORS, p.locked_doors)]
    n_items = p.distractors + (0 if p.goal in ("reach", "unlock") else 1)
    items = rng.sample(ITEM_NAMES, n_items)
    objects = tuple(key_names + items)
    locs = [0] * len(objects)
    door_key = [0] * p.locked_doors
    pending = set(range(p.locked_doors))
    region = _region(exits, start, pending)
    key_order = []
    while pending:
        frontier = sorted(d for d in pending if _door_rooms(exits, d) & region)
        d = rng.choice(frontier)
        key_order.append(d)
        door_key[d] = len(key_order) - 1  # keys are numbered in the order they become reachable
        locs[door_key[d]] = _spot(rng, sorted(region), container_room, n)
        pending.discard(d)
        region = _region(exits, start, pending)
    for i in range(len(key_names), len(objects)):
        locs[i] = _spot(rng, list(range(n)), container_room, n)

    # the final goal
    item0 = len(key_names)  # the target item, when the goal has one
    if p.goal == "reach":
        final: Subgoal = ("go", rng.choice([r for r in range(n) if r != start]))
    elif p.goal == "fetch":
        final = ("take", item0)
    elif p.goal == "deliver":
        c = rng.randrange(len(containers))
        if locs[item0] == n + c:
            return None
        final = ("put", item0, c)
    elif p.goal == "unlock":
        d = key_order[-1]  # the deepest door
        final = ("unlock", d, -1)
    else:  # return
        if locs[item0] == start or (locs[item0] >= n and container_room[locs[item0] - n] == start):
            return None
        final = ("return", item0, start)
    return World(rooms=rooms, exits=exits, door_key=tuple(door_key), objects=objects, containers=containers,
                 container_room=container_room, start_room=start, start_locs=tuple(locs),
                 start_locked=(1 << p.locked_doors) - 1, start_opened=opened, quest=(final,),
                 family=f"{p.topology}/{p.goal}",
                 object_index={name: i for i, name in enumerate(objects)},
                 container_index={name: i for i, name in enumerate(containers)})


def _door_rooms(exits, door: int) -> set[int]:
    return {r for r, ex in enumerate(exits) for _d, _nb, dr in ex if dr == door}


def _region(exits, start: int, locked: set[int]) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        r = todo.pop()
        for _d, nb, door in exits[r]:
            if nb not in seen and door not in locked:
                seen.add(nb)
                todo.append(nb)
    return seen


def _spot(rng: random.Random, rooms: list[int], container_room: tuple[int, ...], n: int) -> int:
    """A random place in one of `rooms`: its floor, or one of its containers (40% when it has any)."""
    r = rng.choice(rooms)
    inside = [c for c, cr in enumerate(container_room) if cr == r]
    if inside and rng.random() < 0.4:
        return n + rng.choice(inside)
    return r
