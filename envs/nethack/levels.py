"""Levels made with MiniHack's LevelGenerator, laid out in Python from a task's seed (so a layout is a pure function of
the seed, and held-out layouts can be checked against training ones).

- Lava: a lit room crossed by one or two rivers of lava, each with a single dry crossing; the stairs down lie beyond.
  Stepping into lava kills the hero (a Rogue is not fire resistant): the episode ends as a loss.
- Boulder (Sokoban-like): a lit room split by a wall whose only gap is plugged by a boulder, with one or two more
  boulders about; the stairs down lie beyond the wall. The hero must push boulders (walk into one and it rolls a
  square on, if that square is free floor) to open the way. Built in MiniHack's level generator instead of from the
  Boxoban maps MiniHack downloads, which cannot be fetched here; the goal is MiniHack's (reach the stairs), not
  Boxoban's (boulders onto fountains).

`solve_pushes` is the planner for the Boulder task; the generator keeps only layouts it solves and that cannot be
solved without a push.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

Cell = tuple[int, int]  # (x, y): column, row
MOVES = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0), "northeast": (1, -1),
         "northwest": (-1, -1), "southeast": (1, 1), "southwest": (-1, 1)}
ORTHOGONAL = ("north", "south", "east", "west")


@dataclass(frozen=True)
class Layout:
    """A generated level: the map rows (walls '-' '|', floor '.', lava 'L'), boulders, start and stairs."""

    rows: tuple[str, ...]
    start: Cell
    stairs: Cell
    boulders: tuple[Cell, ...] = ()

    def des(self) -> str:
        """The des-file text, through MiniHack's LevelGenerator."""
        from agentgym.envs.nethack.engine import minihack

        gen = minihack().LevelGenerator(map="\n".join(self.rows), lit=True, flags=("hardfloor", "noteleport"))
        gen.set_start_pos(self.start)
        gen.add_stair_down(self.stairs)
        for b in self.boulders:
            gen.add_boulder(b)
        return gen.get_des()

    def key(self) -> str:
        """Identity of the layout (for split disjointness)."""
        return "/".join(self.rows) + f"|{self.start}|{self.stairs}|{sorted(self.boulders)}"


def _room(w: int, h: int) -> list[list[str]]:
    """An interior of w x h floor squares inside walls (so the map is (w + 2) x (h + 2))."""
    top = ["-"] * (w + 2)
    return [top[:]] + [["|"] + ["."] * w + ["|"] for _ in range(h)] + [top[:]]


def lava_layout(seed: int) -> Layout:
    rng = random.Random(f"lava-{seed}")
    w, h = rng.randint(8, 11), rng.randint(4, 6)
    grid = _room(w, h)
    n_rivers = 1 if w < 10 else 2
    columns = sorted(rng.sample(range(3, w - 1), n_rivers)) if n_rivers == 2 else [rng.randint(3, w - 2)]
    if n_rivers == 2 and columns[1] - columns[0] < 3:
        columns = [columns[0]]
    for c in columns:
        gap = rng.randint(1, h)
        for r in range(1, h + 1):
            if r != gap:
                grid[r][c] = "L"
    start = (rng.randint(1, columns[0] - 1), rng.randint(1, h))
    stairs = (rng.randint(columns[-1] + 1, w), rng.randint(1, h))
    return Layout(rows=tuple("".join(r) for r in grid), start=start, stairs=stairs)


