"""The scripted players' search: exact minimax for tic-tac-toe, depth-limited alpha-beta for connect four.

Both are deterministic (ties broken in a fixed move order), so a scripted game replays exactly.
"""

from __future__ import annotations

import functools

TTT_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def ttt_winner(squares: tuple[int, ...]) -> int | None:
    """1 or 2 for a completed line of that player, 0 for a full board without one, None while the game goes on."""
    for a, b, c in TTT_LINES:
        if squares[a] and squares[a] == squares[b] == squares[c]:
            return squares[a]
    return 0 if all(squares) else None


@functools.lru_cache(maxsize=None)
def ttt_value(squares: tuple[int, ...], player: int) -> int:
    """The value of the position for `player` (to move) under perfect play: +(10 - plies) for a win, so faster
    wins and slower losses are preferred, 0 for a draw."""
    w = ttt_winner(squares)
    if w is not None:
        return 0 if w == 0 else (10 - sum(1 for s in squares if s)) * (1 if w == player else -1)
    best = -100
    for i in range(9):
        if squares[i] == 0:
            nxt = squares[:i] + (player,) + squares[i + 1:]
            best = max(best, -ttt_value(nxt, 3 - player))
    return best


def ttt_best_move(squares: tuple[int, ...], player: int) -> int:
    """A minimax-optimal square index for `player` (the lowest index among equals)."""
    best, move = -1000, -1
    for i in range(9):
        if squares[i] == 0:
            v = -ttt_value(squares[:i] + (player,) + squares[i + 1:], 3 - player)
            if v > best:
                best, move = v, i
    return move


# ---------------------------------------------------------------------------------------------------------------------
# Connect four: 6 rows x 7 columns, cell r * 7 + c, row 0 on top (PettingZoo's layout); player 1 moves first.
# ---------------------------------------------------------------------------------------------------------------------
ROWS, COLS = 6, 7
CENTRE_ORDER = (3, 2, 4, 1, 5, 0, 6)
WINDOWS = [tuple((r + i * dr) * COLS + c + i * dc for i in range(4))
           for r in range(ROWS) for c in range(COLS) for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1))
           if 0 <= r + 3 * dr < ROWS and 0 <= c + 3 * dc < COLS]
WINDOWS_OF = [[w for w in WINDOWS if cell in w] for cell in range(ROWS * COLS)]


class C4Board:
    def __init__(self) -> None:
        self.cells = [0] * (ROWS * COLS)
        self.heights = [0] * COLS
        self.moves: list[int] = []
        self._winner: int | None = None

    @property
    def to_move(self) -> int:
        return 1 + len(self.moves) % 2

    def legal(self) -> list[int]:
        return [c for c in range(COLS) if self.heights[c] < ROWS]

    def play(self, col: int) -> None:
        cell = (ROWS - 1 - self.heights[col]) * COLS + col
        p = self.to_move
        self.cells[cell] = p
        self.heights[col] += 1
        self.moves.append(col)
        if any(all(self.cells[i] == p for i in w) for w in WINDOWS_OF[cell]):
            self._winner = p
        elif len(self.moves) == ROWS * COLS:
            self._winner = 0

    def undo(self) -> None:
        col = self.moves.pop()
        self.heights[col] -= 1
        self.cells[(ROWS - 1 - self.heights[col]) * COLS + col] = 0
        self._winner = None

    def winner(self) -> int | None:
        return self._winner

    def score(self, player: int) -> int:
        """Heuristic for `player`: open windows weighted by how many of its discs they hold, minus the opponent's;
        discs in the centre column count extra."""
        other = 3 - player
        total = 0
        cells = self.cells
        for w in WINDOWS:
            mine = theirs = 0
            for i in w:
                v = cells[i]
                if v == player:
                    mine += 1
                elif v == other:
                    theirs += 1
            if theirs == 0:
                total += (0, 1, 4, 16)[mine] if mine < 4 else 0
            elif mine == 0:
                total -= (0, 1, 4, 20)[theirs] if theirs < 4 else 0
        total += 3 * sum(1 for r in range(ROWS) if cells[r * COLS + 3] == player)
        return total


WIN = 100_000


def _negamax(b: C4Board, depth: int, alpha: int, beta: int) -> int:
    w = b.winner()
    if w is not None:
        # the player who just moved made the line: bad for the side to move; sooner is worse
        return 0 if w == 0 else -(WIN + depth)
    if depth == 0:
        return b.score(b.to_move)
    best = -10 * WIN
    for col in CENTRE_ORDER:
        if b.heights[col] >= ROWS:
            continue
        b.play(col)
        v = -_negamax(b, depth - 1, -beta, -alpha)
        b.undo()
        if v > best:
            best = v
        if best > alpha:
            alpha = best
        if alpha >= beta:
            break
    return best


def c4_best_move(board: C4Board, depth: int) -> int:
    """The column alpha-beta to `depth` plies picks (centre-first among equals). Works on a copy."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    b = C4Board()
    for m in board.moves:
        b.play(m)
    best, move = -10 * WIN - 1, -1
    alpha, beta = -10 * WIN, 10 * WIN
    for col in CENTRE_ORDER:
        if b.heights[col] >= ROWS:
            continue
        b.play(col)
        v = -_negamax(b, depth - 1, -beta, -alpha)
        b.undo()
        if v > best:
            best, move = v, col
        alpha = max(alpha, best)
    return move
