"""WebShop's reward (envs/webshop/reward.py): each term by hand, and the worked cases of WebShop's own
tests/web-agent-site/engine/test_goal.py and test_normalize.py (spaCy's noun tags given as explicit name_nouns)."""

from __future__ import annotations

import pytest

from agentgym.envs.webshop import reward as R


def _goal(**kw):
    g = {"query": "Query 1", "product_category": "a › b › c", "name": "goal title",
         "name_nouns": ["sneakers", "shoes", "basketball"], "attributes": ["tea tree", "essential oils",
                                                                          "natural ingredients"],
         "goal_options": {"color": "grey", "size": "XL"}, "price_upper": 40.0}
    g.update(kw)
    return g


def _product(**kw):
    p = {"query": "Query 1", "product_category": "a › b › c", "name": "bought title",
         "name_nouns": ["sneakers", "shoes", "basketball"], "Attributes": ["tea tree", "essential oil",
                                                                          "natural ingredients"],
         "Title": "", "BulletPoints": [], "Description": ""}
    p.update(kw)
    return p


# -- type ---------------------------------------------------------------------------------------------------------------
def test_type_reward_query_category_and_title_branches():
    g, p = _goal(), _product()
    t = R.get_type_reward(p, g)
    assert (t.r_type, t.query_match, t.category_match, t.title_score) == (1.0, True, True, 1.0)
    # category: two shared levels, in any order, duplicates counted once (test_goal.py's cases)
    for path, match in [("b › c › a", True), ("d › e › f", False), ("a › d › b", True), ("a › a › b", True),
                        ("a › a › d", False)]:
        assert R.get_type_reward(_product(product_category=path), g).category_match is match, path
    # title score = shared nouns / goal nouns; r_type 0.5 when query, category and title (> 0.2) all disagree
    other = dict(query="Query 2", product_category="a › d › e")
    assert R.get_type_reward(_product(name_nouns=["shoes"], **other), g).title_score == pytest.approx(1 / 3)
    assert R.get_type_reward(_product(name_nouns=["shoes"], **other), g).r_type == 1.0  # 1/3 > 0.2
    g7 = _goal(name_nouns=["cord", "power", "bar", "channel", "soundbar", "theater", "system"])
    t = R.get_type_reward(_product(name_nouns=["cord"], **other), g7)
    assert t.title_score == pytest.approx(1 / 7) and t.r_type == 0.5   # 0.1 <= 1/7 <= 0.2, nothing else agrees
    assert R.get_type_reward(_product(name_nouns=["cord"]), g7).r_type == 1.0  # the query agrees
    g11 = _goal(name_nouns=[f"n{i}" for i in range(11)])
    t = R.get_type_reward(_product(name_nouns=["n0"]), g11)
    assert t.title_score == pytest.approx(1 / 11) and t.r_type == 0.1   # < 0.1 overrides the query match
    t = R.get_type_reward(_product(name_nouns=["tweezers"]), g)
    assert t.title_score == 0.0 and t.r_type == 0.0
    # a goal title without nouns scores 0.2: r_type 1 with the query, else 0.5
    assert R.get_type_reward(_product(), _goal(name_nouns=[])).title_score == 0.2
    assert R.get_type_reward(_product(**other), _goal(name_nouns=[])).r_type == 0.5


def test_heuristic_nouns_stand_in_for_spacy():
    assert R.heuristic_nouns("Mens D.O.N. Issue 2 Gca Basketball Sneakers Shoes Casual - Off White") == [
        "mens", "d.o.n", "issue", "gca", "basketball", "sneakers", "shoes", "casual", "white"]
    assert R.heuristic_nouns("The Best New Shampoo for Women, 12 oz") == ["shampoo", "women"]
    assert R.name_nouns({"name": "Red Kettle"}) == ["red", "kettle"]
    assert R.name_nouns({"name": "ignored", "name_nouns": ["Kettle"]}) == ["kettle"]


# -- attributes ---------------------------------------------------------------------------------------------------------
def test_attribute_reward_worked_cases():
    g = _goal()
    assert R.get_attribute_reward(_product(), g) == (1.0, 3)  # "essential oil" ~ "essential oils" (ratio 96 > 85)
    assert R.get_attribute_reward(_product(Attributes=["essential oil", "natural ingredients"]), g) == (2 / 3, 2)
    text = _product(Attributes=[], BulletPoints=["This shampoo has essential oils and smells like lemons"],
                    Description="Best shampoo on the market, made with natural ingredients")
    assert R.get_attribute_reward(text, g) == (2 / 3, 2)  # substrings of the bullet points and description
    none = _product(Attributes=["tea bag", "earl gray", "lipton"], Title="English tea for breakfast",
                    BulletPoints=["Soothing aroma", "Calming, great feeling"],
                    Description="Best tea made by Lipton, great to pair with breakfast")
    assert R.get_attribute_reward(none, g) == (0.0, 0)
    assert R.get_attribute_reward(_product(Attributes=[], Title="Tea Tree Shampoo"), g) == (1 / 3, 1)  # title


