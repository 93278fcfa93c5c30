"""The shop's pages and their state machine, shared by the text env, the site and (through the site) the browser env.

The page graph and action rules follow WebShop's SimServer/SimBrowser (web_agent_site/envs/web_agent_text_env.py):

    search page --search[...]--> results (10 per page of the top 50; "Next >", "< Prev" from page 2, "Back to Search")
    results --click[asin]--> item page (option radios, Description / Features / Reviews [/ Attributes], "Buy Now")
    item page --click[description|features|reviews|attributes]--> sub-page --click[< prev]--> item page
    item page --click[< prev]--> results (options cleared, as the original re-runs the search)
    anywhere --click[back to search]--> search page;  item page --click[buy now]--> done (reward; the episode ends)

`search[...]` is valid only where the search bar is (the search page); `click[x]` only when x is one of the current
page's clickables (button texts and asins lower-cased, option values as listed); anything else changes nothing and is
reported invalid. A page is a list of `Element`s; its text observation is WebShop's "simple" mode (the visible
strings joined by " [SEP] "), its rich one WebShop's `text_rich` markup, and the site renders the same elements as
HTML, so the text env, the site and the browser env show the same strings.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from agentgym.envs.webshop import reward as R
from agentgym.envs.webshop.catalogue import Catalogue
from agentgym.envs.webshop.search import SEARCH_RETURN_N

PRODUCT_WINDOW = 10
END_BUTTON, NEXT_PAGE, PREV_PAGE, BACK_TO_SEARCH = "Buy Now", "Next >", "< Prev", "Back to Search"
SUB_PAGES = ("Description", "Features", "Reviews", "Attributes")
SEP = " [SEP] "
SEARCH_TEMPLATE = "search[<your query>]"
"""How info["admissible_actions"] lists the search bar: replace <your query> with your own words."""
ACTION_RE = re.compile(r"(.+)\[(.+)\]")
"""WebShop's parse_action pattern (greedy, single line)."""

Kind = Literal["text", "button", "link", "option", "search"]
PageName = Literal["search", "results", "item", "sub", "done"]


@dataclass(frozen=True)
class Element:
    """One visible piece of a page. `key` is what click[...] names (None: not clickable)."""

    kind: Kind
    text: str
    key: str | None = None
    selected: bool = False
    """Options: the chosen value. Product links: an item visited this episode."""
    group: str | None = None
    """Options: the option name (the radio group)."""


def parse_action(action: str) -> tuple[str, str | None]:
    """(name, argument) as WebShop parses it: "click[buy now]" -> ("click", "buy now"); no brackets -> (text, None).
    Surrounding whitespace is stripped and the name lower-cased (the original compares it as written)."""
    action = action.strip()
    m = ACTION_RE.match(action)
    if m is None:
        return action.lower(), None
    return m.group(1).strip().lower(), m.group(2)


def render_text(elements: list[Element]) -> str:
    """WebShop's simple text observation: every visible string, joined by " [SEP] "."""
    return SEP.join(t for t in (e.text.strip() for e in elements) if t)


def render_text_rich(elements: list[Element]) -> str:
    """WebShop's text_rich observation: buttons as "[button] X [button_]", chosen options and visited items as
    "[clicked button] X [clicked button_]" (with "You have clicked X." first for each chosen option)."""
    out, clicked = "", []
    for e in elements:
        if not e.text.strip():
            continue
        if e.kind == "button":
            piece = f"[button] {e.text} [button_]"
        elif e.kind == "option":
            piece = f"  [clicked button] {e.text} [clicked button_]" if e.selected else f"  [button] {e.text} [button_]"
            if e.selected:
                clicked.append(e.text)
        elif e.kind == "link":
            tag = "clicked button" if e.selected else "button"
            piece = f"\n[{tag}] {e.text} [{tag}_]"
        else:
            piece = e.text
        out += piece + "\n"
    return "".join(f"You have clicked {t}.\n" for t in reversed(clicked)) + out


@dataclass(frozen=True)
class ActionCheck:
    valid: bool
    name: str = ""
    """"search" or "click" when valid."""
    arg: str = ""
    """The search words as typed, or the clickable's key (lower-cased)."""
    feedback: str = ""


