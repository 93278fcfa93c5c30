"""Negotiation over dividing items with private values, after "Deal or No Deal?" (Lewis et al. 2017), with
structured proposals instead of free dialogue; written here (PettingZoo has no negotiation game)."""

from __future__ import annotations

import functools
import itertools
import random
import re
from typing import Any

import numpy as np

from agentgym.core import Task, TaskSuite
from agentgym.multiagent import TextGame, normalise

ITEMS = ("book", "hat", "ball")
TOTAL_VALUE = 10


def _instances(rng: random.Random, n: int, seen: set[str]) -> list[dict[str, Any]]:
    """Lewis et al.'s generator: 5-7 items over 3 types (1-4 each); each player's values sum to 10 over the pool;
    every item type is worth something to at least one player. Kept only when some division gives both >= 5, so
    a fair deal exists."""
    out = []
    while len(out) < n:
        counts = [rng.randint(1, 4) for _ in ITEMS]
        if not 5 <= sum(counts) <= 7:
            continue
        values = []
        for _ in range(2):
            for _ in range(1000):
                v = [rng.randint(0, 10) for _ in ITEMS]
                if sum(c * x for c, x in zip(counts, v)) == TOTAL_VALUE:
                    values.append(v)
                    break
        if len(values) < 2 or any(values[0][i] == values[1][i] == 0 for i in range(3)):
            continue
        if not any(score(values[0], a) >= 5 and score(values[1], rest(counts, a)) >= 5 for a in divisions(counts)):
            continue
        key = repr((counts, values))
        if key in seen:
            continue
        seen.add(key)
        out.append({"counts": counts, "values": values})
    return out


def divisions(counts: list[int]) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(c + 1) for c in counts)))


