"""Kuhn poker (Kuhn 1950), written here (PettingZoo has no Kuhn poker): the game, its Nash equilibria, CFR+ to
compute one, and exact best responses to measure how exploitable a strategy is.

A strategy is a dict {infoset: probability of the aggressive action}, where an infoset is the player's card plus
the betting so far ("K", "Qc", "Jcb", "Kb", ...; c = check, b = bet, f = fold, a call after a bet is "c") and the
aggressive action is "bet" when no bet is outstanding and "call" when facing one.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np

from agentgym.core import Task
from agentgym.envs.games.tasks import seeded_suite
from agentgym.multiagent import TextGame, normalise

CARDS = ("J", "Q", "K")
RANK = {"J": 0, "Q": 1, "K": 2}
DEALS = list(itertools.permutations(CARDS, 2))  # (player_0's card, player_1's card), 6 equally likely deals
TERMINAL = ("cc", "bc", "bf", "cbc", "cbf")
INFOSETS = [c + h for c in CARDS for h in ("", "cb")] + [c + h for c in CARDS for h in ("c", "b")]
"""player_0 acts at "" and "cb", player_1 at "c" and "b"."""

Strategy = dict[str, float]


def to_act(history: str) -> int:
    return len(history) % 2


def facing_bet(history: str) -> bool:
    return history.endswith("b")


def payoff0(cards: tuple[str, str], history: str) -> float:
    """player_0's payoff at a terminal history (each antes 1; a bet or call adds 1)."""
    if history == "bf":
        return 1.0
    if history == "cbf":
        return -1.0
    stake = 2.0 if "b" in history else 1.0
    return stake if RANK[cards[0]] > RANK[cards[1]] else -stake


def nash_strategy(alpha: float = 1 / 6) -> Strategy:
    """Kuhn's family of equilibria, alpha in [0, 1/3]: player_0 bets J with prob alpha, K with 3 alpha, never Q;
    after check-bet calls with Q at alpha + 1/3, always with K, never with J. player_1 facing a bet calls with K,
    with Q at 1/3, folds J; after a check bets K, bluffs J at 1/3, checks Q. Game value for player_0: -1/18."""
    if not 0.0 <= alpha <= 1 / 3:
        raise ValueError(f"alpha must be in [0, 1/3] for a Kuhn equilibrium, got {alpha}")
    return {"J": alpha, "Q": 0.0, "K": 3 * alpha, "Jcb": 0.0, "Qcb": alpha + 1 / 3, "Kcb": 1.0,
            "Jb": 0.0, "Qb": 1 / 3, "Kb": 1.0, "Jc": 1 / 3, "Qc": 0.0, "Kc": 1.0}


def _actions(history: str) -> tuple[str, str]:
    """(passive, aggressive) history letters at a decision point."""
    return ("f", "c") if facing_bet(history) else ("c", "b")


def expected_value(s0: Strategy, s1: Strategy) -> float:
    """player_0's expected payoff when player_0 plays s0 and player_1 plays s1 (exact, over the 6 deals)."""
    strategies = (s0, s1)

    def rec(cards: tuple[str, str], h: str) -> float:
        if h in TERMINAL:
            return payoff0(cards, h)
        p = to_act(h)
        q = strategies[p][cards[p] + h]
        passive, aggressive = _actions(h)
        return (1 - q) * rec(cards, h + passive) + q * rec(cards, h + aggressive)

    return sum(rec(d, "") for d in DEALS) / len(DEALS)


def best_response_value(strategy: Strategy, player: int) -> float:
    """The expected payoff of `player`'s best response to the other player's part of `strategy` (exact)."""
    def rec(my_card: str, h: str, reach: dict[str, float]) -> float:
        # reach: {opponent card: probability the opponent's own actions lead to h}; returns the reach-weighted
        # payoff to `player` summed over the opponent's cards, so a choice at one infoset weighs every card the
        # opponent could hold there by how likely it is to have got there.
        if h in TERMINAL:
            total = 0.0
            for c, r in reach.items():
                v = payoff0((my_card, c) if player == 0 else (c, my_card), h)
                total += r * (v if player == 0 else -v)
            return total
        passive, aggressive = _actions(h)
        if to_act(h) == player:
            return max(rec(my_card, h + passive, reach), rec(my_card, h + aggressive, reach))
        return (rec(my_card, h + passive, {c: r * (1 - strategy[c + h]) for c, r in reach.items()})
                + rec(my_card, h + aggressive, {c: r * strategy[c + h] for c, r in reach.items()}))

    return sum(rec(card, "", {c: 1.0 for c in CARDS if c != card}) for card in CARDS) / len(DEALS)


