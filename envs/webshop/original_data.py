"""Loader for WebShop's own data files, with the original goal split.

Files (as setup.sh of princeton-nlp/WebShop downloads them into data/):

- `items_shuffle_1000.json` / `items_shuffle.json`: a JSON list of scraped products, each with asin, name,
  full_description, small_description (a list or a string), pricing ("$12.99", "$10.99 - $20.99" or empty),
  images (list of URLs), customization_options ({option name: [{"value": ..., "image": ...}] or null}), category,
  query and product_category; other keys are ignored.
- `items_ins_v2_1000.json` / `items_ins_v2.json`: {asin: {"attributes": [...], "instruction": ...,
  "instruction_attributes": [...]}}: each product's attributes (the reward matches against them) and, for
  synthetic goals, an instruction.
- `items_human_ins.json`: {asin: [{"asin", "instruction", "instruction_attributes": [...],
  "instruction_options": [...], ...}]}: the human instructions, i.e. WebShop's goals.

`load(data_dir)` reads them as web_agent_site/engine/engine.py `load_products` does (asins "nan" or longer than 10
characters dropped, duplicates dropped, option values stripped, "/" -> " | ", lower-cased, missing attributes ->
["DUMMY_ATTR"], query lower-cased) and makes goals as goal.py `get_human_goals` does (instructions without attributes
skipped; price bound from the product's price; ", and price lower than X dollars" appended), then shuffles them with
random.seed(233) as SimServer does. Splits by position after the shuffle: `heldout` = goals 0-499 (WebShop's test
set), `eval` = 500-1499, `train` = 1500 and on (verl-agent trains on 500+: use splits eval and train).

Departure: the original draws product prices in a price range and the price bounds from Python's unseeded global
random (so they change from run to run); here both come from random.Random(price_seed), in the same order.
Products have no reviews (the original's review file is not loaded either) and Rating "N.A.".
"""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from agentgym.envs.webshop.catalogue import Catalogue
from agentgym.envs.webshop.reward import PRICE_RANGE

GOAL_SHUFFLE_SEED = 233
SPLIT_BOUNDS = (500, 1500)
"""heldout = goals[:500], eval = goals[500:1500], train = goals[1500:] (after the seed-233 shuffle)."""

PRODUCT_FILES = ("items_shuffle_1000.json", "items_shuffle.json")
ATTRIBUTE_FILES = ("items_ins_v2_1000.json", "items_ins_v2.json")
HUMAN_FILE = "items_human_ins.json"


