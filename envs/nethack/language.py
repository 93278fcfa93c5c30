"""NetHack's screen in words, in pure Python, from NLE's observation arrays (glyphs, blstats, tty_chars, inventory).

This follows BALROG's language observation (its NLELanguageWrapper, which calls nle-language-wrapper's C++
`text_glyphs`, `text_message`, `text_blstats` and `text_inventory`):
  - every named thing on the map is listed as "<name> <distance> <direction>", where the distance is the Chebyshev
    distance in BALROG's buckets (1 adjacent, 2 very near, 3-5 near, 6-19 far, 20+ very far) and the direction one
    of 16 compass points ("east", "eastnortheast", "northeast", ...); walls and other view-blocking features are
    only listed along the eight rays from the hero, up to the first wall;
  - things of the same name at the same distance are merged ("horizontal walls near north and south");
  - the list runs from "very far" to "adjacent", and within a distance clockwise from north, as BALROG orders it.
The bottom line is rendered as one compact line instead of BALROG's 22 ("Strength: ...\\nDexterity: ..."), to save
context on small models; it carries the same numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

ROWS, COLS = 21, 79
DISTANCE_ORDER = ("very far", "far", "near", "very near", "adjacent")
DIRECTION_ORDER = (
    "north", "northnortheast", "northeast", "eastnortheast", "east", "eastsoutheast", "southeast", "southsoutheast",
    "south", "southsouthwest", "southwest", "westsouthwest", "west", "westnorthwest", "northwest", "northnorthwest")
RAYS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
"""(dx, dy) in screen coordinates (y grows downwards): east, southeast, south, ..., northeast, BALROG's ray order."""
RAY_LENGTH = 9

HUNGER = {0: "Satiated", 1: "Not Hungry", 2: "Hungry", 3: "Weak", 4: "Fainting", 5: "Fainted", 6: "Starved"}
ENCUMBRANCE = {0: "Unencumbered", 1: "Burdened", 2: "Stressed", 3: "Strained", 4: "Overtaxed", 5: "Overloaded"}
ALIGNMENT = {-1: "Chaotic", 0: "Neutral", 1: "Lawful", -128: "None"}
CONDITIONS = ((0x1, "Stoned"), (0x2, "Slimed"), (0x4, "Strangled"), (0x8, "Food Poisoning"),
              (0x10, "Terminally Ill"), (0x20, "Blind"), (0x40, "Deaf"), (0x80, "Stunned"), (0x100, "Confused"),
              (0x200, "Hallucinating"), (0x400, "Levitating"), (0x800, "Flying"), (0x1000, "Riding"))
"""NetHack's BL_MASK_* condition bits, in bit order."""


def distance_bucket(chebyshev: int) -> str:
    """BALROG's distance words: 1 adjacent, 2 very near, 3-5 near, 6-19 far, 20 and more very far."""
    if chebyshev <= 1:
        return "adjacent"
    if chebyshev == 2:
        return "very near"
    if chebyshev <= 5:
        return "near"
    if chebyshev <= 19:
        return "far"
    return "very far"


def direction_word(dx: int, dy: int) -> str:
    """One of 16 compass points for an offset with dx east and dy NORTH (positive = up the screen): the diagonal part
    names the quadrant and the rest names the dominant axis, so (2, 1) is "eastnortheast" and (1, 0) "east"."""
    diag = min(abs(dx), abs(dy))
    quadrant = ""
    if diag > 0:
        quadrant = ("south" if dy < 0 else "north") + ("west" if dx < 0 else "east")
    rest_x = dx - diag if dx > 0 else dx + diag
    rest_y = dy - diag if dy > 0 else dy + diag
    y_word = "north" if rest_y > 0 else ("south" if rest_y < 0 else "")
    x_word = "east" if rest_x > 0 else ("west" if rest_x < 0 else "")
    return y_word + x_word + quadrant