def exploitability(strategy: Strategy) -> float:
    """(BR_0(strategy) + BR_1(strategy)) / 2: how much a best response wins on average against `strategy`
    played in both seats (0 exactly at a Nash equilibrium, since the game is zero-sum)."""
    return (best_response_value(strategy, 0) + best_response_value(strategy, 1)) / 2


def cfr_plus(iterations: int = 1000) -> Strategy:
    """CFR+ (Tammelin 2014): regret matching+, alternating updates (each player's regrets from one full traversal of
    the 6 deals at fixed strategies), and averaging weighted by the iteration number. Returns the average
    strategy, which converges to a Nash equilibrium."""
    regret = {i: [0.0, 0.0] for i in INFOSETS}
    avg = {i: [0.0, 0.0] for i in INFOSETS}

    def current(i: str) -> tuple[float, float]:
        a, b = max(regret[i][0], 0.0), max(regret[i][1], 0.0)
        return (a / (a + b), b / (a + b)) if a + b > 0 else (0.5, 0.5)

    def walk(cards: tuple[str, str], h: str, updating: int, reach_me: float, reach_opp: float,
             delta: dict[str, list[float]], weight: float) -> float:
        if h in TERMINAL:  # payoff to `updating`
            v = payoff0(cards, h)
            return v if updating == 0 else -v
        p = to_act(h)
        i = cards[p] + h
        sigma = current(i)
        passive, aggressive = _actions(h)
        values = []
        for a, letter in enumerate((passive, aggressive)):
            if p == updating:
                values.append(walk(cards, h + letter, updating, reach_me * sigma[a], reach_opp, delta, weight))
            else:
                values.append(walk(cards, h + letter, updating, reach_me, reach_opp * sigma[a], delta, weight))
        node = sigma[0] * values[0] + sigma[1] * values[1]
        if p == updating:
            d = delta.setdefault(i, [0.0, 0.0])
            d[0] += reach_opp * (values[0] - node)
            d[1] += reach_opp * (values[1] - node)
            avg[i][0] += weight * reach_me * sigma[0]
            avg[i][1] += weight * reach_me * sigma[1]
        return node

    for t in range(1, iterations + 1):
        for updating in (0, 1):
            delta: dict[str, list[float]] = {}
            for cards in DEALS:
                walk(cards, "", updating, 1.0, 1.0, delta, float(t))
            for i, (d0, d1) in delta.items():
                regret[i] = [max(regret[i][0] + d0, 0.0), max(regret[i][1] + d1, 0.0)]
    return {i: avg[i][1] / (avg[i][0] + avg[i][1]) if avg[i][0] + avg[i][1] > 0 else 0.5 for i in INFOSETS}


@functools.lru_cache(maxsize=1)
def kuhn_suite():
    return seeded_suite("kuhn", "1", {"train": 600, "heldout": 120})


