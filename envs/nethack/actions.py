"""Actions by name: BALROG's command names with one-line descriptions, parsed into NetHack key presses.

One reply is one complete command. A command may carry its arguments, which become the keys NetHack asks for next:
an inventory letter, a direction word, a map symbol, or y/n. So `eat f` presses `e` then `f`; `apply g west y` presses
`a`, `g`, `h` and answers the "Unlock it?" question with `y`; `travel >` presses `_`, `>` and `.` (travel to the
stairs down). Whatever NetHack still asks after the given keys is cancelled with Escape, so every turn ends back in the
game's main loop (the env reports the question and that it was cancelled).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

DIRECTIONS = {"north": "k", "east": "l", "south": "j", "west": "h", "northeast": "u", "southeast": "n",
              "southwest": "b", "northwest": "y"}
DIRECTION_ALIASES = {"n": "north", "e": "east", "s": "south", "w": "west", "ne": "northeast", "se": "southeast",
                     "sw": "southwest", "nw": "northwest", "up": "up", "down": "down"}

# name: (keys, description). The keys are NetHack's (number_pad off); directions use vi-keys.
NETHACK_COMMANDS: dict[str, tuple[str, str]] = {
    **{d: (k, f"move one square {d}") for d, k in DIRECTIONS.items()},
    **{f"far {d}": (k.upper(), f"move {d} until something interesting") for d, k in DIRECTIONS.items()},
    "up": ("<", "go up a staircase (you must stand on it)"),
    "down": (">", "go down a staircase (you must stand on it)"),
    "wait": (".", "rest one move while doing nothing"),
    "search": ("s", "search the adjacent squares for hidden doors and passages"),
    "look": (":", "look at what is here"),
    "pickup": (",", "pick up what is here"),
    "inventory": ("i", "show your inventory"),
    "esc": ("\x1b", "exit a menu or a message"),
    "more": ("\r", "display more of the message"),
    "apply": ("a", "apply (use) a tool: apply <letter> [direction] [y]"),
    "eat": ("e", "eat something: eat <letter>, or eat y to eat what lies here"),
    "quaff": ("q", "quaff (drink) a potion: quaff <letter>"),
    "read": ("r", "read a scroll or spellbook: read <letter>"),
    "wear": ("W", "wear a piece of armor: wear <letter>"),
    "takeoff": ("T", "take off a piece of armor: takeoff <letter>"),
    "wield": ("w", "wield a weapon: wield <letter>"),
    "puton": ("P", "put on a ring or amulet: puton <letter>"),
    "remove": ("R", "remove a ring or amulet: remove <letter>"),
    "drop": ("d", "drop an item: drop <letter>"),
    "throw": ("t", "throw an item: throw <letter> <direction>"),
    "fire": ("f", "fire your quivered ammunition: fire <direction>"),
    "zap": ("z", "zap a wand: zap <letter> <direction>"),
    "cast": ("Z", "cast a spell: cast <spell letter> <direction>"),
    "open": ("o", "open a door: open <direction>"),
    "close": ("c", "close a door: close <direction>"),
    "kick": ("\x04", "kick something, e.g. a locked door: kick <direction>"),
    "fight": ("F", "attack a monster: fight <direction>"),
    "untrap": (chr(0x80 | ord("u")), "disarm a trap: untrap <direction>"),
    "force": (chr(0x80 | ord("f")), "force a lock with your weapon"),
    "loot": (chr(0x80 | ord("l")), "loot a box on the floor"),
    "pray": (chr(0x80 | ord("p")), "pray to the gods for help (answer y: pray y)"),
    "offer": (chr(0x80 | ord("o")), "offer a sacrifice on an altar"),
    "enhance": (chr(0x80 | ord("e")), "advance or check weapon skills"),
    "travel": ("_", "travel to a map symbol: travel > (stairs down), travel < (stairs up), travel _ (altar)"),
    "swap": ("x", "swap wielded and secondary weapons"),
    "pay": ("p", "pay your shopping bill"),
    "engrave": ("E", "engrave on the floor: engrave <letter> (- for fingers)"),
}
"""NLE's useful commands by BALROG's names (NLE_ACTIONS_TO_DESCR), each with its keys and a one-line description.
Extended commands (#pray, #loot, ...) use their Meta-key forms, as NLE's action set does."""

MINIHACK_NAVIGATION = tuple(DIRECTIONS)
"""MiniHack's navigation action set: the eight compass moves."""
MINIHACK_KEYROOM = (*DIRECTIONS, "pickup", "apply")
MINIHACK_CORRIDOR = (*DIRECTIONS, "search", "kick")
"""Corridor adds search and kick to MiniHack's moves: NetHack makes one door in eight secret and some locked, and
without search (and a kick for a locked door) those levels cannot be solved."""
"""MiniHack's KeyRoom action set: moves, pick up, apply (here with its arguments: apply <letter> <direction> y)."""



@dataclass(frozen=True)
class Parsed:
    """A parsed reply: the command's name and every key to press (None when the reply is not a command)."""

    name: str | None
    keys: tuple[int, ...] = ()
    problem: str = ""


def _keys_of(text: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in text)


@functools.lru_cache(maxsize=16)
def _longest_first(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(allowed, key=len, reverse=True))  # "far north" before "north"


@functools.lru_cache(maxsize=1024)
def parse(reply: str, allowed: tuple[str, ...]) -> Parsed:
    """Parse the first line of a reply into the keys of one of the `allowed` command names.

    Case and surrounding punctuation are ignored; direction shorthands (n, ne, ...) are understood. Arguments after
    the command are inventory letters (case kept), direction words, map symbols (< > _ { -), or y/n. Cached: an
    agent sends the same few replies again and again, and a Parsed is immutable.
    """
    line = reply.strip().split("\n", 1)[0].strip().strip("`'\".!").strip()
    if not line:
        return Parsed(None, problem="The reply is empty")
    lower = line.lower()
    if lower in DIRECTION_ALIASES and DIRECTION_ALIASES[lower] in allowed:
        lower = line = DIRECTION_ALIASES[lower]
    name = next((n for n in _longest_first(allowed) if lower == n or lower.startswith(n + " ")), None)
    if name is None:
        return Parsed(None, problem=f"Unknown action {line[:60]!r}")
    keys = list(_keys_of(NETHACK_COMMANDS[name][0]))
    args = line[len(name):].split()
    for arg in args:
        word = arg.lower()
        word = DIRECTION_ALIASES.get(word, word) if len(word) > 1 else word
        if word in DIRECTIONS:
            keys.append(ord(DIRECTIONS[word]))
        elif word in ("up", "down"):
            keys.append(ord("<" if word == "up" else ">"))
        elif len(arg) == 1 and 32 < ord(arg) < 127:
            keys.append(ord(arg))
        else:
            return Parsed(None, problem=f"{name!r} does not take the argument {arg[:30]!r} (arguments are "
                                        "inventory letters, directions, map symbols or y/n)")
    if name == "travel" and args:
        keys.append(ord("."))  # confirm the spot the cursor jumped to
    return Parsed(name, tuple(keys))


def describe(allowed: tuple[str, ...]) -> str:
    """The action list for the prompt, one `name: description` per line."""
    return "\n".join(f"{n}: {NETHACK_COMMANDS[n][1]}" for n in allowed)


NETHACK_FULL = tuple(NETHACK_COMMANDS)