def pluralize(noun: str) -> str:
    """English plural of a NetHack name, with BALROG's exceptions (mass nouns, "can of grease", "area of lava")."""
    if noun.endswith(("boots", "shoes", "scales", "lenses", "bars")):
        return noun
    special = {"can of grease": "cans of grease", "Master of Thieves": "Masters of Thieves", "ice": "areas of ice",
               "lava": "areas of lava"}
    if noun in special:
        return special[noun]
    for prefix, plural in (("boom ", "booms "), ("shield ", "shields "), ("swallow ", "swallows "),
                           ("scroll ", "scrolls "), ("worthless piece ", "worthless pieces "),
                           ("unknown creature ", "unknown creatures ")):
        if noun.startswith(prefix):
            return plural + noun[len(prefix):]
    if len(noun) >= 2 and noun[-1] == "y" and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("z", "x", "ch", "sh", "ss", "s")):
        return noun + "es"
    if noun.endswith("ff"):
        return noun[:-2] + "ves"
    if noun.endswith("f"):
        return noun[:-1] + "ves"
    return noun + "s"


def _join(directions: Sequence[str]) -> str:
    if len(directions) == 1:
        return directions[0]
    if len(directions) == 2:
        return f"{directions[0]} and {directions[1]}"
    return ", ".join(directions[:-1]) + ", and " + directions[-1]


def _offset_words() -> tuple[list[list[str]], list[list[str]]]:
    """(distance, direction) words for every screen offset, indexed [dy + ROWS][dx + COLS] with dy in screen rows
    (down is positive), built once: BALROG's screen_distance_direction_lookup."""
    dist = [[distance_bucket(max(abs(dx), abs(dy))) for dx in range(-COLS, COLS + 1)] for dy in range(-ROWS, ROWS + 1)]
    dirs = [[direction_word(dx, -dy) for dx in range(-COLS, COLS + 1)] for dy in range(-ROWS, ROWS + 1)]
    return dist, dirs


_DIST, _DIRS = _offset_words()


def sightings(glyphs: np.ndarray, x: int, y: int) -> list[tuple[str, str, str]]:
    """(name, distance, direction) for everything BALROG describes around the hero at screen column x, row y."""
    from agentgym.envs.nethack.glyphs import glyph_tables

    names, everywhere, on_rays, blocks = glyph_tables()
    found: list[tuple[str, str, str]] = []
    rows, cols = np.nonzero(everywhere[glyphs])
    values = glyphs[rows, cols].tolist()
    for r, c, g in zip(rows.tolist(), cols.tolist(), values):
        if r == y and c == x:
            continue  # the hero
        found.append((names[g], _DIST[r - y + ROWS][c - x + COLS], _DIRS[r - y + ROWS][c - x + COLS]))
    h, w = glyphs.shape
    # only the 17 x 19 window around the hero is on a ray; reading it as lists beats indexing numpy per square
    top, left = max(0, y - RAY_LENGTH), max(0, x - RAY_LENGTH)
    window = glyphs[top:y + RAY_LENGTH + 1, left:x + RAY_LENGTH + 1].tolist()
    for sx, sy in RAYS:
        for k in range(1, RAY_LENGTH + 1):
            c, r = x + sx * k, y + sy * k
            if not (0 <= c < w and 0 <= r < h):
                break
            g = window[r - top][c - left]
            if on_rays[g]:
                found.append((names[g], _DIST[sy * k + ROWS][sx * k + COLS], _DIRS[sy * k + ROWS][sx * k + COLS]))
                if blocks[g]:
                    break
    return found


_RANK = {(d, w): i for i, (d, w) in enumerate((d, w) for d in DISTANCE_ORDER for w in DIRECTION_ORDER)}


def describe_sightings(found: Sequence[tuple[str, str, str]]) -> list[str]:
    """BALROG's order and merging: sorted far to near and clockwise from north; same name and distance merged, the
    name made plural for a direction that holds several of them."""
    ordered = sorted(found, key=lambda t: _RANK[(t[1], t[2])])  # sorted() is stable: screen order within a key
    groups: dict[tuple[str, str], list[str]] = {}
    for name, distance, direction in ordered:
        groups.setdefault((name, distance), []).append(direction)
    lines = []
    for (name, distance), directions in groups.items():
        counts: dict[str, int] = {}
        for d in directions:
            counts[d] = counts.get(d, 0) + 1
        single = [d for d in counts if counts[d] == 1]
        several = [d for d in counts if counts[d] > 1]
        if single:
            lines.append(f"{name} {distance} {_join(single)}")
        if several:
            lines.append(f"{pluralize(name)} {distance} {_join(several)}")
    return lines


