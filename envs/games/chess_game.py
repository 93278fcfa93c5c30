"""Chess in words, over PettingZoo's chess_v6 (which runs python-chess); moves in SAN or UCI; the scripted player is
Stockfish (Debian's `stockfish` package) through python-chess's UCI engine driver, with its skill level an argument."""

from __future__ import annotations

import functools
import os
import shutil
from typing import Any

import numpy as np

from agentgym.core import Task
from agentgym.envs.games.board_games import _pz
from agentgym.envs.games.tasks import opening_suite, random_openings
from agentgym.multiagent import TextGame, missing_extra

STOCKFISH_PATHS = ("/usr/games/stockfish", "/usr/bin/stockfish")


def stockfish_path() -> str:
    """Where the Stockfish binary is: $AGENTGYM_STOCKFISH, PATH, or Debian's /usr/games/stockfish."""
    found = os.environ.get("AGENTGYM_STOCKFISH") or shutil.which("stockfish") or next(
        (p for p in STOCKFISH_PATHS if os.path.exists(p)), None)
    if not found:
        raise FileNotFoundError("the chess scripted player needs Stockfish: `apt-get install stockfish` (Debian puts "
                                "it in /usr/games/stockfish) or set AGENTGYM_STOCKFISH to the binary")
    return found


def _chess() -> Any:
    try:
        import chess
        import chess.engine
    except ImportError as e:
        raise missing_extra("python-chess") from e
    return chess


def _legal_after(moves: list[str]) -> list[str]:
    chess = _chess()
    board = chess.Board()
    for m in moves:
        board.push_uci(m)
    if board.is_game_over():
        return []
    return sorted(m.uci() for m in board.legal_moves)


@functools.lru_cache(maxsize=1)
def chess_suite():
    openings = random_openings(600, [2, 3, 4], _legal_after, seed=6)
    return opening_suite("chess", "1", openings, heldout_fraction=0.2, max_per_split={"train": 400, "heldout": 60})


