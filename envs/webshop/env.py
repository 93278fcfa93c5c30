"""agentgym/WebShop-v0: WebShop in text mode, on a generated catalogue or on WebShop's own data files."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task
from agentgym.envs.webshop import oracle
from agentgym.envs.webshop.catalogue import Catalogue
from agentgym.envs.webshop.engine import SEARCH_TEMPLATE, Session
from agentgym.envs.webshop.reward import RewardVariant
from agentgym.envs.webshop.tasks import load_catalogue, suite_for

ObservationMode = Literal["text", "text_rich"]

SYSTEM_PROMPT = (
    "You are shopping on WebShop for what the instruction asks. Reply with exactly one action per turn: "
    "search[keywords] (only on the search page), or click[x] where x is a clickable on the page: a button "
    "(back to search, next >, < prev, description, features, reviews, buy now), a product id from the results, or "
    "an option value on the item page. click[buy now] buys the item with the chosen options and ends the episode."
)


def invalid_observation(feedback: str, page_text: str) -> str:
    """What an invalid action shows: the reason, then the unchanged page (the same in text and browser mode)."""
    return f"Invalid action: {feedback}.\n{page_text}"


class WebShopEnv(AgentEnv):
    """WebShop (Yao et al., 2022, princeton-nlp/WebShop) in text mode: find and buy the product an instruction asks
    for, in a shop of a thousand or more products searched with BM25.

    Task:
        An instruction such as "i need sulfate free and tea tree shampoo in lavender scent and size 8 fl oz, and
        price lower than 30.00 dollars": buy a product of that type with those attributes, those options and a price
        under the bound. Goals are made as WebShop makes them (goal.py get_human_goals: attributes, options and a
        price bound among the four multiples of 10 above the target's price). The generated catalogue (see
        catalogue.py; catalogue="1k": 1,000 products, 375 goals; "10k": 10,000 products, 3,750 goals) puts every
        goal's target among 7 near-duplicates that each get one thing wrong (an attribute, an option axis, or the
        price). Splits: train (252 goals on 1k), heldout (63: products never targeted in training) and
        heldout_category (60: the garden category, which no training goal targets). With data_dir, WebShop's own
        files and split: heldout = goals 0-499 after the seed-233 shuffle, eval = 500-1499, train = 1500+.

    Observation:
        Text, as WebShop's text env shows pages: observation_mode="text" joins the page's visible strings with
        " [SEP] " (e.g. "WebShop [SEP] Instruction: [SEP] i need ... [SEP] Search"); "text_rich" marks buttons as
        "[button] x [button_]" and chosen options / visited items as "[clicked button] x [clicked button_]". After an
        invalid action: "Invalid action: <why>.\\n" and the unchanged page. info["admissible_actions"] lists
        click[x] for every clickable and, on the search page, "search[<your query>]" (a template: put your
        words in place of <your query>); info["page"] names the page; info["reward_info"] (on buying) holds the
        reward's terms.

    Actions:
        search[keywords] where the search bar is (the search page only); click[x] with x a clickable of the current
        page (case-insensitive): "back to search", "next >", "< prev", a product's asin, an option value,
        "description", "features", "reviews" ("attributes" with show_attrs=True), "buy now". Anything else leaves the
        page unchanged, reward 0 and info["valid_action"] = False.

    Reward:
        0 until click[buy now]; then WebShop's get_reward (master), see reward.py: r_type * (matched attributes +
        matched options + [price <= bound]) / (goal attributes + goal options + 1). info["success"]: reward == 1.
        info["score"] = 100 x reward (WebShop's score). info["progress"]: the reward buying the current item with the
        chosen options would earn now (0 off item pages), for progress-based credit.

    Episode end:
        Terminated by click[buy now]. Truncated at max_turns (default 15, as verl-agent's WebShop runs).

    Arguments:
        catalogue: "1k" (default), "10k", or a product count (a multiple of 8): the generated catalogue's size.
        catalogue_seed: the generator's seed (default 0; the splits above are for seed 0).
        data_dir: a folder holding WebShop's items_shuffle*.json, items_ins_v2*.json and items_human_ins.json; the
            env then plays the original data (catalogue is ignored). num_products: keep only the first N products.
        observation_mode: "text" (default) or "text_rich".
        show_attrs: show the Attributes sub-page (default False, as WebShop).
        reward_variant: "master" (default: every published number) or "v2" (the unmerged v2 branch's option rule,
            without its online synonym look-ups).
        max_turns, split: as every AgentEnv.

    Dependencies:
        Extra `web` (bm25s, PyStemmer, thefuzz); no docker image, no browser (see WebShopBrowser-v0 for those).

    Departures from the original:
        - The catalogue is generated (WebShop's scraped one cannot be downloaded here); data_dir plays the original.
        - Title nouns for r_type come from the generator (or a documented heuristic on the original data) instead of
          spaCy's tagger (reward.py says how).
        - Search is bm25s with Lucene's BM25 (k1 0.9, b 0.4) and a Porter2 stemmer instead of pyserini's index.
        - Prices and price bounds of the original data are drawn from a seeded generator (the original's are
          unseeded); the done page shows only the score (the original also renders hidden goal details).
        - Action names are matched case-insensitively and stripped ("Search[...]" works); an invalid action
          prints why.

    Version history:
        v0: first version (catalogue v1).
    """

    default_max_turns = 15

    def __init__(self, *, catalogue: str | int = "1k", catalogue_seed: int = 0, data_dir: str | None = None,
                 num_products: int | None = None, observation_mode: ObservationMode = "text",
                 show_attrs: bool = False, reward_variant: RewardVariant = "master", max_turns: int | None = None,
                 split: str | None = None, render_mode: str | None = None):
        if observation_mode not in ("text", "text_rich"):
            raise ValueError(f"observation_mode must be 'text' or 'text_rich', got {observation_mode!r}")
        if reward_variant not in ("master", "v2"):
            raise ValueError(f"reward_variant must be 'master' or 'v2', got {reward_variant!r}")
        self.catalogue: Catalogue = load_catalogue(str(catalogue), catalogue_seed,
                                                   None if data_dir is None else str(data_dir), num_products)
        self.suite = suite_for(self.catalogue)
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.observation_mode = observation_mode
        self.show_attrs = show_attrs
        self.reward_variant = reward_variant
        self.session: Session | None = None
        self._title_search = False

    # -- hooks --------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        goal = int(task.params["goal"])
        if not 0 <= goal < len(self.catalogue.goals):
            raise ValueError(f"task {task.id!r} names goal {goal}, but catalogue {self.catalogue.name!r} has "
                             f"{len(self.catalogue.goals)} goals")
        self.session = Session(self.catalogue, goal, show_attrs=self.show_attrs, reward_variant=self.reward_variant)
        self._title_search = False
        return self._page_text()

    def _act(self, action: str) -> StepOutcome:
        s = self.session
        assert s is not None
        valid, feedback = s.act(action)
        obs = self._page_text() if valid else invalid_observation(feedback, self._page_text())
        reward, info = 0.0, {}
        if s.done and valid:
            assert s.reward is not None
            reward = s.reward.total
            info = {"reward_info": s.reward.as_dict(), "score": 100.0 * reward}
        return StepOutcome(observation=obs, reward=reward, terminated=s.done, valid_action=valid,
                           success=s.done and reward == 1.0, progress=s.progress(), info=info)

    def oracle_action(self) -> str:
        s = self.session
        if s is None:
            raise RuntimeError("call reset() before oracle_action()")
        if s.page == "results" and s.goal["asin"] not in s.results:
            self._title_search = True
        return oracle.next_action(s, self._title_search)

    def _extra_info(self) -> dict[str, Any]:
        s = self.session
        if s is None:
            return {}
        return {"admissible_actions": s.admissible_actions(), "page": s.page, "has_search_bar": s.has_search_bar}

    @property
    def system_prompt(self) -> str:
        return SYSTEM_PROMPT

    def _page_text(self) -> str:
        s = self.session
        assert s is not None
        return s.text() if self.observation_mode == "text" else s.text_rich()


__all__ = ["WebShopEnv", "SEARCH_TEMPLATE", "invalid_observation"]