def describe_map(glyphs: np.ndarray, x: int, y: int) -> list[str]:
    """The language observation of the map: one line per (thing, distance) group."""
    return describe_sightings(sightings(glyphs, x, y))


_PAGE = re.compile(rb"\(\d+ of \d+\)")


def screen_state(tty_chars: np.ndarray) -> tuple[bool, bool]:
    """(a --More-- is showing, a menu or text window is showing: "(end)" or "(n of m)")."""
    raw = np.asarray(tty_chars).tobytes()
    return b"--More--" in raw, b"(end)" in raw or _PAGE.search(raw) is not None


def tty_message(tty_chars: np.ndarray) -> str:
    """The message on the screen, including multi-line menus and pages: rows from the top down to the one showing
    --More--, (end) or (n of m); a plain message is the top row alone. --More-- itself is dropped."""
    tty = np.asarray(tty_chars)
    first_row = bytes(tty[0]).decode("latin-1")
    first = first_row.strip()
    if not first:
        return ""
    more, window = screen_state(tty)
    if not (more or window):  # the common case: a one-line message
        return first
    rows = [bytes(r).decode("latin-1") for r in tty]
    indent = len(rows[0]) - len(rows[0].lstrip(" "))
    out = []
    for row in rows:
        text = row[indent:].strip()
        out.append(text)
        if "--More--" in text or "(end)" in text or _is_page_marker(text):
            return "\n".join(t for t in out if t).replace("--More--", "").strip()
    return first.replace("--More--", "").strip()


def _is_page_marker(text: str) -> bool:
    # "(1 of 2)" at the end of a menu page
    i = text.find(" of ")
    return i >= 2 and text[i - 2] == "(" and text[i + 5:i + 6] == ")"


def stats_line(blstats: np.ndarray) -> str:
    """The bottom line in one line of words (BALROG's text_blstats fields, compacted)."""
    b = [int(v) for v in blstats]
    conditions = [name for bit, name in CONDITIONS if b[25] & bit]
    return (f"Strength {b[3]}/{b[2]}, Dexterity {b[4]}, Constitution {b[5]}, Intelligence {b[6]}, Wisdom {b[7]}, "
            f"Charisma {b[8]}. Depth {b[12]}, Gold {b[13]}, HP {b[10]}/{b[11]}, Energy {b[14]}/{b[15]}, AC {b[16]}, "
            f"XP {b[18]}/{b[19]}, Time {b[20]}, Hunger {HUNGER.get(b[21], b[21])}, "
            f"{ENCUMBRANCE.get(b[22], b[22])}, Alignment {ALIGNMENT.get(b[26], b[26])}, "
            f"Condition {' '.join(conditions) if conditions else 'None'}.")


def inventory_lines(inv_letters: np.ndarray, inv_strs: np.ndarray) -> list[str]:
    """"a: a +1 long sword (weapon in hand)" for every item, in NetHack's inventory order."""
    return list(_inventory(np.asarray(inv_letters).tobytes(), np.asarray(inv_strs).tobytes(),
                           np.asarray(inv_strs).shape[1]))


@functools.lru_cache(maxsize=256)
def _inventory(letters: bytes, strs: bytes, width: int) -> tuple[str, ...]:
    # the inventory changes rarely: decode each distinct one once
    inv_letters = np.frombuffer(letters, dtype=np.uint8)
    inv_strs = np.frombuffer(strs, dtype=np.uint8).reshape(-1, width)
    lines = []
    for letter, raw in zip(np.asarray(inv_letters).tolist(), np.asarray(inv_strs)):
        if letter == 0:
            break
        text = bytes(raw).split(b"\0", 1)[0].decode("latin-1")
        lines.append(f"{chr(letter)}: {text}")
    return tuple(lines)


def ascii_map(tty_chars: np.ndarray) -> str:
    """The map rows of the terminal (rows 1-21), cropped to the part that shows anything."""
    rows = [bytes(r).decode("latin-1").rstrip() for r in np.asarray(tty_chars)[1:1 + ROWS]]
    used = [i for i, r in enumerate(rows) if r.strip()]
    if not used:
        return ""
    rows = rows[used[0]:used[-1] + 1]
    left = min(len(r) - len(r.lstrip(" ")) for r in rows if r.strip())
    return "\n".join(r[left:] for r in rows)
