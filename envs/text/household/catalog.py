"""What a household holds: room types, receptacle kinds, object kinds and their properties.

Names follow ALFWorld's (lowercase, joined words: "sinkbasin", "diningtable", "alarmclock"). The lists are a
hand-made, smaller version of ALFRED's: enough kinds per room that the six task types are varied and a random policy
rarely stumbles on success, few enough that an episode stays short.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOM_TYPES = ("kitchen", "livingroom", "bedroom", "bathroom")


@dataclass(frozen=True)
class ReceptacleKind:
    kind: str
    openable: bool
    """Closed at the start; it must be opened before anything inside is seen, taken or put in."""
    min_count: int
    max_count: int
    """How many instances a layout of the room has (drawn per layout, fixed for the layout)."""


def _r(kind: str, openable: bool, lo: int, hi: int) -> ReceptacleKind:
    return ReceptacleKind(kind, openable, lo, hi)


ROOM_RECEPTACLES: dict[str, tuple[ReceptacleKind, ...]] = {
    "kitchen": (
        _r("cabinet", True, 2, 8), _r("coffeemachine", False, 1, 1), _r("countertop", False, 1, 3),
        _r("diningtable", False, 0, 1), _r("drawer", True, 1, 5), _r("fridge", True, 1, 1),
        _r("garbagecan", False, 1, 1), _r("microwave", True, 1, 1), _r("shelf", False, 0, 3),
        _r("sinkbasin", False, 1, 1), _r("stoveburner", False, 2, 4), _r("toaster", False, 0, 1),
    ),
    "livingroom": (
        _r("armchair", False, 0, 1), _r("cabinet", True, 0, 4), _r("coffeetable", False, 1, 1),
        _r("diningtable", False, 0, 1), _r("drawer", True, 0, 4), _r("dresser", False, 0, 1),
        _r("garbagecan", False, 1, 1), _r("shelf", False, 0, 4), _r("sidetable", False, 1, 2),
        _r("sofa", False, 1, 1), _r("tvstand", False, 0, 1),
    ),
    "bedroom": (
        _r("armchair", False, 0, 1), _r("bed", False, 1, 1), _r("desk", False, 0, 1), _r("drawer", True, 2, 6),
        _r("dresser", False, 0, 1), _r("garbagecan", False, 1, 1), _r("laundryhamper", False, 0, 1),
        _r("safe", True, 0, 1), _r("shelf", False, 0, 4), _r("sidetable", False, 1, 2),
    ),
    "bathroom": (
        _r("bathtubbasin", False, 0, 1), _r("cabinet", True, 1, 4), _r("countertop", False, 1, 1),
        _r("drawer", True, 0, 4), _r("garbagecan", False, 1, 1), _r("handtowelholder", False, 0, 1),
        _r("shelf", False, 0, 2), _r("sinkbasin", False, 1, 2), _r("toilet", False, 1, 1),
        _r("toiletpaperhanger", False, 1, 1), _r("towelholder", False, 0, 1),
    ),
}

ROOM_OBJECTS: dict[str, tuple[str, ...]] = {
    "kitchen": ("apple", "bowl", "bread", "butterknife", "cup", "dishsponge", "egg", "fork", "kettle", "knife",
                "ladle", "lettuce", "mug", "pan", "peppershaker", "plate", "pot", "potato", "saltshaker",
                "soapbottle", "spatula", "spoon", "tomato", "winebottle"),
    "livingroom": ("book", "bowl", "box", "cellphone", "creditcard", "keychain", "laptop", "newspaper", "pillow",
                   "remotecontrol", "statue", "tissuebox", "vase", "watch"),
    "bedroom": ("alarmclock", "baseballbat", "book", "bowl", "cd", "cellphone", "cloth", "creditcard", "keychain",
                "laptop", "mug", "pen", "pencil", "pillow", "teddybear", "tennisracket"),
    "bathroom": ("candle", "cloth", "dishsponge", "handtowel", "plunger", "scrubbrush", "soapbar", "soapbottle",
                 "spraybottle", "tissuebox", "toiletpaper", "towel"),
}

ROOM_LAMP: dict[str, tuple[str, tuple[str, ...]]] = {
    # lamp kind, and the receptacle kinds it may stand on (first present one in the layout's order is used)
    "livingroom": ("floorlamp", ("sidetable", "dresser", "coffeetable")),
    "bedroom": ("desklamp", ("desk", "sidetable", "dresser")),
}

# Receptacles that only hold some kinds (anything else in the room fits the rest: cabinets, tables, shelves, ...).
ACCEPTS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "stoveburner": ("kettle", "pan", "pot"),
    "coffeemachine": ("cup", "mug"),
    "toaster": ("bread",),
    "microwave": ("apple", "bowl", "bread", "cup", "egg", "mug", "plate", "potato", "tomato"),
    "fridge": ("apple", "bowl", "bread", "cup", "egg", "lettuce", "mug", "pan", "plate", "pot", "potato", "tomato",
               "winebottle"),
    "sinkbasin": ("apple", "bowl", "butterknife", "cloth", "cup", "dishsponge", "egg", "fork", "knife", "ladle",
                  "lettuce", "mug", "pan", "plate", "pot", "potato", "soapbar", "spatula", "spoon", "tomato"),
    "bathtubbasin": ("cloth", "dishsponge", "soapbar", "soapbottle", "towel"),
    "garbagecan": ("apple", "bread", "candle", "cd", "cloth", "creditcard", "dishsponge", "egg", "lettuce",
                   "newspaper", "pen", "pencil", "potato", "soapbar", "soapbottle", "spraybottle", "tissuebox",
                   "toiletpaper", "tomato"),
    "toilet": ("candle", "cloth", "soapbar", "soapbottle", "spraybottle", "tissuebox", "toiletpaper"),
    "toiletpaperhanger": ("toiletpaper",),
    "towelholder": ("towel",),
    "handtowelholder": ("handtowel",),
    "laundryhamper": ("cloth",),
    "safe": ("cd", "cellphone", "creditcard", "keychain", "watch"),
    "sofa": ("book", "box", "cellphone", "creditcard", "keychain", "laptop", "newspaper", "pillow", "remotecontrol"),
    "armchair": ("book", "box", "cellphone", "creditcard", "keychain", "laptop", "newspaper", "pillow",
                 "remotecontrol", "teddybear"),
    "bed": ("book", "cellphone", "laptop", "pillow", "teddybear", "baseballbat", "tennisracket"),
}.items()}

CLEANABLE = frozenset(ACCEPTS["sinkbasin"])
HEATABLE = frozenset(ACCEPTS["microwave"])
COOLABLE = frozenset(ACCEPTS["fridge"])

# The receptacle kind each state-changing command needs, and the state it sets.
APPLIANCE = {"clean": "sinkbasin", "heat": "microwave", "cool": "fridge"}
ALSO_CLEANS = frozenset({"bathtubbasin"})
"""Cleaning works in a bathtub too (as in ALFRED); the oracle uses the sink."""

TASK_TYPES = ("pick_and_place", "pick_clean_then_place", "pick_heat_then_place", "pick_cool_then_place",
              "look_at_obj_in_light", "pick_two_obj_and_place")
MODIFIER = {"pick_clean_then_place": "clean", "pick_heat_then_place": "heat", "pick_cool_then_place": "cool"}

ROOM_TASK_TYPES: dict[str, tuple[str, ...]] = {
    "kitchen": ("pick_and_place", "pick_clean_then_place", "pick_heat_then_place", "pick_cool_then_place",
                "pick_two_obj_and_place"),
    "livingroom": ("pick_and_place", "look_at_obj_in_light", "pick_two_obj_and_place"),
    "bedroom": ("pick_and_place", "look_at_obj_in_light", "pick_two_obj_and_place"),
    "bathroom": ("pick_and_place", "pick_clean_then_place", "pick_two_obj_and_place"),
}

GOAL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "pick_and_place": ("put a {obj} in {recep}", "put some {obj} on {recep}"),
    "pick_clean_then_place": ("put a clean {obj} in {recep}", "clean some {obj} and put it in {recep}"),
    "pick_heat_then_place": ("put a hot {obj} in {recep}", "heat some {obj} and put it in {recep}"),
    "pick_cool_then_place": ("put a cool {obj} in {recep}", "cool some {obj} and put it in {recep}"),
    "look_at_obj_in_light": ("look at {obj} under the {lamp}", "examine the {obj} with the {lamp}"),
    "pick_two_obj_and_place": ("put two {obj} in {recep}", "find two {obj} and put them in {recep}"),
}


def accepts(receptacle_kind: str, object_kind: str) -> bool:
    allowed = ACCEPTS.get(receptacle_kind)
    return allowed is None or object_kind in allowed