def _pick(data_dir: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (data_dir / name).is_file():
            return data_dir / name
    raise FileNotFoundError(f"no {what} file in {data_dir} (looked for {', '.join(names)}); point data_dir at the "
                            "folder that holds WebShop's data files")


def parse_pricing(pricing: Any) -> tuple[list[float], str]:
    """(pricing, Price tag) from the scraped price string, as load_products parses it."""
    if not pricing:
        return [100.0], "$100.0"
    values = [float(Decimal(re.sub(r"[^\d.]", "", part))) for part in str(pricing).split("$")[1:]]
    if len(values) == 1:
        return values, f"${values[0]}"
    return values[:2], f"${values[0]} to ${values[1]}"


def load_products(raw: list[dict[str, Any]], attributes: dict[str, Any],
                  num_products: int | None = None) -> list[dict[str, Any]]:
    if num_products is not None:
        raw = raw[:num_products]
    seen: set[str] = set()
    products = []
    for p in raw:
        asin = p["asin"]
        if asin == "nan" or len(asin) > 10 or asin in seen:
            continue
        seen.add(asin)
        pricing, price_tag = parse_pricing(p.get("pricing"))
        options: dict[str, list[str]] = {}
        option_to_image: dict[str, Any] = {}
        for name, contents in (p.get("customization_options") or {}).items():
            if contents is None:
                continue
            values = []
            for c in contents:
                value = c["value"].strip().replace("/", " | ").lower()
                values.append(value)
                option_to_image[value] = c.get("image")
            options[name.lower()] = values
        small = p.get("small_description")
        attrs = attributes.get(asin, {})
        images = p.get("images") or [""]
        products.append({
            "asin": asin, "category": p["category"], "query": p["query"].lower().strip(),
            "product_category": p["product_category"], "name": p["name"], "Title": p["name"],
            "Description": p.get("full_description") or "",
            "BulletPoints": small if isinstance(small, list) else [small or ""],
            "Reviews": [], "Rating": "N.A.", "pricing": pricing, "Price": price_tag, "options": options,
            "option_to_image": option_to_image,
            "Attributes": attrs["attributes"] if "attributes" in attrs else ["DUMMY_ATTR"],
            "MainImage": images[0],
        })
    return products


def product_prices(products: list[dict[str, Any]], rng: random.Random) -> dict[str, float]:
    """generate_product_prices: no pricing -> 100, one price -> it, a range -> uniform in it."""
    prices = {}
    for p in products:
        pricing = p["pricing"]
        prices[p["asin"]] = 100.0 if not pricing else pricing[0] if len(pricing) == 1 else rng.uniform(*pricing[:2])
    return prices


def human_goals(products: list[dict[str, Any]], human: dict[str, list[dict[str, Any]]],
                prices: dict[str, float], rng: random.Random) -> list[dict[str, Any]]:
    """get_human_goals: one goal per human instruction with attributes, in product order."""
    goals = []
    for item in products:
        for ins in human.get(item["asin"], []):
            attributes = ins["instruction_attributes"]
            if len(attributes) == 0:
                continue
            above = [p for p in PRICE_RANGE if p > prices[item["asin"]]][:4]
            if len(above) >= 2:
                _, price_upper = sorted(rng.sample(above, 2))
                price_text = f", and price lower than {price_upper:.2f} dollars"
            else:
                price_upper, price_text = 1000000, ""
            goals.append({
                "asin": item["asin"], "category": item["category"], "query": item["query"], "name": item["name"],
                "product_category": item["product_category"],
                "instruction_text": ins["instruction"].strip(".") + price_text, "attributes": attributes,
                "price_upper": price_upper, "goal_options": ins["instruction_options"], "weight": 1,
            })
    return goals


def load(data_dir: str | Path, *, num_products: int | None = None, price_seed: int = 0) -> Catalogue:
    """WebShop's data as a Catalogue, goals shuffled with seed 233 and split heldout / eval / train."""
    data_dir = Path(data_dir).expanduser()
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data_dir {str(data_dir)!r} is not a folder; point it at the folder that holds "
                                f"{PRODUCT_FILES[0]}, {ATTRIBUTE_FILES[0]} and {HUMAN_FILE}")
    raw = json.loads(_pick(data_dir, PRODUCT_FILES, "product").read_text(encoding="utf-8"))
    attributes = json.loads(_pick(data_dir, ATTRIBUTE_FILES, "attribute").read_text(encoding="utf-8"))
    human = json.loads(_pick(data_dir, (HUMAN_FILE,), "human instruction").read_text(encoding="utf-8"))
    products = load_products(raw, attributes, num_products)
    rng = random.Random(price_seed)
    prices = product_prices(products, rng)
    goals = human_goals(products, human, prices, rng)
    random.Random(GOAL_SHUFFLE_SEED).shuffle(goals)  # the same permutation as random.seed(233); random.shuffle(goals)
    a, b = SPLIT_BOUNDS
    n = len(goals)
    splits = {"heldout": list(range(0, min(a, n))), "eval": list(range(min(a, n), min(b, n))),
              "train": list(range(min(b, n), n))}
    name = f"original-{data_dir.name}-{len(products)}"
    return Catalogue(name=name, products=products, prices=prices, goals=goals, splits=splits)
