"""The planners: breadth-first path planning over the map seen so far (NLE's glyphs), replanned every turn.

- Navigation (Room, Corridor, MazeWalk, Lava): walk to the stairs down once seen; until then walk to the nearest
  seen, unvisited square next to unexplored stone (frontier exploration); lava, water, walls and traps are never
  entered; NetHack's diagonal rules are kept (no diagonal step into or out of a doorway with a door). When nothing is
  left to explore (Corridor, NetHack), it searches for hidden corridor squares and doors at dead ends, then along
  room walls.
- KeyRoom: fetch the key (pickup), walk to the door, unlock it with the key once the game says it is locked
  (apply <letter> <direction> y), walk in (NetHack opens doors you walk into), reach the stairs.
- Boulder: plan over (hero, boulders) states with orthogonal pushes (levels.solve_pushes) on the seen map.
- NetHack: a scripted explorer, a baseline rather than an expert: fight adjacent monsters, pray when weak or low on
  hit points, eat when hungry, kick locked doors, explore, and go down the stairs as soon as it stands on them.

The planner reads only what the agent could see (the glyphs, the bottom line, the inventory and the messages), so its
episodes are fair demonstrations for SFT.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from agentgym.envs.nethack import glyphs as G
from agentgym.envs.nethack import levels
from agentgym.envs.nethack.engine import nethack

STEPS = (("north", 0, -1), ("south", 0, 1), ("east", 1, 0), ("west", -1, 0), ("northeast", 1, -1),
         ("northwest", -1, -1), ("southeast", 1, 1), ("southwest", -1, 1))
WALKABLE_CMAP = frozenset({G.S_NDOOR, G.S_VODOOR, G.S_HODOOR, G.S_ROOM, G.S_DARKROOM, G.S_CORR, G.S_LITCORR,
                           G.S_UPSTAIR, G.S_DNSTAIR, G.S_UPLADDER, G.S_DNLADDER, 27, 28, 29, 30, 31, G.S_ICE,
                           G.S_VODBRIDGE, G.S_HODBRIDGE, G.S_AIR, G.S_CLOUD, G.S_VIBRATING_SQUARE})
SEARCHES_AT_DEAD_END, SEARCHES_BY_WALL = 25, 8
"""How often the planner searches one square before moving on. A search finds an adjacent hidden square with
probability about 1/7 at luck 0, so 25 searches at a corridor's dead end (where a hidden corridor square most likely
continues it) miss it 2% of the time, 8 along a room wall 29%; when every square is done the planner starts over."""
OPEN_DOORS = frozenset({G.S_VODOOR, G.S_HODOOR})
CLOSED_DOORS = frozenset({G.S_VCDOOR, G.S_HCDOOR})


class Planner:
    """One episode's planner; it keeps what it learnt (squares visited, locked doors) between turns."""

    def __init__(self, task: str):
        self.task = task
        self.visited: set[tuple[int, int]] = set()
        self.locked: set[tuple[int, int]] = set()
        self.blocked: set[tuple[int, int]] = set()
        self.level_key: tuple[int, int] | None = None
        self.last: tuple[tuple[int, int], tuple[int, int] | None] | None = None
        self.searches = 0
        self.last_prayer = -10_000
        self.downstairs: tuple[int, int] | None = None
        self.pushing: tuple[int, int] | None = None
        self.doors: set[tuple[int, int]] = set()
        self.searched: dict[tuple[int, int], int] = {}
        self.truth_stairs: tuple[int, int] | None = None
        self.truth_walls: set[tuple[int, int]] = set()
        self.belief_boulders: set[tuple[int, int]] = set()

    # -- the map ------------------------------------------------------------------------------------------------------
    def _classify(self, glyphs: np.ndarray) -> np.ndarray:
        """Per square: 0 unknown, 1 walkable, 2 blocked, 3 closed door, 4 boulder, 5 open door, 6 monster."""
        cls = np.full(glyphs.shape, 2, dtype=np.int8)
        cmap = glyphs - nethack.GLYPH_CMAP_OFF
        is_cmap = (glyphs >= nethack.GLYPH_CMAP_OFF) & (glyphs < nethack.GLYPH_EXPLODE_OFF)
        cls[is_cmap & (cmap == G.S_STONE)] = 0
        cls[is_cmap & np.isin(cmap, list(WALKABLE_CMAP))] = 1
        cls[is_cmap & np.isin(cmap, list(OPEN_DOORS))] = 5
        cls[is_cmap & np.isin(cmap, list(CLOSED_DOORS))] = 3
        cls[glyphs >= nethack.GLYPH_EXPLODE_OFF] = 1  # zaps, explosions and warnings pass; statues block below
        cls[glyphs >= nethack.GLYPH_STATUE_OFF] = 2
        objects = (glyphs >= nethack.GLYPH_OBJ_OFF) & (glyphs < nethack.GLYPH_CMAP_OFF)
        objects |= (glyphs >= nethack.GLYPH_BODY_OFF) & (glyphs < nethack.GLYPH_RIDDEN_OFF)
        cls[objects] = 1
        cls[glyphs == G.boulder_glyph()] = 4
        monsters = (glyphs < nethack.GLYPH_INVIS_OFF) | ((glyphs >= nethack.GLYPH_DETECT_OFF)
                                                         & (glyphs < nethack.GLYPH_BODY_OFF))
        cls[monsters] = 6
        return cls

    def _path(self, cls: np.ndarray, start: tuple[int, int], goals: set[tuple[int, int]], *,
              through_monsters: bool = True) -> list[tuple[str, tuple[int, int]]] | None:
        """Shortest list of (move, square) from start to any goal square, on walkable squares (a goal may be a door)."""
        h, w = cls.shape
        parent: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
        todo = deque([start])

        def enterable(x: int, y: int) -> bool:
            if (x, y) in self.blocked:
                return False
            c = cls[y, x]
            return c in (1, 5) or (c == 6 and through_monsters)

        while todo:
            cur = todo.popleft()
            if cur in goals and cur != start:
                path = []
                while parent[cur] is not None:
                    prev, move = parent[cur]
                    path.append((move, cur))
                    cur = prev
                return path[::-1]
            x, y = cur
            for move, dx, dy in STEPS:
                nx, ny = x + dx, y + dy
                if not (0 <= nx < w and 0 <= ny < h) or (nx, ny) in parent:
                    continue
                is_goal = (nx, ny) in goals
                if not enterable(nx, ny) and not (is_goal and cls[ny, nx] in (0, 3, 1, 5, 6)):
                    continue
                if dx and dy:
                    if cls[y, x] == 5 or cls[ny, nx] in (3, 5):
                        continue  # no diagonal moves into or out of a doorway with a door
                    # squeezing diagonally between two blocked squares is allowed to a hero carrying under 600
                    # weight units (every starting inventory); corridors often run diagonally between rock
                if cls[ny, nx] == 3 and (dx and dy):
                    continue
                parent[(nx, ny)] = (cur, move)
                if is_goal or enterable(nx, ny):
                    todo.append((nx, ny))
        return None

    def _frontier(self, cls: np.ndarray) -> set[tuple[int, int]]:
        unknown = cls == 0
        near_unknown = np.zeros_like(unknown)
        near_unknown[1:, :] |= unknown[:-1, :]
        near_unknown[:-1, :] |= unknown[1:, :]
        near_unknown[:, 1:] |= unknown[:, :-1]
        near_unknown[:, :-1] |= unknown[:, 1:]
        near_unknown[1:, 1:] |= unknown[:-1, :-1]
        near_unknown[:-1, :-1] |= unknown[1:, 1:]
        near_unknown[1:, :-1] |= unknown[:-1, 1:]
        near_unknown[:-1, 1:] |= unknown[1:, :-1]
        ys, xs = np.nonzero(near_unknown & np.isin(cls, (1, 5)))
        return {(int(x), int(y)) for x, y in zip(xs, ys)} - self.visited

    # -- deciding -----------------------------------------------------------------------------------------------------
    def next_action(self, view) -> str:
        here = (view.x, view.y)
        level = (int(view.blstats[23]), int(view.blstats[12]))
        if level != self.level_key:
            self.level_key, self.visited, self.locked, self.blocked = level, set(), set(), set()
            self.downstairs, self.last, self.doors, self.searched = None, None, set(), {}
        self._learn(view, here)
        self.visited.add(here)
        glyphs = view.glyphs
        cls = self._classify(glyphs)
        # the hero's own glyph hides the square it stands on: remember doors, so as not to leave one diagonally
        self.doors |= {(int(x), int(y)) for y, x in zip(*np.nonzero(np.isin(cls, (3, 5))))}
        cls[here[1], here[0]] = 5 if here in self.doors else 1  # the hero stands on walkable ground
        self.locked = {d for d in self.locked if cls[d[1], d[0]] == 3}  # a kicked-in door is no longer locked
        stairs = {(int(x), int(y)) for y, x in zip(*np.nonzero(glyphs == nethack.GLYPH_CMAP_OFF + G.S_DNSTAIR))}
        if stairs:
            self.downstairs = next(iter(stairs))
        if self.task == "NetHack":
            action = self._nethack(view, cls, here)
        elif self.task == "Boulder":
            action = self._boulder(view, cls, here, stairs) or self._navigate(view, cls, here, stairs)
        elif self.task == "KeyRoom":
            action = self._keyroom(view, cls, here, stairs)
        else:
            action = self._navigate(view, cls, here, stairs)
        return action

    def _learn(self, view, here: tuple[int, int]) -> None:
        """Read the last move's outcome: a locked door, a move that went nowhere."""
        msg = view.message
        if self.pushing is not None and ("in vain" in msg or "Perhaps that's why" in msg):
            self.blocked.add(self.pushing)  # the boulder would not roll there: something solid lies beyond
        self.pushing = None
        if self.last is not None:
            before, target = self.last
            if target is not None and before == here:
                if "locked" in msg:
                    self.locked.add(target)
                elif "WHAMM" in msg:
                    pass  # kicked a locked door that held: kick again
                elif "unlock" in msg or "opens" in msg or "door" in msg.lower() or "boulder" in msg:
                    pass  # the door opened or moved: try again
                else:
                    self.blocked.add(target)
            if target in self.locked and ("succeed in unlocking" in msg or "unlock" in msg):
                self.locked.discard(target)
        self.last = None

    def _go(self, here: tuple[int, int], path: list[tuple[str, tuple[int, int]]]) -> str:
        move, square = path[0]
        self.last = (here, square)
        return move

    def _navigate(self, view, cls: np.ndarray, here: tuple[int, int], stairs: set[tuple[int, int]]) -> str:
        # closed doors (a secret door once found shows as one) are opened by walking into them
        doors = {(int(x), int(y)) for y, x in zip(*np.nonzero(cls == 3))} - self.locked - self.blocked
        if self.task == "Corridor":
            for move, dx, dy in STEPS[:4]:
                if (here[0] + dx, here[1] + dy) in self.locked:
                    self.last = (here, (here[0] + dx, here[1] + dy))
                    return f"kick {move}"
        for goals in (stairs, self._frontier(cls), doors):
            if goals:
                path = self._path(cls, here, goals)
                if path:
                    return self._go(here, path)
        if self.task in ("NetHack", "Corridor"):
            return self._search_hidden(cls, here)
        return self._wander(cls, here)

    def _search_hidden(self, cls: np.ndarray, here: tuple[int, int]) -> str:
        """Nothing left to explore: search for hidden doors and corridors, first at corridor dead ends, then along
        room walls (SEARCHES_AT_DEAD_END and SEARCHES_BY_WALL times at each square), nearest first."""
        walkable = np.isin(cls, (1, 5))
        ys, xs = np.nonzero(walkable)
        dead_ends, by_walls = set(), set()
        for x, y in zip(xs.tolist(), ys.tolist()):
            done = self.searched.get((x, y), 0)
            around = cls[max(0, y - 1):y + 2, max(0, x - 1):x + 2]
            ny, nx = np.nonzero(np.isin(around, (1, 5, 3)))
            neighbours = [(int(a), int(b)) for a, b in zip(nx, ny) if (a, b) != (x - max(0, x - 1), y - max(0, y - 1))]
            # a dead end: at most two open neighbours, and those touch each other (a corridor's end or corner)
            if len(neighbours) <= 1 or (len(neighbours) == 2 and max(abs(neighbours[0][0] - neighbours[1][0]),
                                                                     abs(neighbours[0][1] - neighbours[1][1])) <= 1):
                if done < SEARCHES_AT_DEAD_END:
                    dead_ends.add((x, y))
            elif (around == 2).any() and done < SEARCHES_BY_WALL:
                by_walls.add((x, y))
        for targets in (dead_ends, by_walls):
            if here in targets:
                self.searched[here] = self.searched.get(here, 0) + 1
                return "search"
            if targets:
                path = self._path(cls, here, targets)
                if path:
                    return self._go(here, path)
        self.searched.clear()  # searched everywhere: start over (hidden things are found by chance)
        self.visited = {here}
        return "search"

    def _wander(self, cls: np.ndarray, here: tuple[int, int]) -> str:
        # MiniHack's navigation tasks have no search action: step to any walkable neighbour
        for move, dx, dy in STEPS:
            nx, ny = here[0] + dx, here[1] + dy
            if 0 <= ny < cls.shape[0] and 0 <= nx < cls.shape[1] and cls[ny, nx] == 1:
                return move
        return "north"

    def set_layout(self, layout, hero: tuple[int, int]) -> None:
        """Give the planner the true layout of a generated level (the hero stands on its start square now): the
        oracle then plans from the true state, as an expert should, instead of exploring."""
        ox, oy = hero[0] - layout.start[0], hero[1] - layout.start[1]
        self.truth_walls = {(x + ox, y + oy) for y, row in enumerate(layout.rows) for x, ch in enumerate(row)
                            if ch in "-|"}
        self.truth_stairs = (layout.stairs[0] + ox, layout.stairs[1] + oy)
        self.belief_boulders = {(x + ox, y + oy) for x, y in layout.boulders}

    def _boulder_from_truth(self, cls: np.ndarray, here: tuple[int, int]) -> str | None:
        # what is seen now overrides the belief; squares out of sight keep their last known content
        seen = cls != 0
        for y, x in zip(*np.nonzero(seen)):
            sq = (int(x), int(y))
            if cls[y, x] == 4:
                self.belief_boulders.add(sq)
            else:
                self.belief_boulders.discard(sq)
        self.belief_boulders.discard(here)
        plan = levels.solve_pushes(here, self.truth_stairs, self.truth_walls, frozenset(self.belief_boulders),
                                   max_states=200_000)
        return plan[0] if plan else None

    def _boulder(self, view, cls: np.ndarray, here: tuple[int, int], stairs: set[tuple[int, int]]) -> str | None:
        if self.truth_stairs is not None:
            action = self._boulder_from_truth(cls, here)
            if action is not None:
                return action
        ys, xs = np.nonzero(cls == 4)
        boulders = frozenset((int(x), int(y)) for x, y in zip(xs, ys))
        fy, fx = np.nonzero(np.isin(cls, (1, 5)))
        floor = {(int(x), int(y)) for x, y in zip(fx, fy)} | set(boulders) | {here}
        walls = {(int(x), int(y)) for y, x in zip(*np.nonzero(cls == 2))} | self.blocked
        unknown = {(int(x), int(y)) for y, x in zip(*np.nonzero(cls == 0))} - self.blocked
        # until the stairs are seen, aim for squares next to the unseen part (boulder squares count: a boulder hides
        # what lies behind it), and hope unseen squares take a pushed boulder
        goals = set(stairs) or (self._frontier(np.where(cls == 4, 1, cls)) - {here})
        if not goals:
            goals = set(boulders) - self.visited  # the stairs may lie under a boulder: roll each one off its square
        if not goals:
            return None
        # walk without pushing where that reaches a goal: a needless push can roll a boulder onto unseen stairs
        plan = levels.solve_pushes(here, goals, walls | boulders, frozenset(), floor=floor - boulders | {here},
                                   max_states=100_000)
        if not plan:
            plan = levels.solve_pushes(here, goals, walls, boulders, floor=floor, push_into=unknown,
                                       max_states=100_000)
        if not plan:
            return None
        dx, dy = levels.MOVES[plan[0]]
        target = (here[0] + dx, here[1] + dy)
        self.last = (here, target)
        self.pushing = (target[0] + dx, target[1] + dy) if target in boulders else None
        return plan[0]

    def _keyroom(self, view, cls: np.ndarray, here: tuple[int, int], stairs: set[tuple[int, int]]) -> str:
        key_letter = next((line[0] for line in view.inventory if "key" in line), None)
        if key_letter is None:
            keys = {(int(x), int(y)) for y, x in zip(*np.nonzero(_key_mask(view.glyphs)))}
            if "key" in view.message and "here" in view.message or (not keys and self._standing_on_key(view)):
                return "pickup"
            if keys:
                path = self._path(cls, here, keys)
                if path:
                    return self._go(here, path)
            return self._navigate(view, cls, here, set())
        if stairs:
            path = self._path(cls, here, stairs)
            if path:
                return self._go(here, path)
        for move, dx, dy in STEPS[:4]:
            door = (here[0] + dx, here[1] + dy)
            if door in self.locked:
                self.last = (here, door)
                return f"apply {key_letter} {move} y"
        doors = {(int(x), int(y)) for y, x in zip(*np.nonzero(cls == 3))}
        if doors:
            path = self._path(cls, here, doors)
            if path:
                return self._go(here, path)
        return self._navigate(view, cls, here, stairs)

    def _standing_on_key(self, view) -> bool:
        return "key" in view.message

    # -- the full game ------------------------------------------------------------------------------------------------
    def _nethack(self, view, cls: np.ndarray, here: tuple[int, int]) -> str:
        b = view.blstats
        hp, hpmax, turn, hunger = int(b[10]), int(b[11]), int(b[20]), int(b[21])
        if (hp * 7 < hpmax or hunger >= 3) and turn - self.last_prayer > 1000:
            self.last_prayer = turn
            return "pray y"
        if hunger >= 2:
            food = next((line[0] for line in view.inventory
                         if any(w in line for w in ("food ration", "cram", "lembas", "apple", "carrot", "banana",
                                                    "orange", "melon", "pancake", "fortune cookie", "tin"))), None)
            if food:
                return f"eat {food}"
        for move, dx, dy in STEPS:
            nx, ny = here[0] + dx, here[1] + dy
            if 0 <= ny < cls.shape[0] and 0 <= nx < cls.shape[1] and cls[ny, nx] == 6 \
                    and not G.is_pet(view.glyphs[ny, nx]) and (nx, ny) not in self.blocked:
                if "Really attack" in view.message:
                    self.blocked.add((nx, ny))
                    continue
                return f"fight {move}"
        if self.downstairs == here:
            return "down"
        for move, dx, dy in STEPS[:4]:
            door = (here[0] + dx, here[1] + dy)
            if door in self.locked:
                if "WHAMM" in view.message or "kick" not in view.message:
                    self.last = (here, door)
                    return f"kick {move}"
        goals = {self.downstairs} if self.downstairs else set()
        if goals:
            path = self._path(cls, here, goals)
            if path:
                return self._go(here, path)
        frontier = self._frontier(cls)
        doors = {(int(x), int(y)) for y, x in zip(*np.nonzero(cls == 3))} - self.blocked
        for targets in (frontier, doors):
            if targets:
                path = self._path(cls, here, targets)
                if path:
                    return self._go(here, path)
        return self._navigate(view, cls, here, set())


def _key_mask(glyphs: np.ndarray) -> np.ndarray:
    names = G.glyph_tables()[0]
    key_glyphs = [g for g in range(nethack.GLYPH_OBJ_OFF, nethack.GLYPH_CMAP_OFF) if names[g] in ("key", "skeleton key")]
    return np.isin(glyphs, key_glyphs)
