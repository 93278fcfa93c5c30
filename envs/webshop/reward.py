"""WebShop's reward, as pure functions over the original's product and goal dicts.

Follows princeton-nlp/WebShop master, web_agent_site/engine/goal.py (`get_reward`, `get_type_reward`,
`get_attribute_reward`, `get_option_reward`) and normalize.py (`normalize_color`); AgentGym's and verl-agent's copies
use the same functions. Written afresh from reading them; every departure is listed here and in the env docstring:

    R = r_type * (matched goal attributes + matched goal options + [price <= price_upper])
               / (len(goal attributes) + len(goal options) + 1)

- An attribute matches when thefuzz's token_set_ratio with one of the product's `Attributes` is > 85, or, failing
  that, when it is a substring of the lower-cased Title, of the BulletPoints joined by spaces, or of the Description.
- An option matches (master) when, after `normalize_color` on both sides, token_set_ratio with one of the chosen
  options is > 85; the loop runs over the goal's options, each counted at most once.
- r_type is 1, 0.5 when neither the query, nor two levels of the category path, nor the title nouns (> 0.2) agree,
  0.1 when under 0.1 of the goal title's nouns are in the bought title, and 0 when none are.

Departures (and why):
- Title nouns: the original tags titles with spaCy's en_core_web_sm (not installable here) and keeps NOUN/PROPN
  tokens. Products and goals that carry `name_nouns` (the generated catalogue records the nouns it put in every
  title: brand, product-type nouns, audience) use those; any other title goes through `heuristic_nouns`: every
  alphabetic word that is not a stopword or a common adjective (see NOT_NOUNS). On the original data this keeps some
  words spaCy would drop, so title_score can differ from the published one.
- `price_upper <= 0` makes the original add None and crash; here the price term is then 0 and counted in the
  denominator as usual. Our goals always have a positive bound (1e6 where the original has none).
- `variant="v2"` is WebShop's unmerged v2 branch option reward (exact match for the "size" option, fuzzy for the
  others, then a text fallback: a goal option found in Title / BulletPoints / Description counts) without its
  PyMultiDictionary synonym look-ups (they need the network); master is the default, as in every published number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentgym.envs.webshop.deps import require

RewardVariant = Literal["master", "v2"]
PRICE_RANGE = [10.0 * i for i in range(1, 100)]
"""The original's price bounds: a goal's bound is one of the first four of these above the target's price."""
FUZZY_THRESHOLD = 85
EXACT_MATCH_OPTIONS = ("size",)
"""v2 only: option names matched exactly instead of fuzzily."""

COLOR_SET = [
    'alabaster', 'apricot', 'aqua', 'ash', 'asphalt', 'azure', 'banana', 'beige', 'black', 'blue', 'blush',
    'bordeaux', 'bronze', 'brown', 'burgundy', 'camel', 'camo', 'caramel', 'champagne', 'charcoal', 'cheetah',
    'chestnut', 'chocolate', 'christmas', 'coffee', 'cognac', 'copper', 'coral', 'cranberry', 'cream', 'crystal',
    'dark', 'denim', 'eggplant', 'elephant', 'espresso', 'fuchsia', 'gold', 'granite', 'grape', 'graphite', 'grass',
    'gray', 'green', 'grey', 'heather', 'indigo', 'ivory', 'ivy', 'khaki', 'lavender', 'lemon', 'leopard', 'light',
    'lilac', 'lime', 'magenta', 'maroon', 'mauve', 'merlot', 'midnight', 'mint', 'mocha', 'multicolor', 'mushroom',
    'mustard', 'natural', 'navy', 'nude', 'olive', 'orange', 'peach', 'pewter', 'pink', 'plum', 'purple', 'rainbow',
    'red', 'rose', 'royal', 'rust', 'sand', 'sapphire', 'seashell', 'silver', 'skull', 'slate', 'steel', 'stone',
    'stonewash', 'sunflower', 'tan', 'taupe', 'teal', 'tiger', 'turquoise', 'violet', 'walnut', 'wheat', 'white',
    'wine', 'yellow',
]
"""normalize.py's COLOR_SET, in its order (the first color found in a string wins)."""

