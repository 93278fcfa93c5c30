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
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

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


def _offset_ranks() -> list[int]:
    """BALROG's screen_distance_direction_lookup as one number per screen offset: the rank distance * 16 + direction
    (indices into DISTANCE_ORDER and DIRECTION_ORDER), which is also the order lines are listed in. Flat, indexed
    (dy + ROWS) * _WIDTH + dx + COLS with dy in screen rows (down is positive); the offset (0, 0) gets -1."""
    ranks = []
    for dy in range(-ROWS, ROWS + 1):
        for dx in range(-COLS, COLS + 1):
            if dx == dy == 0:
                ranks.append(-1)
                continue
            distance = DISTANCE_ORDER.index(distance_bucket(max(abs(dx), abs(dy))))
            ranks.append(distance * 16 + DIRECTION_ORDER.index(direction_word(dx, -dy)))
    return ranks


_WIDTH = 2 * COLS + 1
_RANKS = _offset_ranks()
_RANKS_2D = np.array(_RANKS, dtype=np.int8).reshape(2 * ROWS + 1, _WIDTH)


@functools.lru_cache(maxsize=1)
def _kinds() -> tuple[tuple[str, ...], np.ndarray, bytes]:
    """(names, named-everywhere mask, ray code) from glyph_tables(). The mask is applied to the whole screen at once
    (numpy); the ray code is read one square at a time, where a bytes object answers far faster than numpy does:
    0 = not described on rays, 1 = described, 2 = described and ends the ray."""
    from agentgym.envs.nethack.glyphs import glyph_tables

    names, everywhere, on_rays, blocks = glyph_tables()
    return names, everywhere, (on_rays * (1 + blocks)).astype(np.uint8).tobytes()


@functools.lru_cache(maxsize=None)
def _screen_ranks(x: int, y: int, h: int, w: int) -> np.ndarray:
    """The rank of every square of an h x w screen seen by a hero at (x, y), flat (-1 on the hero's own square),
    built once per hero square (at most 21 x 79 of them, 1.6 kB each)."""
    if not (0 <= y < h <= ROWS and 0 <= x < w <= COLS):
        raise ValueError(f"the hero ({x}, {y}) must stand on a screen of at most {ROWS} x {COLS}, got {h} x {w}")
    return np.ascontiguousarray(_RANKS_2D[ROWS - y:ROWS - y + h, COLS - x:COLS - x + w]).ravel()


@functools.lru_cache(maxsize=None)
def _rays(x: int, y: int, h: int, w: int) -> tuple[np.ndarray, tuple[tuple[tuple[int, int], ...], ...]]:
    """The squares on the eight rays from a hero at (x, y) on an h x w screen, built once per square: their flat
    indices, ray after ray (for one numpy take), and per ray its squares, nearest first, as (position in that take,
    rank)."""
    flat: list[int] = []
    rays = []
    for sx, sy in RAYS:
        ray = []
        for k in range(1, RAY_LENGTH + 1):
            c, r = x + sx * k, y + sy * k
            if not (0 <= c < w and 0 <= r < h):
                break
            ray.append((len(flat), _RANKS[(sy * k + ROWS) * _WIDTH + sx * k + COLS]))
            flat.append(r * w + c)
        rays.append(tuple(ray))
    return np.array(flat, dtype=np.intp), tuple(rays)


def _ranked_sightings(glyphs: np.ndarray, x: int, y: int) -> list[tuple[int, str]]:
    """(rank, name) of everything BALROG describes around the hero, in screen order: the glyphs named everywhere row
    by row, then the ray glyphs ray by ray. The screen is read with a few numpy calls; Python only visits the
    squares that are named (a dozen or two of the 1659) and the rays' squares up to their first wall."""
    names, everywhere, ray_code = _kinds()
    h, w = glyphs.shape
    flat = glyphs.ravel()  # a view: NLE's arrays are contiguous
    idx = everywhere.take(flat).nonzero()[0]
    ranks = _screen_ranks(x, y, h, w).take(idx).tolist()
    # rank -1 is the hero's own square, which is never described
    found = [(rank, names[g]) for rank, g in zip(ranks, flat.take(idx).tolist()) if rank >= 0]
    squares, rays = _rays(x, y, h, w)
    values = flat.take(squares).tolist()
    for ray in rays:
        for i, rank in ray:
            code = ray_code[values[i]]
            if code:
                found.append((rank, names[values[i]]))
                if code == 2:
                    break
    return found