def boulder_layout(seed: int) -> Layout:
    """A Boulder level that needs at least one push; tries successive sub-seeds until the planner agrees."""
    for attempt in range(1000):
        rng = random.Random(f"boulder-{seed}-{attempt}")
        w, h = rng.randint(6, 8), rng.randint(3, 5)
        grid = _room(w, h)
        wall_col = rng.randint(3, w - 2)
        gap = rng.randint(1, h)
        for r in range(1, h + 1):
            grid[r][wall_col] = "|"
        grid[gap][wall_col] = "."
        boulders = {(wall_col, gap)}
        free = [(x, y) for y in range(1, h + 1) for x in range(1, w + 1) if grid[y][x] == "." and (x, y) not in boulders]
        extra = rng.sample(free, rng.randint(1, 2))
        boulders |= set(extra)
        left = [c for c in free if c[0] < wall_col and c not in boulders]
        right = [c for c in free if c[0] > wall_col and c not in boulders]
        if not left or not right:
            continue
        start, stairs = rng.choice(left), rng.choice(right)
        rows = tuple("".join(r) for r in grid)
        walls = {(x, y) for y, row in enumerate(rows) for x, ch in enumerate(row) if ch in "-|"}
        if _reachable(start, stairs, walls | boulders):
            continue  # must need a push
        if solve_pushes(start, stairs, walls, frozenset(boulders), max_states=50_000) is None:
            continue
        return Layout(rows=rows, start=start, stairs=stairs, boulders=tuple(sorted(boulders)))
    raise RuntimeError(f"no solvable Boulder layout for seed {seed}")  # never seen: most attempts succeed


def _reachable(a: Cell, b: Cell, blocked: set[Cell]) -> bool:
    seen, todo = {a}, deque([a])
    while todo:
        x, y = todo.popleft()
        if (x, y) == b:
            return True
        for dx, dy in MOVES.values():
            n = (x + dx, y + dy)
            if n not in seen and n not in blocked and 0 <= n[0] < 90 and 0 <= n[1] < 30 and \
                    not (dx and dy and (x + dx, y) in blocked and (x, y + dy) in blocked):
                seen.add(n)
                todo.append(n)
    return False


def solve_pushes(start: Cell, goal: Cell | set[Cell], walls: set[Cell] | frozenset[Cell], boulders: frozenset[Cell],
                 *, floor: Iterable[Cell] | None = None, push_into: Iterable[Cell] = (),
                 max_states: int = 200_000) -> list[str] | None:
    """Shortest list of moves that takes the hero from `start` onto `goal` (a square or a set of them), pushing
    boulders orthogonally.

    The model is the part of NetHack's rules the plan relies on: a move into a boulder along a row or column pushes it
    one square if that square is free (not wall, not boulder); diagonal moves never push and never squeeze between two
    blocked orthogonal neighbours. Plans made under it are valid in the game (NetHack allows more: diagonal pushes
    outside Sokoban). `floor`, if given, is the set of squares known to be walkable; otherwise every non-wall square
    is floor. `push_into` are further squares a boulder may be pushed onto (squares not seen yet, hoped to be floor).
    """
    floor_set = set(floor) if floor is not None else None
    goals = goal if isinstance(goal, set) else {goal}
    hoped = set(push_into)

    def open_sq(c: Cell) -> bool:
        return c not in walls and (floor_set is None or c in floor_set)

    state = (start, boulders)
    parent: dict[tuple[Cell, frozenset[Cell]], tuple | None] = {state: None}
    todo = deque([state])
    while todo:
        cur = todo.popleft()
        (x, y), bs = cur
        if (x, y) in goals:
            plan = []
            while parent[cur] is not None:
                prev, move = parent[cur]
                plan.append(move)
                cur = prev
            return plan[::-1]
        for move, (dx, dy) in MOVES.items():
            n = (x + dx, y + dy)
            if not open_sq(n):
                continue
            nbs = bs
            if n in bs:
                if dx and dy:
                    continue
                beyond = (n[0] + dx, n[1] + dy)
                if not (open_sq(beyond) or beyond in hoped) or beyond in bs:
                    continue
                nbs = (bs - {n}) | {beyond}
            elif dx and dy:
                a, b = (x + dx, y), (x, y + dy)
                if (not open_sq(a) or a in bs) and (not open_sq(b) or b in bs):
                    continue
            nxt = (n, nbs)
            if nxt not in parent:
                parent[nxt] = (cur, move)
                if len(parent) > max_states:
                    return None
                todo.append(nxt)
    return None