class ChessGame(TextGame):
    """Chess for two LLM seats, over PettingZoo's chess_v6 and python-chess (multi-agent id agentgym/ChessMA-v0,
    single-seat view agentgym/Chess-v0).

    Task:
        Play the game from the task's opening (2-4 random legal plies from the start position, in UCI); held-out
        openings are chosen by hash and never trained from.

    Observation:
        Text, per seat: the last move, the board as python-chess prints it (white upper case, rank 8 on top), the
        FEN, your colour, check, and on your turn the legal moves in SAN.

    Actions:
        One move in SAN ("Nf3", "exd5", "O-O", "e8=Q") or UCI ("g1f3", "e7e8q"). PettingZoo promotes to a queen
        when no piece is given.

    Reward:
        PettingZoo's: +1 win, -1 loss, 0 draw at the end (draws by stalemate, insufficient material, or a claimable
        threefold repetition / fifty-move rule, as PettingZoo's engine decides); 0 before. info["success"] = the
        seat did not lose.

    Episode end:
        Terminated at checkmate or a draw; truncated after max_turns calls to step (300).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).
        Scripted player params (opponent spec "scripted:skill=0,depth=1"): skill (Stockfish's "Skill Level", 0-20;
        default 20 for the oracle), depth (search depth per move; default 8), time (seconds per move, instead).

    Dependencies:
        extra `multiagent` (pettingzoo, python-chess, pygame); Debian package `stockfish` for the scripted player
        (scripts/setup.sh --dev installs it). The engine process starts at the first scripted move and quits on
        close().

    Departures from the original:
        Text instead of PettingZoo's 8x8x111 planes and 4672 action indices; an illegal move is rejected with
        feedback, never a loss.

    Version history:
        v0: first version (suite "chess" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_chess_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 300
    seat_max_turns = 150
    oracle_skill, oracle_depth = 20, 8

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._engine: Any = None

    @property
    def suite(self):  # type: ignore[override]
        return chess_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self._game_no = getattr(self, "_game_no", 0) + 1  # keys the legal-move caches to this game
        self._env = _pz("chess_v6").raw_env()
        self._env.reset()
        self._last = ""
        chess = _chess()
        for uci in task.params.get("opening", []):
            self._push(chess.Move.from_uci(uci))
        if task.params.get("opening"):
            self._last = "Opening: " + " ".join(task.params["opening"]) + "."

    @property
    def board(self) -> Any:
        return self._env.board

    def _action_of(self, move: Any) -> int:
        from pettingzoo.classic.chess import chess_utils

        player = 0 if self.board.turn else 1
        for action in chess_utils.legal_moves(self.board):
            if chess_utils.action_to_move(self.board, action, player) == move:
                return int(action)
        raise ValueError(f"PettingZoo has no action for {move.uci()}")

    def _push(self, move: Any) -> None:
        self._env.step(self._action_of(move))

    def _over(self) -> bool:
        return any(self._env.terminations.values())

    def _to_move(self) -> str:
        return self._env.agent_selection

    def legal_moves(self, agent: str) -> list[str]:
        if self._over() or agent != self._env.agent_selection:
            return []
        key = (self._game_no, len(self.board.move_stack))
        if getattr(self, "_san_key", None) != key:
            self._san_key, self._san = key, sorted(self.board.san(m) for m in self._pz_legal())
        return list(self._san)

    def _pz_legal(self) -> list[Any]:
        """The moves PettingZoo will accept: python-chess's legal moves, under-promotions to a queen excluded where
        PettingZoo's encoding maps the bare move to a queen promotion."""
        from pettingzoo.classic.chess import chess_utils

        key = len(self.board.move_stack)
        if getattr(self, "_legal_key", None) != (self._game_no, key):  # cached until the next move
            player = 0 if self.board.turn else 1
            self._legal_key = (self._game_no, key)
            self._legal = [chess_utils.action_to_move(self.board, a, player) for a in chess_utils.legal_moves(self.board)]
        return list(self._legal)

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        chess = _chess()
        line = next((ln for ln in str(text).splitlines() if ln.strip()), "").strip().strip("`'\".")
        for prefix in ("move:", "Move:", "I play "):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if not line or len(line) > 12:
            return None, "give one move in SAN (Nf3) or UCI (g1f3)."
        legal = self._pz_legal()
        move = None
        try:
            move = self.board.parse_san(line)
        except (ValueError, AssertionError):
            try:
                move = chess.Move.from_uci(line.lower())
            except (ValueError, AssertionError):
                return None, f"{line!r} is neither SAN nor UCI."
        if move.promotion is None and move in [chess.Move(m.from_square, m.to_square, chess.QUEEN) for m in legal]:
            move = chess.Move(move.from_square, move.to_square, chess.QUEEN)
        if move not in legal:
            return None, f"{line} is not legal here."
        return move, ""

    def _apply(self, agent: str, move: Any) -> str:
        san = self.board.san(move)
        self._push(move)
        self._last = f"{agent} ({'white' if agent == 'player_0' else 'black'}) plays {san}."
        return self._last

    def _view(self, agent: str) -> str:
        b = self.board
        lines = ([self._last] if self._last else []) + [str(b), f"FEN: {b.fen()}",
                                                       f"You are {agent}, playing "
                                                       f"{'white' if agent == 'player_0' else 'black'}."]
        if b.is_check() and not self._over():
            lines.append("Check.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        if not self._over():
            return None
        return {a: float(self._env.rewards[a]) for a in self.possible_agents}

    def _success(self, agent: str, payoff: float) -> bool:
        return payoff >= 0

    def engine(self) -> Any:
        """The Stockfish process (started on first use)."""
        if self._engine is None:
            chess = _chess()
            self._engine = chess.engine.SimpleEngine.popen_uci(stockfish_path())
        return self._engine

    def scripted_action(self, agent: str, **params: Any) -> str:
        """Stockfish at Skill Level `skill` (0-20, default 20), searching `depth` plies (default 8) or `time`
        seconds. Threads 1 and a fixed depth keep it deterministic."""
        chess = _chess()
        engine = self.engine()
        engine.configure({"Skill Level": int(params.get("skill", self.oracle_skill)), "Threads": 1})
        limit = chess.engine.Limit(time=float(params["time"])) if "time" in params else chess.engine.Limit(
            depth=int(params.get("depth", self.oracle_depth)))
        move = engine.play(self.board, limit).move
        if move not in self._pz_legal():  # an under-promotion PettingZoo cannot encode: take the queen
            move = chess.Move(move.from_square, move.to_square, chess.QUEEN)
        return self.board.san(move)

    def close(self) -> None:
        if self._engine is not None:
            try:
                self._engine.quit()
            except Exception:  # already dead: nothing to stop
                pass
            self._engine = None

    def system_prompt(self, agent: str) -> str:
        return "You are playing chess. Reply with exactly one legal move in SAN (e.g. Nf3) or UCI (e.g. g1f3)."
