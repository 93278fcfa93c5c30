"""The rule-based answerer of twenty questions: the object table and the question parser.

A question becomes a `Query`: either a guess (an object index, or an unknown name), or a set of predicates over the
table (category membership or an attribute, possibly inverted: "Is it small?" = not bigger_than_breadbox), combined
with AND (default: "Is it a living plant?") or OR ("Is it a fruit or a vegetable?"), optionally negated ("Is it not
an animal?"). Phrases are matched longest first and each span of text is used once, so "sea creature" does not also
read as "sea" (lives in water).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "objects.json"


@dataclass(frozen=True)
class ObjectTable:
    names: tuple[str, ...]
    categories: tuple[str, ...]
    """Category of each object."""
    attributes: tuple[str, ...]
    """Attribute names (columns)."""
    values: tuple[frozenset[str], ...]
    """Per object: the attributes that are true."""
    aliases: dict[str, int]
    """Every name and alias (lowercase) -> object index."""
    category_names: tuple[str, ...]


@lru_cache(maxsize=1)
def load_table() -> ObjectTable:
    data = json.loads(DATA.read_text())
    names, cats, vals, aliases = [], [], [], {}
    for i, o in enumerate(data["objects"]):
        names.append(o["name"])
        cats.append(o["category"])
        vals.append(frozenset(a for a, v in o["attributes"].items() if v))
        for n in [o["name"], *o["aliases"]]:
            n = _normalize(n)
            aliases.setdefault(n, i)
            if not n.endswith("s"):
                aliases.setdefault(n + "s", i)  # "Is it bananas?"
    return ObjectTable(tuple(names), tuple(cats), tuple(data["attributes"]), tuple(vals), aliases,
                       tuple(data["categories"]))


# A predicate: ("cat", category) or ("attr", attribute, expected truth value)
Predicate = tuple

CATEGORY_PHRASES = {
    "mammal": ["mammal"], "bird": ["bird"], "sea creature": ["sea creature", "sea animal", "fish", "marine animal"],
    "insect": ["insect", "bug"], "fruit": ["fruit"], "vegetable": ["vegetable", "veggie"],
    "prepared food": ["prepared food", "meal", "snack", "dessert", "baked good", "cooked food"],
    "vehicle": ["vehicle", "means of transport", "transportation"],
    "clothing": ["clothing", "clothes", "piece of clothing", "garment", "item of clothing"],
    "electronic device": ["electronic device", "device", "gadget", "appliance"],
    "musical instrument": ["musical instrument", "instrument", "play music"],
    "furniture": ["furniture", "piece of furniture"],
    "kitchen utensil": ["kitchen utensil", "utensil", "cutlery", "kitchenware", "cookware"],
    "tool": ["tool"], "sports equipment": ["sports equipment", "sport", "sports", "sporting"],
    "toy": ["toy", "plaything"], "jewelry": ["jewelry", "jewellery", "jewel", "piece of jewelry"],
    "office supply": ["office supply", "office supplies", "stationery"],
    # "plant" is not listed: the word asks the attribute (fruits are plants too); "a living plant" asks both.
}

ATTRIBUTE_PHRASES = {
    "living": ["alive", "living", "living thing"], "animal": ["animal", "creature"], "plant": ["plant"],
    "edible": ["eat", "edible", "food", "eat it", "eaten"],
    "bigger_than_breadbox": ["bigger than a breadbox", "larger than a breadbox", "bigger than breadbox", "big",
                             "large", "huge", "bigger", "larger"],
    "metal": ["metal", "metallic", "steel", "iron"], "wooden": ["wood", "wooden"], "plastic": ["plastic"],
    "glass": ["glass"], "paper": ["paper"],
    "electronic": ["electronic", "electric", "electricity", "battery", "batteries", "plug", "power", "electronics"],
    "found_in_kitchen": ["kitchen"], "found_in_house": ["house", "home", "indoors", "household"],
    "man_made": ["man made", "manmade", "made by humans", "made by people", "human made", "artificial",
                 "manufactured", "invented", "made by man"],
    "can_fly": ["fly", "flies", "flying"], "has_wings": ["wings", "wing"],
    "lives_in_water": ["water", "swim", "swims", "aquatic", "ocean", "sea", "underwater"],
    "has_legs": ["legs", "leg"], "has_fur": ["fur", "furry", "hair", "hairy"], "has_wheels": ["wheel", "wheels"],
    "has_engine": ["engine", "motor"], "has_screen": ["screen", "display"],
    "wearable": ["wear", "wearable", "worn", "wear it"], "found_outdoors": ["outside", "outdoors", "outdoor"],
    "sharp": ["sharp", "cut"], "soft": ["soft", "fluffy"], "round": ["round", "spherical", "sphere", "circular",
                                                                     "ball shaped"],
    "sweet": ["sweet", "sugary"], "makes_sound": ["sound", "noise", "noisy", "loud", "sounds"],
    "pet": ["pet", "pets"], "dangerous": ["dangerous", "harmful", "hurt you"], "heavy": ["heavy"],
    "container": ["container", "hold things", "store things", "put things in"],
    "used_for_writing": ["write", "writing", "write with", "draw"],
    "green": ["green"], "red": ["red"], "yellow": ["yellow"], "white": ["white"], "black": ["black"],
    "brown": ["brown"], "long": ["long"], "cold": ["cold"],
    "worn_on_head": ["worn on the head", "worn on head", "wear on the head", "head"],
    "worn_on_feet": ["worn on the feet", "wear on the feet", "feet", "foot"],
    "worn_on_hands": ["worn on the hands", "wear on the hands", "hand", "hands", "finger", "fingers"],
    "carries_people": ["carry people", "carries people", "passengers", "ride in", "ride on", "ride it"],
    "has_strings": ["strings", "string"], "has_keys": ["keys", "keyboard"], "has_buttons": ["buttons", "button"],
    "has_doors": ["door", "doors"], "used_for_eating": ["eat with", "eating with", "used for eating", "eat from",
                                                        "eat off", "eat out of"],
}

INVERSE_PHRASES = {  # phrases that ask for an attribute being false
    "bigger_than_breadbox": ["small", "smaller than a breadbox", "smaller than breadbox", "tiny", "little",
                             "fit in your hand", "fit in a hand", "fit in one hand", "handheld", "fit in a pocket",
                             "fit in your pocket", "smaller"],
    "man_made": ["natural", "nature", "found in nature"], "soft": ["hard"], "heavy": ["lightweight", "light weight"],
    "living": ["dead", "inanimate", "non living", "nonliving"],
}

CANONICAL_ATTRIBUTE_QUESTIONS = {
    "living": "Is it alive?", "animal": "Is it an animal?", "plant": "Is it a plant?", "edible": "Can you eat it?",
    "bigger_than_breadbox": "Is it bigger than a breadbox?", "metal": "Is it made of metal?",
    "wooden": "Is it made of wood?", "plastic": "Is it made of plastic?", "glass": "Is it made of glass?",
    "paper": "Is it made of paper?", "electronic": "Is it electronic?", "found_in_kitchen": "Is it found in a kitchen?",
    "found_in_house": "Is it found in a house?", "man_made": "Is it man-made?", "can_fly": "Can it fly?",
    "has_wings": "Does it have wings?", "lives_in_water": "Does it live in water?", "has_legs": "Does it have legs?",
    "has_fur": "Does it have fur?", "has_wheels": "Does it have wheels?", "has_engine": "Does it have an engine?",
    "has_screen": "Does it have a screen?", "wearable": "Can you wear it?", "found_outdoors": "Is it found outdoors?",
    "sharp": "Is it sharp?", "soft": "Is it soft?", "round": "Is it round?", "sweet": "Is it sweet?",
    "makes_sound": "Does it make a sound?", "pet": "Is it a pet?", "dangerous": "Is it dangerous?",
    "heavy": "Is it heavy?", "container": "Can it hold things?", "used_for_writing": "Is it used for writing?",
    "green": "Is it green?", "red": "Is it red?", "yellow": "Is it yellow?", "white": "Is it white?",
    "black": "Is it black?", "brown": "Is it brown?", "long": "Is it long?", "cold": "Is it cold?",
    "worn_on_head": "Is it worn on the head?", "worn_on_feet": "Is it worn on the feet?",
    "worn_on_hands": "Is it worn on the hands?", "carries_people": "Does it carry people?",
    "has_strings": "Does it have strings?", "has_keys": "Does it have keys?", "has_buttons": "Does it have buttons?",
    "has_doors": "Does it have doors?", "used_for_eating": "Do you eat with it?",
}


def canonical_category_question(category: str) -> str:
    return f"Is it a kind of {category}?"


_GUESS_PREFIXES = ("my final guess is", "my guess is", "final guess", "the answer is", "i think it is",
                   "i guess it is", "guess it is", "i guess", "guess", "answer", "is it", "is this", "is that",
                   "it is", "its", "are they", "is the object", "is the thing", "is your object", "is the word")
_EXPLICIT_GUESS = ("my final guess is", "my guess is", "final guess", "the answer is", "i think it is",
                   "i guess it is", "guess it is", "i guess", "guess", "answer")
_LEADING_ARTICLES = re.compile(r"^(?:(?:a|an|the|some|kind of|type of|sort of|pair of|piece of) )+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> str:
    text = text.lower().replace("-", " ").replace("'", "")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


@dataclass(frozen=True)
class Query:
    guess: int | None = None
    """Object index of a guess of a known object."""
    unknown_guess: str | None = None
    """A guess of a name that is not in the table (always wrong)."""
    predicates: tuple[Predicate, ...] = ()
    any_of: bool = False
    """OR instead of AND over the predicates."""
    negated: bool = False

    def answer(self, table: ObjectTable, obj: int) -> bool:
        """The truthful yes/no answer for hidden object `obj`."""
        if self.guess is not None:
            return obj == self.guess
        if self.unknown_guess is not None:
            return False
        results = [_holds(table, obj, p) for p in self.predicates]
        value = any(results) if self.any_of else all(results)
        return value != self.negated


def _holds(table: ObjectTable, obj: int, p: Predicate) -> bool:
    if p[0] == "cat":
        return table.categories[obj] == p[1]
    return (p[1] in table.values[obj]) == p[2]


@lru_cache(maxsize=1)
def _phrase_patterns() -> list[tuple[re.Pattern, Predicate]]:
    entries: list[tuple[str, Predicate]] = []
    for cat, phrases in CATEGORY_PHRASES.items():
        entries += [(ph, ("cat", cat)) for ph in phrases]
    for attr, phrases in ATTRIBUTE_PHRASES.items():
        entries += [(ph, ("attr", attr, True)) for ph in phrases]
    for attr, phrases in INVERSE_PHRASES.items():
        entries += [(ph, ("attr", attr, False)) for ph in phrases]
    entries.sort(key=lambda e: -len(e[0]))  # longest first: "sea creature" before "sea"
    out = []
    for ph, pred in entries:
        words = [re.escape(w) for w in _normalize(ph).split()]
        # plural "s"/"es" on the last word: "fruits", "insects", "vegetables"
        out.append((re.compile(r"\b" + r" ".join(words) + r"(?:s|es)?\b"), pred))
    return out


@lru_cache(maxsize=20_000)
def parse_question(text: str) -> Query | None:
    """Text -> Query, or None when it is not a yes/no question this answerer understands."""
    table = load_table()
    norm = _normalize(text.split("\n", 1)[0])
    if not norm:
        return None
    explicit = False
    rest = norm
    for prefix in _GUESS_PREFIXES:
        if rest == prefix or rest.startswith(prefix + " "):
            explicit = prefix in _EXPLICIT_GUESS
            rest = rest[len(prefix):].strip()
            break
    else:
        prefix = ""
    name = _LEADING_ARTICLES.sub("", rest).strip()
    if name in table.aliases:
        return Query(guess=table.aliases[name])
    if explicit and name:
        return Query(unknown_guess=name)
    norm = norm.replace(" or not", "")  # "Can you eat it or not?" asks the plain question
    negated = bool(re.search(r"\bnot\b", norm))
    padded = f" {norm} "
    preds: list[Predicate] = []
    for pattern, pred in _phrase_patterns():
        m = pattern.search(padded)
        while m:
            if pred not in preds:
                preds.append(pred)
            padded = padded[:m.start()] + " # " + padded[m.end():]  # use each span of text once
            m = pattern.search(padded)
    if preds:
        return Query(predicates=tuple(preds), any_of=bool(re.search(r"\bor\b", norm)), negated=negated)
    if prefix and name and len(name.split()) <= 3:
        return Query(unknown_guess=name)  # "Is it a spaceship?": a guess of something not in the table
    return None