def rest(counts: list[int], take: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(c - t for c, t in zip(counts, take))


def score(values: list[int], take: tuple[int, ...]) -> int:
    return sum(v * t for v, t in zip(values, take))


@functools.lru_cache(maxsize=1)
def negotiation_suite() -> TaskSuite:
    seen: set[str] = set()
    splits = {}
    for split, n, seed in (("train", 500, 0), ("heldout", 100, 1)):
        splits[split] = [Task(id=f"negotiation/{split}/{i:04d}", split=split, seed=i, params=p, family="dond")
                         for i, p in enumerate(_instances(random.Random(seed), n, seen))]
    return TaskSuite("negotiation", "1", splits)


def _words(take: tuple[int, ...]) -> str:
    return ", ".join(f"{n} {item}{'s' if n != 1 else ''}" for n, item in zip(take, ITEMS))


class NegotiationGame(TextGame):
    """Two seats divide a pool of books, hats and balls; each values the items privately (multi-agent id
    agentgym/NegotiationMA-v0, single-seat view agentgym/Negotiation-v0). After Lewis et al. 2017 (Deal or No
    Deal), SPIRAL's "simple negotiation".

    Task:
        Agree on a division. The pool (5-7 items, 1-4 of each type) and both private value vectors (each summing
        to 10 over the pool) come from the task; some division gives both seats at least 5.

    Observation:
        Text, per seat: the pool, your own values (never the other's), the proposal on the table, the turns left,
        and on your turn the moves.

    Actions:
        "propose book=B hat=H ball=L" (the items YOU keep; the rest go to the other seat; "propose 1 0 2" too),
        or "accept" (takes the other seat's standing proposal). Seats alternate; player_0 opens.

    Reward:
        At the end: your points, sum of your values of the items you get, on agreement; 0 each without agreement
        (Lewis et al.'s rule). Not zero-sum. info["success"] = an agreement worth at least 5 (half) to the seat.

    Episode end:
        Terminated on "accept" or when the rounds run out (`rounds` proposals in all, 10); truncated after
        max_turns calls to step (40).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).
        Scripted player params: floor (the least it accepts, default 5), step (its concession per own turn, 1).

    Dependencies:
        extra `multiagent` (pettingzoo for the AEC base class only).

    Departures from the original:
        Lewis et al. negotiate in free dialogue and then each writes the deal; here the moves are structured
        proposals and acceptance (SPIRAL does the same), and the rounds are capped at 10 proposals.

    Version history:
        v0: first version (suite "negotiation" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_negotiation_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 40
    seat_max_turns = 12
    rounds = 10
    oracle_wins_every_task = False  # measured: the oracle reaches a deal worth >= 5 on 97% of tasks (1164 / 1200)

    @property
    def suite(self):  # type: ignore[override]
        return negotiation_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self.counts = list(task.params["counts"])
        self.values = {a: list(v) for a, v in zip(self.possible_agents, task.params["values"])}
        self.proposals: list[tuple[str, tuple[int, ...]]] = []  # (proposer, what the proposer keeps)
        self.agreed = False
        self._last = ""
        self._proposal_moves = ["propose " + " ".join(f"{i}={n}" for i, n in zip(ITEMS, take))
                                for take in divisions(self.counts)]

    def _to_move(self) -> str:
        return self.possible_agents[len(self.proposals) % 2] if not self.agreed else self.possible_agents[0]

    def legal_moves(self, agent: str) -> list[str]:
        if self._payoffs() is not None or agent != self._to_move():
            return []
        return (["accept"] if self.proposals else []) + self._proposal_moves

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text)
        if s in ("accept", "deal", "i accept"):
            if not self.proposals:
                return None, "there is no proposal to accept yet; make one."
            return "accept", ""
        if not s.startswith("propose"):
            return None, "say 'accept' or 'propose book=B hat=H ball=L' (the items you keep)."
        body = s[len("propose"):]
        named = dict(re.findall(r"(book|hat|ball)s?\s*[=:]?\s*(\d+)", body))
        if len(named) == 3:
            take = tuple(int(named[i]) for i in ITEMS)
        else:
            nums = re.findall(r"\d+", body)
            if len(nums) != 3:
                return None, "name how many of each you keep: propose book=B hat=H ball=L."
            take = tuple(int(n) for n in nums)
        if any(not 0 <= t <= c for t, c in zip(take, self.counts)):
            return None, f"you can keep at most {_words(tuple(self.counts))}."
        return take, ""

    def _apply(self, agent: str, move: Any) -> str:
        if move == "accept":
            self.agreed = True
            self._last = f"{agent} accepts."
        else:
            self.proposals.append((agent, move))
            self._last = f"{agent} proposes to keep {_words(move)}."
        return self._last

    def _shares(self) -> dict[str, tuple[int, ...]]:
        proposer, take = self.proposals[-1]
        other = [a for a in self.possible_agents if a != proposer][0]
        return {proposer: take, other: rest(self.counts, take)}

    def _view(self, agent: str) -> str:
        lines = ([self._last] if self._last else []) + [
            f"You are {agent}. Items: {_words(tuple(self.counts))}.",
            "Your values: " + ", ".join(f"{item} {v}" for item, v in zip(ITEMS, self.values[agent])) +
            f" (all items together are worth {TOTAL_VALUE} to you)."]
        if self.proposals:
            shares = self._shares()
            lines.append(f"On the table ({self.proposals[-1][0]}'s proposal): you get {_words(shares[agent])}, "
                         f"worth {score(self.values[agent], shares[agent])} to you.")
        lines.append(f"Proposals left: {self.rounds - len(self.proposals)}.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        if self.agreed:
            return {a: float(score(self.values[a], t)) for a, t in self._shares().items()}
        if len(self.proposals) >= self.rounds:
            return dict.fromkeys(self.possible_agents, 0.0)
        return None

    def outcome(self, agent: str) -> str | None:  # not zero-sum: a deal both like is a win for both
        if self._payoff is None:
            return None
        return "win" if self._success(agent, self._payoff[agent]) else "loss"

    def _success(self, agent: str, payoff: float) -> bool:
        return self.agreed and payoff >= TOTAL_VALUE / 2

    def scripted_action(self, agent: str, **params: Any) -> str:
        """A rational negotiator that knows only its own values: its aspiration starts at 10 and drops by `step`
        per own turn down to `floor` (5); it accepts a standing offer worth at least its aspiration, or at least its
        floor when this is the last proposal it could make; otherwise it proposes the division worth at least its
        aspiration that leaves the other seat the most items (ties: more for itself, then the first listed)."""
        floor, step = float(params.get("floor", 5)), float(params.get("step", 1))
        own_turn = len(self.proposals) // 2
        aspiration = max(floor, TOTAL_VALUE - step * own_turn)
        mine = self.values[agent]
        if self.proposals:
            offered = score(mine, self._shares()[agent])
            last_chance = len(self.proposals) >= self.rounds - 1
            if offered >= aspiration or (last_chance and offered >= floor):
                return "accept"
        options = [t for t in divisions(self.counts) if score(mine, t) >= aspiration]
        best = max(options, key=lambda t: (sum(rest(self.counts, t)), score(mine, t))) if options \
            else tuple(self.counts)
        return "propose " + " ".join(f"{i}={n}" for i, n in zip(ITEMS, best))

    def oracle_action(self, agent: str | None = None) -> str:
        """The expert (privileged: it reads both value vectors): accept a standing offer worth >= 5; otherwise
        propose the division best for itself among those worth >= 5 to it and at least what the scripted
        negotiator will accept on its next turn (its aspiration then; its floor on the last proposal)."""
        agent = agent or self.agent_selection
        other = [a for a in self.possible_agents if a != agent][0]
        mine, theirs = self.values[agent], self.values[other]
        if self.proposals and score(mine, self._shares()[agent]) >= TOTAL_VALUE / 2:
            return "accept"
        their_turn = (len(self.proposals) + 1) // 2
        need = max(5.0, TOTAL_VALUE - their_turn)
        if len(self.proposals) + 1 >= self.rounds - 1:
            need = 5.0
        for want in (need, 5.0):
            options = [t for t in divisions(self.counts) if score(mine, t) >= 5
                       and score(theirs, rest(self.counts, t)) >= want]
            if options:
                best = max(options, key=lambda t: (score(mine, t), score(theirs, rest(self.counts, t))))
                return "propose " + " ".join(f"{i}={n}" for i, n in zip(ITEMS, best))
        return self.scripted_action(agent)

    def system_prompt(self, agent: str) -> str:
        return ("You are negotiating how to divide books, hats and balls with another player. You know only your own "
                "values. Reply 'propose book=B hat=H ball=L' (the items you keep) or 'accept'. No deal scores 0.")