def sightings(glyphs: np.ndarray, x: int, y: int) -> list[tuple[str, str, str]]:
    """(name, distance, direction) for everything BALROG describes around the hero at screen column x, row y."""
    return [(name, DISTANCE_ORDER[rank >> 4], DIRECTION_ORDER[rank & 15])
            for rank, name in _ranked_sightings(glyphs, x, y)]


_RANK = {(d, w): i for i, (d, w) in enumerate((d, w) for d in DISTANCE_ORDER for w in DIRECTION_ORDER)}


def describe_sightings(found: Sequence[tuple[str, str, str]]) -> list[str]:
    """BALROG's order and merging: sorted far to near and clockwise from north; same name and distance merged, the
    name made plural for a direction that holds several of them."""
    return _describe_ranked([(_RANK[(distance, direction)], name) for name, distance, direction in found])


def _describe_ranked(found: list[tuple[int, str]]) -> list[str]:
    found.sort(key=itemgetter(0))  # stable: screen order within a rank
    groups: dict[tuple[str, int], list[int]] = {}  # (name, distance) -> ranks, in order of first sighting
    for rank, name in found:
        key = (name, rank >> 4)
        if key in groups:
            groups[key].append(rank)
        else:
            groups[key] = [rank]
    lines = []
    for (name, distance), ranks in groups.items():
        lines.extend(_group_lines(name, distance, tuple(ranks)))
    return lines


@functools.lru_cache(maxsize=4096)
def _group_lines(name: str, distance: int, ranks: tuple[int, ...]) -> tuple[str, ...]:
    """The line(s) of one (name, distance) group from its sorted ranks: the directions seen once, and the plural
    for directions seen more than once. Cached: the same few groups ("horizontal wall adjacent north") come back
    turn after turn (555 distinct groups over 1662 screens of the six MiniHack tasks)."""
    single, several = [], []
    for i, rank in enumerate(ranks):
        if i and ranks[i - 1] == rank:
            continue  # the sightings in one direction sit together: ranks are sorted
        repeated = i + 1 < len(ranks) and ranks[i + 1] == rank
        (several if repeated else single).append(DIRECTION_ORDER[rank & 15])
    lines = []
    if single:
        lines.append(f"{name} {DISTANCE_ORDER[distance]} {_join(single)}")
    if several:
        lines.append(f"{pluralize(name)} {DISTANCE_ORDER[distance]} {_join(several)}")
    return tuple(lines)


_LAST: dict[str, tuple[Any, Any]] = {}
"""One-entry memos, (key, value) of the last call of describe_map, stats_line, inventory_lines and screen_state.
Between two turns the screen and the bottom line are often unchanged (walking into a wall takes no game time) and the
inventory nearly always is; comparing the raw bytes of NLE's arrays with the last ones costs a fraction of a microsecond, less than
hashing them for a bigger cache, let alone describing them again. Each entry is one tuple, replaced whole, so
threads sharing the module never see a key with another call's value."""


def _remembered(name: str, key: Any, compute: Callable[[], Any]) -> Any:
    last = _LAST.get(name)
    if last is not None and last[0] == key:
        return last[1]
    value = compute()
    _LAST[name] = (key, value)
    return value


def describe_map(glyphs: np.ndarray, x: int, y: int) -> list[str]:
    """The language observation of the map: one line per (thing, distance) group."""
    g = np.asarray(glyphs)
    key = (g.tobytes(), g.shape, g.dtype.str, x, y)
    return list(_remembered("map", key, lambda: tuple(_describe_ranked(_ranked_sightings(g, x, y)))))


_WINDOW_END = re.compile(rb"\((?:end|\d+ of \d+)\)")
"""What closes a menu or text window: "(end)" or a page marker "(1 of 2)"."""