def test_token_set_ratio_is_thefuzz():
    assert R.token_set_ratio("essential oil", "essential oils") == 96
    assert R.token_set_ratio("x small", "small") == 100  # a subset scores 100
    assert R.token_set_ratio("fl oz 8", "fl oz 12") < 85 < R.token_set_ratio("2 fl oz", "12 fl oz")


# -- options ------------------------------------------------------------------------------------------------------------
def test_option_reward_worked_cases():
    assert R.get_option_reward(["pack of 12", "grey", "XL"], ["grey", "XL", "pack of 12"]) == (1.0, 3)
    assert R.get_option_reward(["pack of 12", "blue", "XL"], ["grey", "XL", "pack of 12"]) == (2 / 3, 2)
    assert R.get_option_reward(["pack of 12", "powder snow", "XL"], ["cool powder snow", "XL", "pack of 12"]) == (
        1.0, 3)
    assert R.get_option_reward(["goal 1", "goal 2"], []) == (None, 0)
    assert R.get_option_reward([], ["goal 1", "goal 2"]) == (0.0, 0)
    # normalize_color: "navy blue" and "light blue" both become "blue", so they match
    assert R.get_option_reward(["light blue"], ["navy blue"]) == (1.0, 1)


def test_normalize_color_cases_of_the_original():
    for text, expected in [("", ""), ("black forest", "black"), ("violet lavender", "lavender"),
                           ("steelivy fuchsia", "fuchsia"), ("123alabaster", "alabaster"), ("webshop", "webshop")]:
        assert R.normalize_color(text) == expected


def test_option_reward_v2_exact_size_and_text_fallback():
    p = _product(Title="Kettle, 1.7 liter", BulletPoints=[], Description="")
    # master: "x-large" matches "large" fuzzily (subset); v2 matches size exactly
    assert R.get_option_reward(["x-large"], ["large"]) == (1.0, 1)
    assert R.get_option_reward_v2(p, ["large"], {"size": "x-large"}) == (0.0, 0)
    assert R.get_option_reward_v2(p, ["large"], {"size": "large"}) == (1.0, 1)
    # v2: an option not chosen counts when it is in the title
    assert R.get_option_reward_v2(p, ["1.7 liter", "red"], {"color": "red"}) == (1.0, 2)


# -- price and the total --------------------------------------------------------------------------------------------------
def test_price_term():
    g, p = _goal(goal_options=[]), _product()
    assert R.get_reward(p, g, 40.0, {}).r_price is True   # <= the bound
    assert R.get_reward(p, g, 40.01, {}).total == pytest.approx(3 / 4)  # 3 attributes + 0 options + price 0 of 4
    assert R.get_reward(p, _goal(goal_options=[], price_upper=0), 1.0, {}).r_price is False


def test_get_reward_worked_cases_of_the_original():
    g, p = _goal(), _product()
    chosen = {"color": "grey", "size": "XL"}
    assert R.get_reward(p, g, 35, chosen).total == 1.0
    p = _product(Attributes=[], BulletPoints="This shampoo has essential oils and smells like lemons",
                 Description="Best shampoo on the market, made with natural ingredients")
    # the original's test passes BulletPoints as a string, which " ".join spreads letter by letter: only the
    # description's "natural ingredients" matches -> (1 + 2 + 1) / (3 + 2 + 1)
    assert R.get_reward(p, g, 35, chosen).total == pytest.approx(4 / 6)
    g = _goal(goal_options={"color": "grey", "size": "XL", "amount": "pack of 12"})
    assert R.get_reward(p, g, 35, chosen).total == pytest.approx(4 / 7)           # 0.5714
    p2 = dict(p, query="Query 2", product_category="a › d › e", name_nouns=["cord"])
    g2 = dict(g, name_nouns=["cord", "power", "bar", "channel", "soundbar", "theater", "system"])
    r = R.get_reward(p2, g2, 35, chosen)
    assert r.r_type == 0.5 and r.total == pytest.approx(0.5 * 4 / 7)                # 0.2857
    assert r.num_attr_matches == 1 and r.num_option_matches == 2 and r.r_price is True
    with pytest.raises(ValueError, match="'master' or 'v2'"):
        R.get_reward(p, g, 35, chosen, variant="v3")  # type: ignore[arg-type]
