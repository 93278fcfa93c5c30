"""Tic-tac-toe and connect four in words, over PettingZoo's classic engines (tictactoe_v3, connect_four_v3).

The PettingZoo env holds the board and applies every move; agentgym's layer parses text moves, renders the board,
lists the legal moves, rejects illegal ones without touching the engine, and adds the scripted players (minimax,
depth-limited alpha-beta) from envs/games/solvers.py.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from agentgym.core import Task
from agentgym.envs.games import solvers
from agentgym.envs.games.tasks import opening_suite, random_openings
from agentgym.multiagent import TextGame, missing_extra, normalise

COLS = "abc"


def _pz(module: str) -> Any:
    try:
        import importlib

        return importlib.import_module(f"pettingzoo.classic.{module}")
    except ImportError as e:
        raise missing_extra(f"PettingZoo's classic games ({e.name})") from e


# ---------------------------------------------------------------------------------------------------------------------
# Tic-tac-toe
# ---------------------------------------------------------------------------------------------------------------------
def ttt_cell(index: int) -> str:
    """PettingZoo's square index (column-major: 0 3 6 / 1 4 7 / 2 5 8) as a cell name, column a-c + row 1-3."""
    return f"{COLS[index // 3]}{index % 3 + 1}"


def ttt_index(cell: str) -> int:
    return COLS.index(cell[0]) * 3 + int(cell[1]) - 1


def _ttt_legal_after(moves: list[str]) -> list[str]:
    squares = [0] * 9
    for i, m in enumerate(moves):
        squares[ttt_index(m)] = i % 2 + 1
    if solvers.ttt_winner(tuple(squares)) is not None:
        return []
    return [ttt_cell(i) for i in range(9) if squares[i] == 0]


@functools.lru_cache(maxsize=1)
def tictactoe_suite():
    openings = [[]] + [[ttt_cell(i)] for i in range(9)] + [
        [ttt_cell(i), ttt_cell(j)] for i in range(9) for j in range(9) if i != j]
    # Only fair openings: the game-theoretic value is a draw, so neither seat starts from a lost position.
    fair = [m for m in openings if _ttt_value_after(m) == 0]
    return opening_suite("tictactoe", "1", fair, heldout_fraction=0.25)


def _ttt_value_after(moves: list[str]) -> int:
    squares = [0] * 9
    for i, m in enumerate(moves):
        squares[ttt_index(m)] = i % 2 + 1
    return solvers.ttt_value(tuple(squares), len(moves) % 2 + 1)


