"""Leduc hold'em in words, over PettingZoo's leduc_holdem_v4 (which runs RLCard's engine); the scripted player is
RLCard's pretrained CFR policy for Leduc (rlcard.models "leduc-holdem-cfr")."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from agentgym.core import Task
from agentgym.envs.games.board_games import _pz
from agentgym.envs.games.tasks import seeded_suite
from agentgym.multiagent import TextGame, missing_extra, normalise

ACTIONS = ("call", "raise", "fold", "check")  # RLCard's Leduc action indices
RANKS = {"J": "jack", "Q": "queen", "K": "king"}


@functools.lru_cache(maxsize=1)
def leduc_suite():
    return seeded_suite("leduc", "1", {"train": 400, "heldout": 100})


@functools.lru_cache(maxsize=1)
def _cfr_agent() -> Any:
    try:
        import rlcard.models
    except ImportError as e:
        raise missing_extra("rlcard") from e
    return rlcard.models.load("leduc-holdem-cfr").agents[0]


def card_words(card: str | None) -> str:
    return "none yet" if not card else f"{RANKS[card[1]]} of {({'S': 'spades', 'H': 'hearts'})[card[0]]}"


class LeducHoldemGame(TextGame):
    """Leduc hold'em for two LLM seats, over PettingZoo's leduc_holdem_v4 / RLCard (multi-agent id
    agentgym/LeducHoldemMA-v0, single-seat view agentgym/LeducHoldem-v0).

    Task:
        One hand of Leduc hold'em (Southey et al. 2005): a 6-card deck (J, Q, K in two suits), one private card
        each, a public card after the first betting round; limit raises (2 then 4), at most two per round. A pair
        with the public card wins, else the higher card. The task's seed (times 1000, plus a draw from the reset's
        seed) seeds RLCard's deal.

    Observation:
        Text, per seat: your card, the public card (once dealt), both seats' chips in the pot, the last action, and
        on your turn the legal actions (RLCard's legal actions: call, raise, fold, check).

    Actions:
        call, raise, fold or check (also "bet" for raise).

    Reward:
        RLCard's payoff at the end of the hand (chips won or lost, halved by RLCard: +-0.5 ... +-6.5), 0 before.
        info["success"] = the seat won chips.

    Episode end:
        Terminated when the hand ends; truncated after max_turns calls to step (30).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).

    Dependencies:
        extra `multiagent` (pettingzoo, rlcard, pygame).

    Departures from the original:
        Text instead of RLCard's 36-dim observation vector and action indices; an illegal action is rejected with
        feedback instead of failing PettingZoo's assertion.

    Version history:
        v0: first version (suite "leduc" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_leduc_holdem_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 30
    seat_max_turns = 10
    oracle_wins_every_task = False

    @property
    def suite(self):  # type: ignore[override]
        return leduc_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        try:
            self._env = _pz("leduc_holdem_v4").raw_env()
        except ImportError as e:
            raise missing_extra("rlcard") from e
        # The deal comes from the task's seed and the episode's generator together, so a single-seat view can deal
        # again when the opponent folds before the seat acts (train and held-out seeds still never meet).
        self._env.reset(seed=int(task.seed) * 1000 + int(rng.integers(1000)))
        self._last = ""
        self._over = False

    def _state(self, agent: str) -> dict[str, Any]:
        return self._env.env.get_state(self.possible_agents.index(agent))

    def _to_move(self) -> str:
        return self._env.agent_selection

    def legal_moves(self, agent: str) -> list[str]:
        if self._over or agent != self._env.agent_selection:
            return []
        return sorted(ACTIONS[i] for i in self._env.next_legal_moves)

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text)
        s = {"bet": "raise"}.get(s, s)
        legal = self.legal_moves(agent)
        if s not in legal:
            return None, f"the legal actions now are {', '.join(legal)}."
        return ACTIONS.index(s), ""

    def _apply(self, agent: str, move: Any) -> str:
        self._env.step(int(move))
        self._over = self._env.env.is_over()
        verb = {"call": "calls", "raise": "raises", "fold": "folds", "check": "checks"}[ACTIONS[int(move)]]
        self._last = f"{agent} {verb}."
        return self._last

    def _view(self, agent: str) -> str:
        raw = self._state(agent)["raw_obs"]
        chips = raw["all_chips"]
        me = self.possible_agents.index(agent)
        lines = ([self._last] if self._last else []) + [
            f"You are {agent}. Your card: {card_words(raw['hand'])}. Public card: {card_words(raw['public_card'])}.",
            f"Chips in the pot: you {chips[me]}, opponent {chips[1 - me]}."]
        if self._over:
            hands = [self._env.env.game.players[i].hand.get_index() for i in range(2)]
            lines.append(f"Showdown or fold: player_0 held {card_words(hands[0])}, player_1 held "
                         f"{card_words(hands[1])}.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        if not self._over:
            return None
        p = self._env.env.get_payoffs()
        return {a: float(p[i]) for i, a in enumerate(self.possible_agents)}

    def scripted_action(self, agent: str, **params: Any) -> str:
        """RLCard's pretrained CFR average policy for Leduc, sampled from the game's seeded generator."""
        agent_model = _cfr_agent()
        state = self._state(agent)
        legal = list(state["legal_actions"].keys())
        probs = agent_model.action_probs(state["obs"].tobytes(), legal, agent_model.average_policy)
        probs = np.asarray(probs, dtype=float)
        probs = probs / probs.sum()
        return ACTIONS[int(self._rng.choice(len(probs), p=probs))]

    def system_prompt(self, agent: str) -> str:
        return ("You are playing Leduc hold'em: six cards (jack, queen, king in two suits), one private card each and "
                "a public card after the first betting round. A pair with the public card wins, else the higher card. "
                "Reply with one action: call, raise, fold or check.")
