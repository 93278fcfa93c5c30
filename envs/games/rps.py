"""Rock-paper-scissors in words, over PettingZoo's rps_v2 engine: a simultaneous game (parallel_api_test runs on it
through PettingZoo's aec_to_parallel converter)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from agentgym.core import Task
from agentgym.envs.games.board_games import _pz
from agentgym.envs.games.tasks import seeded_suite
from agentgym.multiagent import TextGame, normalise

MOVES = ("rock", "paper", "scissors")  # PettingZoo's action indices 0, 1, 2
BEATS = {"rock": "scissors", "paper": "rock", "scissors": "paper"}


@functools.lru_cache(maxsize=1)
def rps_suite():
    return seeded_suite("rps", "1", {"train": 200, "heldout": 50}, params={"rounds": 3})


class RockPaperScissorsGame(TextGame):
    """Rock-paper-scissors, best of N rounds, over PettingZoo's rps_v2 (multi-agent id agentgym/RockPaperScissorsMA-v0,
    single-seat view agentgym/RockPaperScissors-v0).

    Task:
        Win more rounds than the opponent over the task's `rounds` (3). Both seats choose each round without seeing
        the other's choice; PettingZoo's AEC order asks player_0 first, then player_1, and reveals both after.

    Observation:
        Text, per seat: the round, the score, the last round's two moves (only once both are in), and on the seat's
        turn the legal moves. player_1 never sees player_0's pending move.

    Actions:
        rock, paper or scissors (also r, p, s).

    Reward:
        At the end: the seat's round wins minus round losses (PettingZoo's per-round +-1, summed), 0 before.
        info["success"] = more round wins than losses.

    Episode end:
        Terminated after the last round; truncated after max_turns calls to step (30).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).

    Dependencies:
        extra `multiagent` (pettingzoo, pygame).

    Departures from the original:
        PettingZoo's rps_v2 pays +-1 every round and ends by truncation after max_cycles; here the match total is
        paid at the end and the match's end is termination (it is the game's rule, not a cut).

    Version history:
        v0: first version (suite "rps" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_rps_v0", "is_parallelizable": True}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 30
    seat_max_turns = 10
    oracle_wins_every_task = False  # the equilibrium is uniform: nobody wins every match

    @property
    def suite(self):  # type: ignore[override]
        return rps_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self.rounds = int(task.params.get("rounds", 3))
        self._env = _pz("rps_v2").raw_env(num_actions=3, max_cycles=self.rounds)
        self._env.reset()
        self.score = dict.fromkeys(self.possible_agents, 0.0)
        self.played: list[tuple[str, str]] = []
        self._pending: str | None = None
        self._move_rng = np.random.default_rng(task.seed)

    def _to_move(self) -> str:
        return self._env.agent_selection

    def legal_moves(self, agent: str) -> list[str]:
        if len(self.played) >= self.rounds or agent != self._env.agent_selection:
            return []
        return list(MOVES)

    def cycle_moves(self, agent: str) -> list[str]:
        return list(MOVES) if len(self.played) < self.rounds else []

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text)
        s = {"r": "rock", "p": "paper", "s": "scissors"}.get(s, s)
        if s not in MOVES:
            return None, "choose rock, paper or scissors."
        return MOVES.index(s), ""

    def _apply(self, agent: str, move: Any) -> str:
        self._env.step(int(move))
        if agent == "player_0":
            self._pending = MOVES[int(move)]
            return "player_0 has chosen."
        pair = (self._pending or "", MOVES[int(move)])
        self.played.append(pair)
        for a in self.possible_agents:
            self.score[a] += float(self._env.rewards[a])
        return f"Round {len(self.played)}: player_0 played {pair[0]}, player_1 played {pair[1]}."

    def _view(self, agent: str) -> str:
        other = "player_1" if agent == "player_0" else "player_0"
        lines = [f"You are {agent}. Best of {self.rounds} rounds."]
        if self.played:
            me, them = (0, 1) if agent == "player_0" else (1, 0)
            last = self.played[-1]
            lines.append(f"Round {len(self.played)}: you played {last[me]}, {other} played {last[them]}.")
        wins = sum(1 for p in self.played if BEATS[p[0 if agent == 'player_0' else 1]] == p[1 if agent == 'player_0' else 0])
        losses = sum(1 for p in self.played if BEATS[p[1 if agent == 'player_0' else 0]] == p[0 if agent == 'player_0' else 1])
        lines.append(f"Score after {len(self.played)} round(s): you {wins}, {other} {losses}.")
        if self._pending is not None and len(self.played) < self.rounds and self._env.agent_selection == "player_1":
            lines.append("player_0 has chosen." if agent == "player_1" else "You have chosen; waiting for player_1.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        if len(self.played) < self.rounds:
            return None
        return dict(self.score)

    def scripted_action(self, agent: str, **params: Any) -> str:
        """The equilibrium: uniform over the three moves (from the game's seeded generator). counter=true instead
        plays what beats the opponent's most frequent move so far (exploits biased players)."""
        if params.get("counter") and self.played:
            them = [p[1] if agent == "player_0" else p[0] for p in self.played]
            favourite = max(MOVES, key=lambda m: (them.count(m), -MOVES.index(m)))
            return next(m for m in MOVES if BEATS[m] == favourite)
        return MOVES[int(self._rng.integers(3))]

    def system_prompt(self, agent: str) -> str:
        return ("You are playing rock-paper-scissors: rock beats scissors, scissors beats paper, paper beats rock. "
                "Reply with one move: rock, paper or scissors.")