class TicTacToeGame(TextGame):
    """Tic-tac-toe for two LLM seats, over PettingZoo's tictactoe_v3 engine (multi-agent id
    agentgym/TicTacToeMA-v0; the single-seat view is agentgym/TicTacToe-v0).

    Task:
        Win, or at least draw, from the task's opening: 0, 1 or 2 moves already on the board, kept only where
        perfect play still draws (the fair openings: 34 of the 82); a quarter of the 2-move ones, chosen by
        hash, are held out.

    Observation:
        Text, per seat: the last move (or the mover's own illegal-move feedback), the board as three rows
        ("  a b c" header, X/O/.), which mark the seat plays, and on its turn "Your move. Legal moves: a1, ...".
        info["admissible_actions"] lists the legal cells of the seat to move.

    Actions:
        A cell: column a-c and row 1-3 ("b2"; "B2" and "2b" too); a bare number 1-9 reads the board row by row
        (1 = a1, 2 = b1, ..., 9 = c3). Only the first line of a reply counts.

    Reward:
        +1 to the winner and -1 to the loser when the game ends (PettingZoo's rewards); 0 for a draw and on every
        other move. info["success"] = the seat did not lose (a draw is the game-theoretic value).

    Episode end:
        Terminated when a line is made or the board is full. Truncated after max_turns calls to step (50),
        legal or not.

    Arguments:
        max_turns, split, render_mode ("ansi"), list_moves (list the legal moves in the observation; True),
        forfeit_after (a seat forfeits after this many illegal moves in a row; None: it is asked again until the
        turn limit).

    Dependencies:
        extra `multiagent` (pettingzoo, pygame which PettingZoo's classic games import).

    Departures from the original:
        PettingZoo's engine observes (3, 3, 2) planes and takes action indices; here both are text. PettingZoo ends
        the episode on an illegal index (its wrapper); here an illegal move changes nothing and the mover is asked
        again. Success counts a draw.

    Version history:
        v0: first version (suite "tictactoe" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_tictactoe_v0", "is_parallelizable": False}
    possible_agents = ["player_1", "player_2"]
    default_max_turns = 50
    seat_max_turns = 10

    @property
    def suite(self):  # type: ignore[override]
        return tictactoe_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self._env = _pz("tictactoe_v3").raw_env()
        self._env.reset()
        self._history: list[str] = []
        for cell in task.params.get("opening", []):
            self._push(ttt_index(cell))
        self._last = ("Opening: " + ", ".join(self._history) + ".") if self._history else ""

    def _push(self, index: int) -> None:
        self._history.append(ttt_cell(index))
        self._env.step(index)

    @property
    def _squares(self) -> tuple[int, ...]:
        return tuple(self._env.board.squares)

    def _to_move(self) -> str:
        return self._env.agent_selection

    def legal_moves(self, agent: str) -> list[str]:
        if agent != self._env.agent_selection or self._payoffs() is not None:
            return []
        return sorted(ttt_cell(i) for i in range(9) if self._squares[i] == 0)

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text).replace(" ", "")
        if len(s) == 2 and s[0].isdigit() and s[1] in COLS:
            s = s[1] + s[0]
        if len(s) == 1 and s in "123456789":
            n = int(s) - 1
            s = f"{COLS[n % 3]}{n // 3 + 1}"
        if len(s) != 2 or s[0] not in COLS or s[1] not in "123":
            return None, "name a cell as column a-c and row 1-3, e.g. b2."
        index = ttt_index(s)
        if self._squares[index] != 0:
            return None, f"{s} is already taken."
        return index, ""

    def _apply(self, agent: str, move: Any) -> str:
        mark = "X" if agent == "player_1" else "O"
        self._push(int(move))
        self._last = f"{agent} ({mark}) plays {ttt_cell(int(move))}."
        return self._last

    def _view(self, agent: str) -> str:
        sq = self._squares
        rows = ["  a b c"] + [f"{r + 1} " + " ".join(".XO"[sq[c * 3 + r]] for c in range(3)) for r in range(3)]
        mark = "X" if agent == "player_1" else "O"
        head = [self._last] if self._last else []
        return "\n".join(head + rows + [f"You are {agent}, playing {mark}."])

    def _payoffs(self) -> dict[str, float] | None:
        w = solvers.ttt_winner(self._squares)
        if w is None:
            return None
        if w == 0:
            return {"player_1": 0.0, "player_2": 0.0}
        return {"player_1": 1.0 if w == 1 else -1.0, "player_2": 1.0 if w == 2 else -1.0}

    def _success(self, agent: str, payoff: float) -> bool:
        return payoff >= 0

    def scripted_action(self, agent: str, **params: Any) -> str:
        """Minimax (perfect play; ties broken by cell order, a1 first). random=p plays a random legal cell with
        probability p (a beatable opponent), drawn from the game's seeded generator."""
        p = float(params.get("random", 0.0))
        legal = self.legal_moves(agent)
        if p > 0 and self._rng.random() < p:
            return legal[int(self._rng.integers(len(legal)))]
        return ttt_cell(solvers.ttt_best_move(self._squares, 1 if agent == "player_1" else 2))

    def system_prompt(self, agent: str) -> str:
        return ("You are playing tic-tac-toe on a 3x3 board (columns a-c, rows 1-3). Make three in a row to win. "
                "Reply with one cell, e.g. b2.")


# ---------------------------------------------------------------------------------------------------------------------
# Connect four
# ---------------------------------------------------------------------------------------------------------------------
def _c4_legal_after(moves: list[str]) -> list[str]:
    board = solvers.C4Board()
    for m in moves:
        board.play(int(m) - 1)
    if board.winner() is not None:
        return []
    return [str(c + 1) for c in board.legal()]


@functools.lru_cache(maxsize=1)
def connect_four_suite():
    openings = [[]] + [[str(c)] for c in range(1, 8)] + random_openings(400, [2, 3, 4], _c4_legal_after, seed=4)
    return opening_suite("connect_four", "1", openings, heldout_fraction=0.2,
                         max_per_split={"train": 300, "heldout": 60})


