"""The MiniWoB action language (one action per turn; the first line that parses counts).

    click[ID]                 click the centre of element ID of the list
    type[ID][TEXT]            focus element ID, clear it, and type TEXT key by key (keyboard events fire)
    select[ID][OPTION]        choose the option labelled OPTION in the <select> ID
    click(X, Y)               click at screenshot pixel (X, Y)
    scroll[up|down]           scroll the page by 100 CSS px
    key[KEY]                  press a key (Playwright's names: Enter, Tab, ArrowDown, a, Control+A, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS = [
    ("type", re.compile(r"^\s*type\s*\[\s*(\d+)\s*\]\s*\[(.*)\]\s*$", re.IGNORECASE)),
    ("select", re.compile(r"^\s*select\s*\[\s*(\d+)\s*\]\s*\[(.*)\]\s*$", re.IGNORECASE)),
    ("click", re.compile(r"^\s*click\s*\[\s*(\d+)\s*\]\s*$", re.IGNORECASE)),
    ("point", re.compile(r"^\s*click\s*\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)\s*$", re.IGNORECASE)),
    ("scroll", re.compile(r"^\s*scroll\s*\[\s*(up|down)\s*\]\s*$", re.IGNORECASE)),
    ("key", re.compile(r"^\s*key\s*\[\s*([A-Za-z0-9+]{1,30})\s*\]\s*$")),
]


@dataclass(frozen=True)
class Action:
    kind: str
    """"click" | "type" | "select" | "point" | "scroll" | "key"."""
    target: int | None = None
    text: str | None = None
    x: float | None = None
    y: float | None = None


def parse_action(text: str) -> Action | None:
    for line in text[:4096].splitlines():
        for kind, pat in _PATTERNS:
            m = pat.match(line)
            if not m:
                continue
            if kind in ("type", "select"):
                return Action(kind, target=int(m.group(1)), text=m.group(2))
            if kind == "click":
                return Action(kind, target=int(m.group(1)))
            if kind == "point":
                return Action(kind, x=float(m.group(1)), y=float(m.group(2)))
            return Action(kind, text=m.group(1))
    return None
