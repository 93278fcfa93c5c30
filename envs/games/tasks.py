"""Task suites of the games: named, versioned train / heldout splits, built deterministically.

Board games (tic-tac-toe, connect four, chess) vary the opening: a task is a short sequence of opening moves played
before the seats take over, so a held-out task is a position never trained from. Card games (Kuhn, Leduc) and
rock-paper-scissors vary the seed of the deal: train seeds lie in [0, 1_000_000), held-out seeds in
[1_000_000, 2_000_000). Negotiation and taboo draw their items, values and words from disjoint pools per split.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from typing import Any

from agentgym.core import Task, TaskSuite

SEED_BASE = {"train": 0, "heldout": 1_000_000}


def seeded_suite(name: str, version: str, sizes: dict[str, int], params: dict[str, Any] | None = None) -> TaskSuite:
    """Tasks that differ only by the seed of their deal (train seeds below 1e6, held-out seeds above)."""
    splits = {split: [Task(id=f"{name}/{split}/{i:04d}", split=split, seed=SEED_BASE[split] + i,
                           params=dict(params or {}), family=name) for i in range(n)]
              for split, n in sizes.items()}
    return TaskSuite(name, version, splits)


def opening_suite(name: str, version: str, openings: Sequence[Sequence[str]], heldout_fraction: float = 0.2,
                  max_per_split: dict[str, int] | None = None) -> TaskSuite:
    """One task per distinct opening (a tuple of moves). An opening goes to heldout when the hash of its moves
    falls in the held-out fraction, so the split of a given opening never changes when the list grows."""
    splits: dict[str, list[Task]] = {"train": [], "heldout": []}
    for moves in openings:
        key = " ".join(moves)
        h = int(hashlib.sha256(f"{name}:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        split = "heldout" if moves and h < heldout_fraction else "train"
        limit = (max_per_split or {}).get(split)
        if limit is not None and len(splits[split]) >= limit:
            continue
        splits[split].append(Task(id=f"{name}/{split}/{len(splits[split]):04d}", split=split, seed=0,
                                  params={"opening": list(moves)}, family=f"{len(moves)}-ply"))
    return TaskSuite(name, version, splits)


def random_openings(n: int, plies: Sequence[int], legal: Callable[[list[str]], list[str]], seed: int) -> list[list[str]]:
    """`n` distinct random openings whose lengths cycle through `plies` (legal(moves) lists the next legal moves;
    an empty list means the game is over and the opening is dropped)."""
    rng = random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    out: list[list[str]] = []
    tries = 0
    while len(out) < n and tries < 50 * n:
        k = plies[tries % len(plies)]
        tries += 1
        moves: list[str] = []
        for _ in range(k):
            options = legal(moves)
            if not options:
                break
            moves.append(rng.choice(options))
        if len(moves) == k and legal(moves) and tuple(moves) not in seen:
            seen.add(tuple(moves))
            out.append(moves)
    return out