def check_action(action: str, *, has_search_bar: bool, clickables: Collection[str], done: bool = False
                 ) -> ActionCheck:
    """Whether `action` can be done on a page with (or without) a search bar and these clickable keys, and why not.
    The text env checks against its page; the browser env against the live DOM; both give the same feedback."""
    if done:
        return ActionCheck(False, feedback="the purchase is done; nothing on this page can be clicked")
    name, arg = parse_action(action)
    if name == "search":
        if not has_search_bar:
            return ActionCheck(False, feedback="there is no search bar on this page (click[back to search] first)")
        if arg is None or not arg.strip():
            return ActionCheck(False, feedback="search needs keywords: search[your words]")
        return ActionCheck(True, "search", arg)
    if name == "click":
        key = (arg or "").lower()
        if arg is None or key not in clickables or key == "search":
            shown = ", ".join(sorted(k for k in set(clickables) if k != "search")) or "none"
            return ActionCheck(False, feedback=f"{arg!r} is not clickable here; the clickables are: {shown}")
        return ActionCheck(True, "click", key)
    return ActionCheck(False, feedback="actions are search[keywords] or click[a clickable on the page]")


@dataclass
class Session:
    """One shopper's state on the site: the goal, the current page and what was chosen."""

    catalogue: Catalogue
    goal_index: int
    show_attrs: bool = False
    """Show the Attributes sub-page button (WebShop's show_attrs, off by default as there)."""
    reward_variant: R.RewardVariant = "master"
    page: PageName = "search"
    keywords: list[str] = field(default_factory=list)
    page_num: int = 1
    results: list[str] = field(default_factory=list)
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    sub_page: str | None = None
    visited: set[str] = field(default_factory=set)
    reward: R.Reward | None = None
    _elements: list[Element] | None = None
    _clickables: dict[str, Element] | None = None
    _progress_cache: dict[tuple, float] = field(default_factory=dict)
    _page_cache: dict[tuple, list[Element]] = field(default_factory=dict)
    _text_cache: dict[tuple, tuple[list[Element], str]] = field(default_factory=dict)

    @property
    def goal(self) -> dict[str, Any]:
        return self.catalogue.goals[self.goal_index]

    @property
    def done(self) -> bool:
        return self.page == "done"

    # -- actions ------------------------------------------------------------------------------------------------------
    def act(self, action: str) -> tuple[bool, str]:
        """Apply one action. Returns (valid, feedback); an invalid action changes nothing."""
        check = check_action(action, has_search_bar=self.has_search_bar, clickables=self.clickables,
                             done=self.done)
        if not check.valid:
            return False, check.feedback
        if check.name == "search":
            self._search(check.arg.lower().split(" "), 1)
        else:
            self._click(check.arg, self.clickables[check.arg])
        return True, ""

    def _search(self, keywords: list[str], page_num: int) -> None:
        self.keywords = keywords
        self.page_num = page_num
        self.results = self.catalogue.search_engine.search(" ".join(keywords), SEARCH_RETURN_N)
        self.asin, self.options, self.sub_page = None, {}, None
        self._go("results")

    def _click(self, key: str, element: Element) -> None:
        if key == END_BUTTON.lower():
            self.reward = R.get_reward(self.catalogue.by_asin[self.asin], self.goal, self.catalogue.prices[self.asin],
                                       self.options, variant=self.reward_variant)
            self._go("done")
        elif key == BACK_TO_SEARCH.lower():
            self.keywords, self.results, self.asin, self.options, self.sub_page = [], [], None, {}, None
            self._go("search")
        elif key == NEXT_PAGE.lower() and self.page == "results":
            self._search(self.keywords, self.page_num + 1)
        elif key == PREV_PAGE.lower() and self.page == "results":
            self._search(self.keywords, self.page_num - 1)
        elif key == PREV_PAGE.lower() and self.page == "sub":
            self.sub_page = None
            self._go("item")
        elif key == PREV_PAGE.lower() and self.page == "item":
            self._search(self.keywords, self.page_num)
        elif key in {s.lower() for s in SUB_PAGES}:
            self.sub_page = next(s for s in SUB_PAGES if s.lower() == key)
            self._go("sub")
        elif element.kind == "link":
            self.asin = key.upper()
            self.visited.add(self.asin)
            self._go("item")
        elif element.kind == "option":
            self.options[element.group or ""] = key
            self._go("item")

    def _go(self, page: PageName) -> None:
        self.page = page
        self._elements = None
        self._clickables = None

    # -- what is shown ------------------------------------------------------------------------------------------------
    @property
    def has_search_bar(self) -> bool:
        return self.page == "search"

    @property
    def elements(self) -> list[Element]:
        if self._elements is None:
            # pages are revisited often (back and forth between an item and its sub-pages): build each once
            key = (self.page, self.page_num, self.asin, self.sub_page, tuple(self.options.items()), len(self.visited),
                   tuple(self.keywords))
            cached = self._page_cache.get(key)
            if cached is None:
                if len(self._page_cache) > 512:
                    self._page_cache.clear()
                cached = self._page_cache[key] = self._build()
            self._elements = cached
        return self._elements

    def _text_of(self, elements: list[Element], rich: bool) -> str:
        key = (id(elements), rich)
        text = self._text_cache.get(key)
        if text is None or text[0] is not elements:
            if len(self._text_cache) > 1024:
                self._text_cache.clear()
            text = self._text_cache[key] = (elements, render_text_rich(elements) if rich else render_text(elements))
        return text[1]

    @property
    def clickables(self) -> dict[str, Element]:
        """Clickable key -> element; later ones win on a clash, as in WebShop's text_to_clickable."""
        if self._clickables is None:
            self._clickables = {e.key: e for e in self.elements if e.key is not None}
        return self._clickables

    def admissible_actions(self) -> list[str]:
        actions = [SEARCH_TEMPLATE] if self.has_search_bar else []
        return actions + [f"click[{k}]" for k in self.clickables if k != "search"]

    def text(self) -> str:
        return self._text_of(self.elements, False)

    def text_rich(self) -> str:
        return self._text_of(self.elements, True)

    def progress(self) -> float:
        """The reward of buying the current item with the chosen options now; 0 off item pages; the reward once
        bought."""
        if self.done:
            return self.reward.total if self.reward else 0.0
        if self.asin is None or self.page not in ("item", "sub"):
            return 0.0
        key = (self.asin, tuple(sorted(self.options.items())))
        if key not in self._progress_cache:
            self._progress_cache[key] = R.get_reward(
                self.catalogue.by_asin[self.asin], self.goal, self.catalogue.prices[self.asin], self.options,
                variant=self.reward_variant).total
        return self._progress_cache[key]

    def _build(self) -> list[Element]:
        instruction = [Element("text", "Instruction:"), Element("text", self.goal["instruction_text"])]
        if self.page == "search":
            return [Element("text", "WebShop"), *instruction, Element("search", ""),
                    Element("button", "Search", "search")]
        if self.page == "done":
            total = self.reward.total if self.reward else 0.0
            return [Element("text", "Thank you for shopping with us!"),
                    Element("text", "Your score (min 0.0, max 1.0)"), Element("text", _score_text(total))]
        head = [*instruction, Element("button", BACK_TO_SEARCH, BACK_TO_SEARCH.lower())]
        if self.page == "results":
            els = head + [Element("text", f"Page {self.page_num} (Total results: {len(self.results)})")]
            if self.page_num > 1:
                els.append(Element("button", PREV_PAGE, PREV_PAGE.lower()))
            els.append(Element("button", NEXT_PAGE, NEXT_PAGE.lower()))
            window = self.results[(self.page_num - 1) * PRODUCT_WINDOW: self.page_num * PRODUCT_WINDOW]
            for asin in window:
                p = self.catalogue.by_asin[asin]
                els += [Element("link", asin, asin.lower(), selected=asin in self.visited),
                        Element("text", p["Title"]), Element("text", p["Price"])]
            return els
        product = self.catalogue.by_asin[self.asin]  # type: ignore[index]
        els = head + [Element("button", PREV_PAGE, PREV_PAGE.lower())]
        if self.page == "item":
            for name, values in product["options"].items():
                els.append(Element("text", name))
                els += [Element("option", v, v, selected=self.options.get(name) == v, group=name) for v in values]
            els += [Element("text", product["Title"]), Element("text", f"Price: {product['Price']}"),
                    Element("text", f"Rating: {product['Rating']}")]
            for sub in SUB_PAGES:
                if sub != "Attributes" or self.show_attrs:
                    els.append(Element("button", sub, sub.lower()))
            els.append(Element("button", END_BUTTON, END_BUTTON.lower()))
            return els
        if self.sub_page == "Description":
            els.append(Element("text", product["Description"]))
        elif self.sub_page == "Features":
            els += [Element("text", b) for b in product["BulletPoints"]]
        elif self.sub_page == "Reviews":
            for r in product["Reviews"]:
                els += [Element("text", f'"{r.get("title", "")}"'), Element("text", str(r.get("score", ""))),
                        Element("text", str(r.get("body", "")))]
        elif self.sub_page == "Attributes":
            els += [Element("text", a) for a in product["Attributes"]]
            els += [Element("text", product["category"]), Element("text", product["query"]),
                    Element("text", product["product_category"])]
        return els


def _score_text(total: float) -> str:
    return f"{total:.4f}".rstrip("0").rstrip(".") if total not in (0.0, 1.0) else f"{total:.1f}"
