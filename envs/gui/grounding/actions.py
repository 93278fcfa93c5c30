"""Parse a grounding answer: a point `click(x, y)` (also `(x, y)` or `[x, y]`) or a box `[x1, y1, x2, y2]`.

The last well-formed answer in the text wins (models often restate the question's numbers before answering).
Coordinates are screenshot pixels. A box must have x2 > x1 and y2 > y1; anything else is unparseable.
"""

from __future__ import annotations

import math
import re

from agentgym.envs.gui.grounding.rewards import Box, Point

_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_BOX = re.compile(r"\[" + ",".join([_NUM] * 4) + r"\]")
_CLICK = re.compile(r"(?:click\s*)?[\(\[]" + _NUM + "," + _NUM + r"[\)\]]", re.IGNORECASE)


def parse_grounding(text: str) -> Point | Box | None:
    """The answer in `text` as a point (2 floats) or a box (4 floats), or None when there is none."""
    text = text[:4096]
    found: list[tuple[int, Point | Box]] = []
    for m in _BOX.finditer(text):
        x1, y1, x2, y2 = (float(g) for g in m.groups())
        if x2 > x1 and y2 > y1:
            found.append((m.start(), (x1, y1, x2, y2)))
    for m in _CLICK.finditer(text):
        x, y = (float(g) for g in m.groups())
        found.append((m.start(), (x, y)))
    found = [(pos, v) for pos, v in found if all(math.isfinite(c) for c in v)]
    return max(found, key=lambda pv: pv[0])[1] if found else None