NOT_NOUNS = frozenset("""
a an the and or but nor for of in on at to by with without from into onto over under up down off out as per via
vs x is are be it its this that these those your our my his her their you we i me us them all any each every
both few more most other some such no not only own same so than too very can will just new best great good
large small big little mini long short high low soft hard light dark heavy extra super ultra premium classic
original natural professional portable compatible adjustable durable waterproof wireless electric digital
non free plus pro full half double single multi top bottom left right inch inches pack pcs count oz ml lb lbs
""".split())
"""heuristic_nouns drops these words (stopwords and frequent title adjectives)."""


# ---------------------------------------------------------------------------------------------------------------------
# fuzzy matching and normalisation
# ---------------------------------------------------------------------------------------------------------------------
def token_set_ratio(a: Any, b: Any) -> int:
    """thefuzz's fuzz.token_set_ratio, the original's matcher (full processing, ASCII only, rounded to an int)."""
    return require("thefuzz.fuzz").token_set_ratio(a, b)


def normalize_color(color_string: Any) -> Any:
    """The first COLOR_SET entry contained in `color_string`, else the string unchanged (normalize.py). Like the
    original it also takes a (name, value) tuple, where `in` tests the tuple's items."""
    for color in COLOR_SET:
        if color in color_string:
            return color
    return color_string


def heuristic_nouns(title: str) -> list[str]:
    """Stand-in for spaCy's NOUN/PROPN tokens of a title: lower-cased alphabetic words (dots, hyphens and
    apostrophes kept inside a word, as spaCy keeps "d.o.n."), minus NOT_NOUNS and one-letter words."""
    words = re.findall(r"[a-z][a-z.'\-]*[a-z]|[a-z]", title.lower())
    return [w for w in words if len(w) > 1 and w not in NOT_NOUNS]


def name_nouns(record: Mapping[str, Any]) -> list[str]:
    """The title nouns of a product or goal: its recorded `name_nouns`, else heuristic_nouns of its `name`."""
    nouns = record.get("name_nouns")
    if nouns is not None:
        return [str(n).lower() for n in nouns]
    return heuristic_nouns(str(record.get("name", "")))


# ---------------------------------------------------------------------------------------------------------------------
# the four terms
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TypeReward:
    r_type: float
    query_match: bool
    category_match: bool
    title_score: float


def get_type_reward(purchased: Mapping[str, Any], goal: Mapping[str, Any],
                    nouns: Callable[[Mapping[str, Any]], Sequence[str]] = name_nouns) -> TypeReward:
    """Whether the bought product is the goal's kind of product: same query, two shared category-path levels, or the
    share of the goal title's nouns found in the bought title (title_score; 0.2 when the goal title has none)."""
    query_match = purchased["query"] == goal["query"]
    bought_path = {x.strip() for x in purchased["product_category"].split("›")}
    goal_path = {x.strip() for x in goal["product_category"].split("›")}
    category_match = len(bought_path & goal_path) >= 2
    desired = list(nouns(goal))
    title_score = 0.2 if not desired else len(set(nouns(purchased)) & set(desired)) / len(desired)
    r_type = 1.0
    if not (query_match or category_match or title_score > 0.2):
        r_type = 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return TypeReward(r_type, query_match, category_match, title_score)


def get_attribute_reward(purchased: Mapping[str, Any], goal: Mapping[str, Any]) -> tuple[float, int]:
    """(share of goal attributes matched, number matched). Matching by token_set_ratio > 85 with the product's
    Attributes, else as a substring of the title, the joined bullet points or the description (lower-cased; the
    goal attribute itself is not lower-cased, as in the original)."""
    goal_attrs = list(goal["attributes"])
    matches = 0
    for g_attr in goal_attrs:
        if any(token_set_ratio(p_attr, g_attr) > FUZZY_THRESHOLD for p_attr in purchased["Attributes"]):
            matches += 1
        elif _in_text(g_attr, purchased):
            matches += 1
    return matches / len(goal_attrs), matches