class ConnectFourGame(TextGame):
    """Connect four for two LLM seats, over PettingZoo's connect_four_v3 engine (multi-agent id
    agentgym/ConnectFourMA-v0; the single-seat view is agentgym/ConnectFour-v0).

    Task:
        Connect four of your discs in a row (across, down or diagonally) on the 6 x 7 board, from the task's
        opening (0-4 discs already played; held-out openings are chosen by hash and never trained on).

    Observation:
        Text, per seat: the last move (or the mover's illegal-move feedback), the board (row 6 on top, columns 1-7,
        X for player_0, O for player_1, . empty), the seat's disc, and on its turn the legal columns.

    Actions:
        A column number 1-7 ("4", "column 4", "drop in 4"). A full column is illegal.

    Reward:
        +1 win, -1 loss, 0 draw, at the end (PettingZoo's rewards); 0 on every other move. info["success"] = the
        seat did not lose.

    Episode end:
        Terminated on four in a row or a full board; truncated after max_turns calls to step (100).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).

    Dependencies:
        extra `multiagent` (pettingzoo, pygame).

    Departures from the original:
        Text observations and moves instead of planes and indices; an illegal move is rejected (PettingZoo's
        wrapper would end the game). The scripted player is a depth-limited alpha-beta search, not a perfect
        solver, so it can lose.

    Version history:
        v0: first version (suite "connect_four" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_connect_four_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 100
    seat_max_turns = 30
    oracle_depth = 5
    oracle_wins_every_task = False  # depth-limited search: it can lose (see docs/benchmarks/games.md)

    @property
    def suite(self):  # type: ignore[override]
        return connect_four_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self._env = _pz("connect_four_v3").raw_env()
        self._env.reset()
        self._board = solvers.C4Board()
        self._history: list[str] = []
        for col in task.params.get("opening", []):
            self._push(int(col) - 1)
        self._last = ("Opening columns: " + ", ".join(self._history) + ".") if self._history else ""

    def _push(self, col: int) -> None:
        self._history.append(str(col + 1))
        self._env.step(col)
        self._board.play(col)

    def _to_move(self) -> str:
        return self._env.agent_selection

    def legal_moves(self, agent: str) -> list[str]:
        if agent != self._env.agent_selection or self._payoffs() is not None:
            return []
        return [str(c + 1) for c in range(7) if self._env.board[c] == 0]

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        s = normalise(text)
        digits = [ch for ch in s if ch.isdigit()]
        if len(digits) != 1 or not s.replace("column", "").replace("col", "").replace("drop", "").replace(
                "in", "").strip() == digits[0]:
            return None, "name one column, 1-7."
        col = int(digits[0]) - 1
        if not 0 <= col < 7:
            return None, f"there is no column {col + 1}; columns are 1-7."
        if self._env.board[col] != 0:
            return None, f"column {col + 1} is full."
        return col, ""

    def _apply(self, agent: str, move: Any) -> str:
        self._push(int(move))
        self._last = f"{agent} ({'X' if agent == 'player_0' else 'O'}) drops in column {int(move) + 1}."
        return self._last

    def _view(self, agent: str) -> str:
        b = self._env.board
        rows = [" ".join(".XO"[b[r * 7 + c]] for c in range(7)) for r in range(6)]
        head = [self._last] if self._last else []
        return "\n".join(head + rows + ["1 2 3 4 5 6 7", f"You are {agent}, playing "
                                        f"{'X' if agent == 'player_0' else 'O'}."])

    def _payoffs(self) -> dict[str, float] | None:
        w = self._board.winner()
        if w is None:
            return None
        if w == 0:
            return {"player_0": 0.0, "player_1": 0.0}
        return {"player_0": 1.0 if w == 1 else -1.0, "player_1": 1.0 if w == 2 else -1.0}

    def _success(self, agent: str, payoff: float) -> bool:
        return payoff >= 0

    def scripted_action(self, agent: str, **params: Any) -> str:
        """Alpha-beta to `depth` plies (default 5 for the oracle) with a window heuristic; ties broken towards
        the centre column."""
        depth = int(params.get("depth", self.oracle_depth))
        return str(solvers.c4_best_move(self._board, depth) + 1)

    def system_prompt(self, agent: str) -> str:
        return ("You are playing connect four on a 6x7 board. Drop discs into columns 1-7; four in a row across, "
                "down or diagonally wins. Reply with one column number.")
