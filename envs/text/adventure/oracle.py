"""The adventure's expert: breadth-first search over the true state, restricted to useful actions.

The search runs on the same rules as the env (world.py) over compact tuples. It prunes actions that never help
(drop, close, look, inventory, taking objects no subgoal or locked door needs), which keeps it to a few thousand
states on the hard level. Because no action of the game can make the quest impossible (nothing locks, every object
can be taken back), replanning from any state always finds a solution.

`milestones(world)` is also how quests are made: the generator plans for a final goal and the quest's subgoals are
the milestones of the shortest solution (each key taken, door unlocked, container opened, the target taken, put, or
the destination reached).
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from agentgym.envs.text.adventure.world import INVENTORY, State, Subgoal, World, advance, holds

SearchState = tuple  # (room, locs tuple, locked bitmask, opened bitmask, subgoals done)


def _successors(w: World, st: SearchState, objs: tuple[int, ...], conts: frozenset[int],
                puts: tuple[tuple[int, int], ...], track_done: bool):
    room, locs, locked, opened, done = st
    R = w.num_rooms

    def nxt(room2, locs2, locked2, opened2):
        d = advance(w, room2, locs2, locked2, opened2, done) if track_done else done
        return (room2, locs2, locked2, opened2, d)

    for d, nb, door in w.exits[room]:
        if door >= 0 and (locked >> door) & 1:
            if locs[w.door_key[door]] == INVENTORY:
                yield f"unlock {d} door", nxt(room, locs, locked & ~(1 << door), opened)
        else:
            yield f"go {d}", nxt(nb, locs, locked, opened)
    for c in conts:
        if w.container_room[c] == room and not (opened >> c) & 1:
            yield f"open {w.containers[c]}", nxt(room, locs, locked, opened | (1 << c))
    for o in objs:
        loc = locs[o]
        if loc == room or (loc >= R and w.container_room[loc - R] == room and (opened >> (loc - R)) & 1):
            locs2 = locs[:o] + (INVENTORY,) + locs[o + 1:]
            yield f"take {w.objects[o]}", nxt(room, locs2, locked, opened)
    for o, c in puts:
        if locs[o] == INVENTORY and w.container_room[c] == room and (opened >> c) & 1:
            locs2 = locs[:o] + (R + c,) + locs[o + 1:]
            yield f"put {w.objects[o]} in {w.containers[c]}", nxt(room, locs2, locked, opened)


def search(w: World, start: SearchState, goal: Callable[[SearchState], bool], *, objs: tuple[int, ...],
           conts: frozenset[int], puts: tuple[tuple[int, int], ...], track_done: bool,
           max_states: int = 200_000) -> list[tuple[str, SearchState]] | None:
    """Shortest list of (action, state after it) from `start` to a state where `goal` holds; None if none."""
    if goal(start):
        return []
    parent: dict[SearchState, tuple[SearchState, str] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        st = frontier.popleft()
        for action, st2 in _successors(w, st, objs, conts, puts, track_done):
            if st2 in parent:
                continue
            parent[st2] = (st, action)
            if goal(st2):
                path = []
                cur = st2
                while parent[cur] is not None:
                    prev, act = parent[cur]  # type: ignore[misc]
                    path.append((act, cur))
                    cur = prev
                return path[::-1]
            frontier.append(st2)
        if len(parent) > max_states:
            return None
    return None


def _relevant(w: World, subgoals: tuple[Subgoal, ...], locked: int, locs) -> tuple[tuple, frozenset, tuple]:
    R = w.num_rooms
    objs = {w.door_key[d] for d in range(len(w.door_key)) if (locked >> d) & 1}
    conts: set[int] = set()
    puts = []
    for sub in subgoals:
        if sub[0] in ("take", "return"):
            objs.add(sub[1])
        elif sub[0] == "put":
            objs.add(sub[1])
            conts.add(sub[2])
            puts.append((sub[1], sub[2]))
        elif sub[0] == "open":
            conts.add(sub[1])
    conts |= {locs[o] - R for o in objs if locs[o] >= R}
    return tuple(sorted(objs)), frozenset(conts), tuple(puts)


# ---------------------------------------------------------------------------------------------------------------------
# Making quests
# ---------------------------------------------------------------------------------------------------------------------
def milestones(w: World) -> list[Subgoal] | None:
    """The quest for a world whose `quest` holds one final goal: the milestones of the shortest solution."""
    (final,) = w.quest
    kind = final[0]

    def goal(st: SearchState) -> bool:
        room, locs, locked, opened, _ = st
        if kind == "return":
            return locs[final[1]] == INVENTORY and room == final[2]
        if kind == "unlock":
            return not (locked >> final[1]) & 1
        return holds(w, final, room, locs, locked, opened)

    objs, conts, puts = _relevant(w, (final,), w.start_locked, w.start_locs)
    start = (w.start_room, w.start_locs, w.start_locked, w.start_opened, 0)
    path = search(w, start, goal, objs=objs, conts=conts, puts=puts, track_done=False)
    if not path:
        return None  # unsolvable, or already solved at the start: not a quest
    out: list[Subgoal] = []
    prev_room = w.start_room
    for action, (room, *_rest) in path:
        verb, _, arg = action.partition(" ")
        if verb == "take":
            out.append(("take", w.object_index[arg]))
        elif verb == "open":
            out.append(("open", w.container_index[arg]))
        elif verb == "unlock":
            direction = arg.split(" ")[0]
            _d, far, door = next(e for e in w.exits[prev_room] if e[0] == direction)
            out.append(("unlock", door, far))
        elif verb == "put":
            obj, _, cont = arg.partition(" in ")
            out.append(("put", w.object_index[obj], w.container_index[cont]))
        prev_room = room
    if kind in ("reach", "go", "return"):
        out.append(("go", final[1] if kind == "go" else final[2]))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# The expert during an episode
# ---------------------------------------------------------------------------------------------------------------------
class Planner:
    """Plans once and replays the plan while the episode follows it; replans when the state differs from the
    plan's expectation (the agent took over for a while)."""

    def __init__(self, world: World):
        self.world = world
        self._plan: list[tuple[str, SearchState]] = []
        self._expect: SearchState | None = None

    def plan(self, s: State) -> list[str]:
        """The full remaining plan from state `s` (actions only)."""
        self._replan(s)
        return [a for a, _ in self._plan]

    def next_action(self, s: State) -> str:
        w = self.world
        if s.done >= len(w.quest):
            return "look"
        here = (s.room, tuple(s.locs), s.locked, s.opened, s.done)
        if not self._plan or here != self._expect:
            self._replan(s)
            if not self._plan:
                return "look"
        action, after = self._plan.pop(0)
        self._expect = after
        return action

    def _replan(self, s: State) -> None:
        w = self.world
        locs = tuple(s.locs)
        objs, conts, puts = _relevant(w, w.quest[s.done:], s.locked, locs)
        start = (s.room, locs, s.locked, s.opened, s.done)
        k = len(w.quest)
        path = search(w, start, lambda st: st[4] >= k, objs=objs, conts=conts, puts=puts, track_done=True)
        self._plan = list(path or [])
        self._expect = start


def solve(world: World) -> list[str]:
    """The oracle's whole solution from the world's start."""
    return Planner(world).plan(State.initial(world))
