"""The WebShop expert: it reads the true goal and the session, and acts as a careful shopper would.

Search with the instruction; page through the results to the goal's product (if the top 50 do not hold it, go back
and search its exact title); open it; pick, for every goal option, the product's option value that matches it (the
same value, else the best token-set match after normalize_color); buy. From any other page it walks back (sub-page
-> item page, a wrong item -> results). It plans from the current state, so it recovers after any detour.
"""

from __future__ import annotations

from agentgym.envs.webshop import reward as R
from agentgym.envs.webshop.engine import BACK_TO_SEARCH, END_BUTTON, NEXT_PAGE, PREV_PAGE, PRODUCT_WINDOW, Session


def option_choices(product: dict, goal_options) -> dict[str, str]:
    """{option name: value} that best matches each goal option (each option name used once)."""
    wanted = list(goal_options.values()) if isinstance(goal_options, dict) else list(goal_options)
    chosen: dict[str, str] = {}
    for g in wanted:
        best, best_score = None, -1
        for name, values in product["options"].items():
            if name in chosen:
                continue
            for v in values:
                score = 101 if v == str(g).lower() else R.token_set_ratio(R.normalize_color(v), R.normalize_color(g))
                if score > best_score:
                    best, best_score = (name, v), score
        if best is not None and best_score > R.FUZZY_THRESHOLD:
            chosen[best[0]] = best[1]
    return chosen


def next_action(s: Session, searched_title: bool) -> str:
    goal = s.goal
    target = goal["asin"]
    if s.page == "search":
        product = s.catalogue.by_asin.get(target)
        words = product["Title"] if searched_title and product else goal["instruction_text"]
        return f"search[{words}]"
    if s.page == "results":
        if target not in s.results:
            return f"click[{BACK_TO_SEARCH.lower()}]"
        want_page = s.results.index(target) // PRODUCT_WINDOW + 1
        if want_page == s.page_num:
            return f"click[{target.lower()}]"
        return f"click[{NEXT_PAGE.lower()}]" if want_page > s.page_num else f"click[{PREV_PAGE.lower()}]"
    if s.page == "sub":
        return f"click[{PREV_PAGE.lower()}]"
    if s.page == "item":
        if s.asin != target:
            return f"click[{PREV_PAGE.lower()}]"
        for name, value in option_choices(s.catalogue.by_asin[target], goal["goal_options"]).items():
            if s.options.get(name) != value:
                return f"click[{value}]"
        return f"click[{END_BUTTON.lower()}]"
    return f"click[{END_BUTTON.lower()}]"  # done: nothing left to do