def get_option_reward(purchased_options: Sequence[Any], goal_options: Sequence[Any]) -> tuple[float | None, int]:
    """master: (share of goal options matched or None when the goal has none, number matched); each goal option
    matches at most once, when token_set_ratio > 85 with a chosen option after normalize_color on both."""
    bought = [normalize_color(o) for o in purchased_options]
    wanted = [normalize_color(o) for o in goal_options]
    matches = sum(1 for g in wanted if any(token_set_ratio(p, g) > FUZZY_THRESHOLD for p in bought))
    return (matches / len(wanted) if wanted else None), matches


def get_option_reward_v2(purchased: Mapping[str, Any], goal_options: Sequence[str],
                         purchased_options: Mapping[str, str]) -> tuple[float | None, int]:
    """v2 branch: exact match for EXACT_MATCH_OPTIONS, token_set_ratio > 85 for the others (one count per chosen
    option), then each goal option not yet found counts when it is a substring of the product's text. Synonym
    look-ups of the original are left out (they query an online dictionary)."""
    bought = {str(k).lower(): str(normalize_color(v)).lower() for k, v in purchased_options.items()}
    wanted = [str(normalize_color(o)).lower() for o in goal_options]
    matches, found = 0, set()
    for name, value in bought.items():
        if name in EXACT_MATCH_OPTIONS:
            if value in wanted:
                matches += 1
                found.add(value)
            continue
        for g in wanted:
            if token_set_ratio(g, value) > FUZZY_THRESHOLD:
                matches += 1
                found.add(g)
                break
    if len(found) < len(wanted):
        matches += sum(1 for g in wanted if g not in found and _in_text(g, purchased))
    return (matches / len(wanted) if wanted else None), matches


def _in_text(needle: str, product: Mapping[str, Any]) -> bool:
    return (needle in product["Title"].lower() or needle in " ".join(product["BulletPoints"]).lower()
            or needle in product["Description"].lower())


# ---------------------------------------------------------------------------------------------------------------------
# the total
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reward:
    """The total and its terms, as the original's verbose=True reports them."""

    total: float
    r_type: float
    r_att: float
    num_attr_matches: int
    r_option: float | None
    num_option_matches: int
    r_price: bool
    query_match: bool
    category_match: bool
    title_score: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def get_reward(purchased: Mapping[str, Any], goal: Mapping[str, Any], price: float, options: Mapping[str, str], *,
               variant: RewardVariant = "master",
               nouns: Callable[[Mapping[str, Any]], Sequence[str]] = name_nouns) -> Reward:
    """WebShop's reward for buying `purchased` at `price` with the chosen `options` ({option name: value}) when the
    goal is `goal` (keys query, product_category, name, attributes, goal_options, price_upper)."""
    t = get_type_reward(purchased, goal, nouns)
    r_price = bool(price <= goal["price_upper"]) if goal["price_upper"] > 0 else False
    r_att, n_att = get_attribute_reward(purchased, goal)
    goal_options = goal["goal_options"]
    if variant == "master":
        # the original passes a dict's items (name, value) tuples; normalize_color and thefuzz accept them
        wanted: Iterable[Any] = goal_options.items() if isinstance(goal_options, Mapping) else goal_options
        r_option, n_opt = get_option_reward(list(options.values()), list(wanted))
    elif variant == "v2":
        values = list(goal_options.values()) if isinstance(goal_options, Mapping) else list(goal_options)
        r_option, n_opt = get_option_reward_v2(purchased, values, options)
    else:
        raise ValueError(f"reward variant must be 'master' or 'v2', got {variant!r}")
    total = (n_att + n_opt + r_price) / (len(goal["attributes"]) + len(goal_options) + 1) * t.r_type
    return Reward(total=total, r_type=t.r_type, r_att=r_att, num_attr_matches=n_att, r_option=r_option,
                  num_option_matches=n_opt, r_price=r_price, query_match=t.query_match,
                  category_match=t.category_match, title_score=t.title_score)