def screen_state(tty_chars: np.ndarray) -> tuple[bool, bool]:
    """(a --More-- is showing, a menu or text window is showing: "(end)" or "(n of m)")."""
    raw = np.asarray(tty_chars).tobytes()
    # remembered: the env asks twice about one screen (is anything pending? is the message more than one row?)
    return _remembered("screen", raw, lambda: (_shows_more(raw), _window_end(raw)))


# A search of the 1920 bytes for "--More--" or with the regex costs one to one and a half microseconds each; jumping
# from one "M" or "(" to the next (a C memchr) and checking there costs a fifth of that on a usual screen, which holds
# no "M" and two or three "(" (the bottom line's "HP:12(12) Pw:1(1)").
def _shows_more(raw: bytes) -> bool:
    i = raw.find(b"M")
    while i >= 0:
        if raw[i - 2:i + 6] == b"--More--":
            return True
        i = raw.find(b"M", i + 1)
    return False


def _window_end(raw: bytes) -> bool:
    i = raw.find(b"(")
    while i >= 0:
        if _WINDOW_END.match(raw, i):
            return True
        i = raw.find(b"(", i + 1)
    return False


def tty_message(tty_chars: np.ndarray) -> str:
    """The message on the screen, including multi-line menus and pages: rows from the top down to the one showing
    --More--, (end) or (n of m); a plain message is the top row alone. --More-- itself is dropped."""
    tty = np.asarray(tty_chars)
    first_row = tty[0].tobytes().decode("latin-1")
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


_LINE_FIELDS = itemgetter(2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 18, 19, 21, 22, 25, 26)
"""The blstats the bottom line shows, but for the time (20): the hero's square (0, 1) is not shown and the time
changes on nearly every turn, so the rest of the line is remembered on these alone."""


def stats_line(blstats: np.ndarray) -> str:
    """The bottom line in one line of words (BALROG's text_blstats fields, compacted)."""
    b = np.asarray(blstats, dtype=np.int64).tolist()  # one call, not 27 numpy scalars
    head, tail = _remembered("stats", _LINE_FIELDS(b), lambda: _stats_parts(b))
    return f"{head}{b[20]}{tail}"


def _stats_parts(b: list[int]) -> tuple[str, str]:
    """The bottom line before and after the time's value."""
    conditions = [name for bit, name in CONDITIONS if b[25] & bit] if b[25] else ()
    head = (f"Strength {b[3]}/{b[2]}, Dexterity {b[4]}, Constitution {b[5]}, Intelligence {b[6]}, Wisdom {b[7]}, "
            f"Charisma {b[8]}. Depth {b[12]}, Gold {b[13]}, HP {b[10]}/{b[11]}, Energy {b[14]}/{b[15]}, "
            f"AC {b[16]}, XP {b[18]}/{b[19]}, Time ")
    tail = (f", Hunger {HUNGER.get(b[21], b[21])}, {ENCUMBRANCE.get(b[22], b[22])}, "
            f"Alignment {ALIGNMENT.get(b[26], b[26])}, Condition {' '.join(conditions) if conditions else 'None'}.")
    return head, tail


def inventory_lines(inv_letters: np.ndarray, inv_strs: np.ndarray) -> list[str]:
    """"a: a +1 long sword (weapon in hand)" for every item, in NetHack's inventory order."""
    letters, strs = np.asarray(inv_letters).tobytes(), np.asarray(inv_strs)
    n = letters.find(b"\0")
    n = len(letters) if n < 0 else n
    # the memo's key is the items alone (a handful of rows), not the 55 x 80 bytes of the whole array
    key = (letters[:n], strs[:n].tobytes(), strs.shape[1])
    return list(_remembered("inventory", key, lambda: _inventory(*key)))


def _inventory(letters: bytes, strs: bytes, width: int) -> tuple[str, ...]:
    # NLE's uint8 arrays as bytes: one letter per byte, one item name per `width` bytes, NUL-padded
    lines = []
    for i, letter in enumerate(letters):
        text = strs[i * width:(i + 1) * width].split(b"\0", 1)[0].decode("latin-1")
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
