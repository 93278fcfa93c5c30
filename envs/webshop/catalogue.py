"""The shop's data: products and goals in the original's (loaded) schema, generated or read from WebShop's files.

A `Catalogue` holds products as WebShop's `load_products` leaves them (asin, category, query, product_category,
name, Title, Description, BulletPoints, Reviews, Rating, pricing, Price, options, Attributes, MainImage), the price
each one sells at (`prices`, as `generate_product_prices` draws it) and goals as `get_human_goals` makes them (asin,
category, query, name, product_category, instruction_text, attributes, price_upper, goal_options, weight), in the
order the goal split indexes.

`generate(n_products, seed)` builds the procedural catalogue, deterministically (CATALOGUE_VERSION names the
generator; the same version, size and seed give the same catalogue on every machine):

- Products come in families of FAMILY_SIZE: a target and 7 near-duplicates of the same type. Each distractor gets
  exactly one thing wrong for the family's goals: a goal attribute replaced by another of the type's attributes, an
  option axis that lacks every goal value (values that fuzzy-match a goal value are left out too), or a price above
  the goals' bound. Brands and title endings vary, so titles differ.
- Each family has GOALS_PER_FAMILY goals on its target: the same 2-3 attributes, different values of the first
  option axis, the same values of the others, and a price bound chosen as the original does (one of the four
  multiples of 10 above the price, the larger of two drawn).
- At least one goal attribute of every goal is written only in the bullet points or the description (the item's
  Features and Description sub-pages), never in the title.
- Generation checks every goal: its target scores 1 with the goal's options; every distractor, whatever options
  it is bought with, scores < 1 (an upper bound is checked: each goal option counted as matched when any value of
  any axis of the distractor matches it).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentgym.envs.webshop import reward as R
from agentgym.envs.webshop.vocab import (
    AXES, BRAND_SYLLABLES, GENERIC_BULLETS, HELDOUT_CATEGORY, INSTRUCTION_TEMPLATES, REVIEW_TEMPLATES, TYPES,
    ProductType,
)

CATALOGUE_VERSION = "1"
FAMILY_SIZE = 8
GOALS_PER_FAMILY = 3
SIZES = {"1k": 1000, "10k": 10_000}
"""Named catalogue sizes (products)."""

Product = dict[str, Any]
Goal = dict[str, Any]


@dataclass
class Catalogue:
    """Products, their selling prices and goals, plus the goal split (split name -> goal indices)."""

    name: str
    products: list[Product]
    prices: dict[str, float]
    goals: list[Goal]
    splits: dict[str, list[int]]
    train_splits: tuple[str, ...] = ("train",)
    by_asin: dict[str, Product] = field(init=False)

    def __post_init__(self) -> None:
        self.by_asin = {p["asin"]: p for p in self.products}

    @functools.cached_property
    def search_engine(self):
        from agentgym.envs.webshop.search import SearchEngine

        return SearchEngine(self.products)


# ---------------------------------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------------------------------
def price_upper_for(price: float, rng: random.Random) -> float:
    """The original's bound: two of the first four PRICE_RANGE values above the price drawn, the larger kept; 1e6
    when fewer than two lie above."""
    above = [p for p in R.PRICE_RANGE if p > price][:4]
    if len(above) < 2:
        return 1_000_000.0
    return sorted(rng.sample(above, 2))[1]


def _fuzzy_same(a: str, b: str) -> bool:
    return R.token_set_ratio(R.normalize_color(a), R.normalize_color(b)) > R.FUZZY_THRESHOLD


def _distinct_values(pool: Sequence[str], k: int, rng: random.Random) -> list[str] | None:
    """k values of `pool` no two of which fuzzy-match (so each goal's value is its own), or None."""
    order = list(pool)
    rng.shuffle(order)
    chosen: list[str] = []
    for v in order:
        if all(not _fuzzy_same(v, c) for c in chosen):
            chosen.append(v)
        if len(chosen) == k:
            return chosen
    return None


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.asins: set[str] = set()
        self.brands: list[str] = self._brands(400)

    def _brands(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            name = "".join(self.rng.choice(BRAND_SYLLABLES) for _ in range(self.rng.choice((2, 2, 3)))).capitalize()
            if name not in out and name.lower() not in R.NOT_NOUNS:
                out.append(name)
        return out

    def asin(self) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        while True:
            a = "B0" + "".join(self.rng.choice(alphabet) for _ in range(8))
            if a not in self.asins:
                self.asins.add(a)
                return a

    # -- one product --------------------------------------------------------------------------------------------------
    def product(self, t: ProductType, brand: str, attrs: Sequence[str], options: Mapping[str, list[str]],
                price: float, audience: str) -> Product:
        rng = self.rng
        title_attr = attrs[0]
        title = f"{brand} {title_attr.title()} {t.title}" + (f" {audience}" if audience else "")
        bullets = [f"{a.upper()}: this {t.query} comes with {a} for everyday use." for a in attrs[1:]]
        bullets.insert(0, f"{t.title} by {brand}, built for daily use and made to last.")
        bullets.append(rng.choice(GENERIC_BULLETS))
        described = attrs[-1]
        description = (f"Meet the {brand} {t.query}. Shoppers pick it for its {described}. "
                       f"Every {t.query} we make is checked by hand before it ships.")
        reviews = [{"title": title_r, "score": score, "body": body}
                   for score, title_r, body in rng.sample(REVIEW_TEMPLATES, rng.choice((2, 3)))]
        rating = round(sum(r["score"] for r in reviews) / len(reviews), 1)
        nouns = [brand.lower(), *t.nouns] + [w.lower() for w in audience.split()[1:]]
        return {
            "asin": self.asin(), "category": t.category, "query": t.query, "product_category": t.path,
            "name": title, "Title": title, "Description": description, "BulletPoints": bullets,
            "Reviews": reviews, "Rating": rating, "pricing": [price], "Price": f"${price:.2f}",
            "options": {k: list(v) for k, v in options.items()}, "option_to_image": {},
            "Attributes": list(attrs), "MainImage": "", "name_nouns": nouns, "type": t.key,
        }

    # -- one family ---------------------------------------------------------------------------------------------------
    def family(self, t: ProductType) -> tuple[list[Product], list[Goal]] | None:
        rng = self.rng
        n_attrs = rng.choice((3, 4))
        attrs = rng.sample(t.attributes, n_attrs)
        n_goal_attrs = rng.choice((2, 3)) if n_attrs == 4 else 2
        # goal attributes: always include one that is written only in the bullets/description (not attrs[0])
        goal_attrs = [attrs[1]] + rng.sample([attrs[0]] + attrs[2:], n_goal_attrs - 1)
        axes = list(t.axes)
        first_name, first_pool = AXES[axes[0]]
        goal_values = _distinct_values(first_pool, GOALS_PER_FAMILY, rng)
        if goal_values is None:
            return None
        target_options: dict[str, list[str]] = {}
        extra = [v for v in first_pool if v not in goal_values]
        target_options[first_name] = sorted(goal_values + rng.sample(extra, min(len(extra), rng.choice((0, 1, 2)))),
                                            key=first_pool.index)
        fixed: dict[str, str] = {}
        for key in axes[1:]:
            name, pool = AXES[key]
            values = sorted(rng.sample(pool, min(len(pool), rng.choice((2, 3, 4)))), key=pool.index)
            target_options[name] = values
            fixed[name] = rng.choice(values)
        lo, hi = t.price
        price = round(rng.uniform(lo, hi), 2)
        brand = rng.choice(self.brands)
        audience = rng.choice(t.audiences)
        target = self.product(t, brand, attrs, target_options, price, audience)
        goals = []
        bounds = [price_upper_for(price, rng) for _ in goal_values]
        for value, bound in zip(goal_values, bounds):
            options = [value] + [fixed[n] for n in target_options if n != first_name]
            goals.append(self.goal(t, target, goal_attrs, options, bound))

        distractors: list[Product] = []

        def near(new_attrs=None, new_options=None, new_price=None, same_brand=True):
            b = brand if same_brand else rng.choice(self.brands)
            aud = audience if same_brand else rng.choice(t.audiences)
            distractors.append(self.product(t, b, list(new_attrs or attrs), new_options or target_options,
                                            price if new_price is None else new_price, aud))

        unused = [a for a in t.attributes if a not in attrs]
        for g_attr in goal_attrs:  # one goal attribute replaced
            near(new_attrs=[rng.choice(unused) if a == g_attr else a for a in attrs])
        for name, wanted in [(first_name, goal_values)] + [(n, [v]) for n, v in fixed.items()]:
            pool = next(AXES[k][1] for k in axes if AXES[k][0] == name)
            others = [v for v in pool if not any(_fuzzy_same(v, w) for w in wanted)]
            if len(others) >= 2:  # an option axis without any goal value
                opts = dict(target_options)
                opts[name] = sorted(rng.sample(others, min(len(others), 3)), key=pool.index)
                near(new_options=opts)
        near(new_price=round(max(bounds) + rng.uniform(3, 40), 2))  # over the price bound
        while len(distractors) < FAMILY_SIZE - 1:  # another brand, one goal attribute wrong
            g_attr = rng.choice(goal_attrs)
            near(new_attrs=[rng.choice(unused) if a == g_attr else a for a in attrs], same_brand=False)
        distractors = distractors[:FAMILY_SIZE - 1]
        prices = {p["asin"]: p["pricing"][0] for p in [target, *distractors]}
        for g in goals:
            if _upper_bound(target, g, prices[target["asin"]], exact_options=g["goal_options"]) != 1.0:
                return None
            if any(_upper_bound(d, g, prices[d["asin"]]) >= 1.0 for d in distractors):
                return None
        return [target, *distractors], goals

    def goal(self, t: ProductType, target: Product, attrs: Sequence[str], options: Sequence[str],
             bound: float) -> Goal:
        rng = self.rng
        attr_text = attrs[0] if len(attrs) == 1 else ", ".join(attrs[:-1]) + " and " + attrs[-1]
        names = list(target["options"])
        parts = [f"{v} color" if names[i] == "color" else f"{v} {names[i][:-5]}" if names[i].endswith(" name")
                 else f"{names[i]} {v}" for i, v in enumerate(options)]
        option_text = (" in " + " and ".join(parts)) if parts else ""
        text = rng.choice(INSTRUCTION_TEMPLATES).format(attrs=attr_text, query=t.query, options=option_text)
        return {
            "asin": target["asin"], "category": t.category, "query": t.query, "name": target["name"],
            "product_category": t.path, "instruction_text": f"{text}, and price lower than {bound:.2f} dollars",
            "attributes": list(attrs), "price_upper": bound, "goal_options": list(options), "weight": 1,
            "name_nouns": list(target["name_nouns"]),
        }


def _upper_bound(product: Product, goal: Goal, price: float, exact_options: Sequence[str] | None = None) -> float:
    """The reward of buying `product` with `exact_options`, or, without them, an upper bound over every choice of
    options (a goal option counts when any value of any axis matches it)."""
    if exact_options is not None:
        names = list(product["options"])
        return R.get_reward(product, goal, price, dict(zip(names, exact_options))).total
    values = [v for vs in product["options"].values() for v in vs]
    t = R.get_type_reward(product, goal)
    _, n_att = R.get_attribute_reward(product, goal)
    n_opt = sum(1 for g in goal["goal_options"] if any(_fuzzy_same(v, g) for v in values))
    ok = price <= goal["price_upper"]
    return (n_att + n_opt + ok) / (len(goal["attributes"]) + len(goal["goal_options"]) + 1) * t.r_type


@functools.lru_cache(maxsize=4)
def generate(n_products: int = 1000, seed: int = 0) -> Catalogue:
    """The procedural catalogue: n_products (a multiple of FAMILY_SIZE) in families; goal splits `train`, `heldout`
    (goals of families never targeted in training, same categories) and `heldout_category` (every goal on the held-out
    category, garden)."""
    if n_products < FAMILY_SIZE or n_products % FAMILY_SIZE:
        raise ValueError(f"n_products must be a positive multiple of {FAMILY_SIZE}, got {n_products}")
    gen = _Generator(seed)
    products: list[Product] = []
    goals: list[Goal] = []
    family_of_goal: list[int] = []
    n_families = n_products // FAMILY_SIZE
    family = 0
    while family < n_families:
        t = TYPES[family % len(TYPES)]
        made = gen.family(t)
        if made is None:  # a draw that broke a check: draw this family again
            continue
        members, family_goals = made
        products += members
        goals += family_goals
        family_of_goal += [family] * len(family_goals)
        family += 1
    # the shop lists products in a shuffled order, as items_shuffle does
    gen.rng.shuffle(products)
    families = [f for f in range(n_families) if TYPES[f % len(TYPES)].category != HELDOUT_CATEGORY]
    gen.rng.shuffle(families)
    heldout_families = set(families[: len(families) // 5])
    splits: dict[str, list[int]] = {"train": [], "heldout": [], "heldout_category": []}
    for i, g in enumerate(goals):
        if g["category"] == HELDOUT_CATEGORY:
            splits["heldout_category"].append(i)
        elif family_of_goal[i] in heldout_families:
            splits["heldout"].append(i)
        else:
            splits["train"].append(i)
    prices = {p["asin"]: float(p["pricing"][0]) for p in products}
    return Catalogue(name=f"v{CATALOGUE_VERSION}-{n_products}-seed{seed}", products=products, prices=prices,
                     goals=goals, splits=splits)