class KuhnPokerGame(TextGame):
    """Kuhn poker for two LLM seats (written here: PettingZoo has no Kuhn poker; multi-agent id
    agentgym/KuhnPokerMA-v0, single-seat view agentgym/KuhnPoker-v0). SPIRAL's first game.

    Task:
        One hand. A deck of three cards (J < Q < K); each seat antes 1 chip and gets one card. player_0 acts first:
        check or bet 1. Facing a bet: call or fold. After check-check or bet-call the higher card takes the pot.
        The task's seed deals the cards; train and held-out seeds are disjoint, but Kuhn poker has only 6 deals,
        so held-out hands repeat training deals with different opponent draws (the game's nature, not a leak).

    Observation:
        Text, per seat: your card, the betting so far in words, the pot, and on your turn the legal actions.
        Only your own card is shown (the opponent's appears at a showdown).

    Actions:
        check, bet, call or fold (also "raise" for bet, "pass" for check or fold). First line, case ignored.

    Reward:
        The chips won or lost at the end of the hand: +-1 (fold, or check-check showdown) or +-2 (a called bet);
        0 before. info["success"] = the seat won chips. Zero-sum.

    Episode end:
        Terminated at a fold or showdown (2 or 3 actions); truncated after max_turns calls to step (20).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).

    Dependencies:
        extra `multiagent` (pettingzoo for the AEC base class only).

    Departures from the original:
        None in the rules. The scripted player is Kuhn's equilibrium with alpha = 1/6 (nash_strategy); cfr_plus
        computes an equilibrium from scratch and exploitability() measures either exactly.

    Version history:
        v0: first version (suite "kuhn" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_kuhn_poker_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 20
    seat_max_turns = 6
    oracle_wins_every_task = False  # a lower card facing an equilibrium player cannot always win
    oracle_alpha = 1 / 6

    @property
    def suite(self):  # type: ignore[override]
        return kuhn_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        deal = np.random.default_rng(task.seed).permutation(3)[:2]
        self.cards = (CARDS[int(deal[0])], CARDS[int(deal[1])])
        self.history = ""
        self._last = ""

    def _to_move(self) -> str:
        return self.possible_agents[to_act(self.history)]

    def legal_moves(self, agent: str) -> list[str]:
        if self.history in TERMINAL or agent != self._to_move():
            return []
        return ["call", "fold"] if facing_bet(self.history) else ["bet", "check"]

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text)
        facing = facing_bet(self.history)
        if s == "raise":
            s = "bet"
        if s == "pass":
            s = "fold" if facing else "check"
        legal = self.legal_moves(agent)
        if s not in legal:
            return None, ("facing a bet you may call or fold." if facing else "with no bet to match you may check "
                          "or bet.")
        return s, ""

    def _apply(self, agent: str, move: Any) -> str:
        self.history += {"check": "c", "bet": "b", "call": "c", "fold": "f"}[move]
        self._last = f"{agent} {'checks' if move == 'check' else move + 's'}."
        return self._last

    def _betting_words(self) -> str:
        if not self.history:
            return "No action yet."
        words = []
        for i, ch in enumerate(self.history):
            who = self.possible_agents[i % 2]
            facing = i > 0 and self.history[i - 1] == "b"
            words.append(f"{who} {'calls' if ch == 'c' and facing else 'checks' if ch == 'c' else 'bets' if ch == 'b' else 'folds'}")
        return "Betting: " + ", ".join(words) + "."

    def _view(self, agent: str) -> str:
        me = self.possible_agents.index(agent)
        pot = 2 + self.history.count("b") + (1 if self.history.endswith("bc") else 0)
        lines = [f"You are {agent}. Your card: {self.cards[me]}.", self._betting_words(), f"Pot: {pot} chips."]
        if self.history in ("cc", "bc", "cbc"):
            lines.append(f"Showdown: player_0 shows {self.cards[0]}, player_1 shows {self.cards[1]}.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        if self.history not in TERMINAL:
            return None
        v = payoff0(self.cards, self.history)
        return {"player_0": v, "player_1": -v}

    def scripted_action(self, agent: str, **params: Any) -> str:
        """Kuhn's equilibrium (alpha param, default 1/6), sampled from the game's seeded generator."""
        q = nash_strategy(float(params.get("alpha", self.oracle_alpha)))[self.cards[self.possible_agents.index(
            agent)] + self.history]
        aggressive = self._rng.random() < q
        if facing_bet(self.history):
            return "call" if aggressive else "fold"
        return "bet" if aggressive else "check"

    def system_prompt(self, agent: str) -> str:
        return ("You are playing Kuhn poker: three cards J < Q < K, one card each, ante 1 chip. Check or bet 1; "
                "facing a bet, call or fold. The higher card wins at showdown. Reply with one action: check, bet, "
                "call or fold.")
