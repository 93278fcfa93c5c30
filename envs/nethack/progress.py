"""BALROG's NetHack progression metric: the best achievement reached, scored by BALROG's published table.

The table (data/balrog_achievements.json, copied unchanged from BALROG, MIT licence, balrog-ai/BALROG commit fba89e2,
balrog/environments/nle/achievements.json) gives, for each dungeon level "Dlvl:N" and experience level "Xp:N" (and a
few landmarks), the fraction of human games in the NAO dataset that went on to ascend from there. An episode's
progression is the largest value over every achievement it reached; BALROG reads depth and experience level from the
bottom line, as here. BALROG's landmarks other than Dlvl and Xp ("Home N", "Astral Plane", ascension) are scored
from blstats' dungeon and level numbers and NLE's is_ascended flag.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE = Path(__file__).parent / "data" / "balrog_achievements.json"
BL_DEPTH, BL_XP, BL_DNUM, BL_DLEVEL = 12, 18, 23, 24
QUEST_DUNGEON, PLANES_DUNGEON, ASTRAL_LEVEL = 3, 7, 1


@functools.lru_cache(maxsize=1)
def achievements() -> dict[str, float]:
    return json.loads(TABLE.read_text())


@dataclass
class Progression:
    """Tracks the best achievement of one episode."""

    progression: float = 0.0
    highest_achievement: str | None = None
    reached: list[str] = field(default_factory=list)

    def update(self, blstats: Any, *, ascended: bool = False) -> float:
        self._record(f"Dlvl:{int(blstats[BL_DEPTH])}")
        self._record(f"Xp:{int(blstats[BL_XP])}")
        if int(blstats[BL_DNUM]) == QUEST_DUNGEON and 1 <= int(blstats[BL_DLEVEL]) <= 5:
            self._record(f"Home {int(blstats[BL_DLEVEL])}")
        if int(blstats[BL_DNUM]) == PLANES_DUNGEON and int(blstats[BL_DLEVEL]) == ASTRAL_LEVEL:
            self._record("Astral Plane")
        if ascended:
            self._record("You ascend t")
        return self.progression

    def _record(self, name: str) -> None:
        if name in self.reached:
            return
        value = achievements().get(name)
        if value is None:
            return
        self.reached.append(name)
        if value > self.progression:
            self.progression, self.highest_achievement = value, name
