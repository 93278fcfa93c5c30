"""agentgym/WebShop-v0: catalogue, goals and splits, search, pages and actions, oracle, random policy, the loader for
WebShop's own files, and one `agentgym train` run."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import agentgym
from agentgym import testing
from agentgym.envs.webshop import catalogue as C
from agentgym.envs.webshop import original_data
from agentgym.envs.webshop.catalogue import _upper_bound
from agentgym.envs.webshop.env import WebShopEnv
from agentgym.envs.webshop.search import SearchEngine, document_text

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env() -> WebShopEnv:
    return WebShopEnv()


def play(env, task, choose):
    obs, info = env.reset(options={"task": task})
    while True:
        obs, r, term, trunc, info = env.step(choose(obs, info))
        if term or trunc:
            return r, info


# -- catalogue and goals ------------------------------------------------------------------------------------------------
def test_catalogue_sizes_splits_and_determinism():
    cat = C.generate(1000)
    assert (cat.name, len(cat.products), len(cat.goals)) == ("v1-1000-seed0", 1000, 375)
    assert {k: len(v) for k, v in cat.splits.items()} == {"train": 252, "heldout": 63, "heldout_category": 60}
    assert len({p["asin"] for p in cat.products}) == 1000
    again = C._Generator(0)  # a fresh generator from the same seed makes the same first family
    first = again.family(C.TYPES[0])
    assert first is not None and first[1][0]["instruction_text"] == cat.goals[0]["instruction_text"]
    assert C.generate(1000, seed=1).goals[0]["instruction_text"] != cat.goals[0]["instruction_text"]
    # held-out category: garden goals only there; its products are in the shop
    garden = {i for i, g in enumerate(cat.goals) if g["category"] == "garden"}
    assert garden == set(cat.splits["heldout_category"])
    assert not garden & (set(cat.splits["train"]) | set(cat.splits["heldout"]))
    assert sum(p["category"] == "garden" for p in cat.products) == 160
    # held-out goals target products no training goal targets
    train_targets = {cat.goals[i]["asin"] for i in cat.splits["train"]}
    assert not train_targets & {cat.goals[i]["asin"] for i in cat.splits["heldout"]}
    with pytest.raises(ValueError, match="multiple of 8"):
        C.generate(1001)


def test_goals_are_made_as_webshop_makes_them():
    cat = C.generate(1000)
    for g in cat.goals:
        price = cat.prices[g["asin"]]
        above = [p for p in C.R.PRICE_RANGE if p > price][:4]
        assert g["price_upper"] in above[1:], g  # the larger of two drawn from the first four
        assert g["instruction_text"].endswith(f", and price lower than {g['price_upper']:.2f} dollars")
        assert all(a in g["instruction_text"] for a in g["attributes"])
        assert 2 <= len(g["attributes"]) <= 3 and 1 <= len(g["goal_options"]) <= 2
        target = cat.by_asin[g["asin"]]
        # at least one goal attribute is only on the sub-pages (not in the title)
        assert any(a not in target["Title"].lower() for a in g["attributes"])
    g = cat.goals[0]
    assert g["instruction_text"] == ("i need hair growth and dry scalp shampoo in eucalyptus scent and size 2 fl oz, "
                                     "and price lower than 30.00 dollars")


def test_every_goal_has_near_duplicate_distractors_that_score_below_one():
    cat = C.generate(1000)
    for i in cat.splits["heldout"] + cat.splits["heldout_category"] + cat.splits["train"][::6]:
        g = cat.goals[i]
        target = cat.by_asin[g["asin"]]
        same_type = [p for p in cat.products if p["type"] == target["type"] and p["asin"] != g["asin"]]
        near = [p for p in same_type if sum(a not in p["Attributes"] for a in g["attributes"]) <= 1
                and _upper_bound(p, g, cat.prices[p["asin"]]) < 1.0
                and _upper_bound(p, g, cat.prices[p["asin"]]) >= (len(g["attributes"]) + len(g["goal_options"]))
                / (len(g["attributes"]) + len(g["goal_options"]) + 1) - 1e-9]
        assert len(near) >= 5, (g["instruction_text"], len(near))  # one thing wrong, everything else right
        names = list(target["options"])
        assert _upper_bound(target, g, cat.prices[g["asin"]], exact_options=g["goal_options"]) == 1.0
        assert names and len(g["goal_options"]) == len(names)


# -- search -------------------------------------------------------------------------------------------------------------
def test_search_indexes_webshops_document_fields():
    products = [
        {"asin": "A1", "Title": "Red Kettle", "Description": "boils water", "BulletPoints": ["steel body", "x"],
         "options": {"color": ["red", "blue"]}},
        {"asin": "A2", "Title": "Blue Teapot", "Description": "for tea", "BulletPoints": ["ceramic"], "options": {}},
        {"asin": "A3", "Title": "Mug", "Description": "a mug", "BulletPoints": ["x", "kettle in bullet two"],
         "options": {}},
    ]
    assert document_text(products[0]) == "red kettle boils water steel body color: red, blue"
    se = SearchEngine(products)
    assert se.search("kettle") == ["A1"]          # the second bullet is not indexed
    assert se.search("blue") == ["A2", "A1"]      # title beats option text (shorter document, lucene idf)
    assert se.search("steel kettles") == ["A1"]   # stemmed
    assert se.search("the of and") == [] and se.search("zzzz") == []


def test_search_returns_at_most_50_and_finds_the_goal_product(env):
    cat = env.catalogue
    hits = [cat.goals[i]["asin"] in cat.search_engine.search(cat.goals[i]["instruction_text"])
            for i in range(len(cat.goals))]
    assert len(cat.search_engine.search("shampoo for women")) == 50
    assert sum(hits) / len(hits) > 0.9  # the instruction itself finds the target in the top 50 almost always


# -- pages and actions ----------------------------------------------------------------------------------------------------
def test_page_graph_actions_and_rewards_by_hand(env):
    task = env.tasks("heldout")[0]
    goal = env.catalogue.goals[task.params["goal"]]
    assert goal["instruction_text"] == ("i need hair growth and dry scalp shampoo in eucalyptus scent and size 2 fl oz, "
                                        "and price lower than 30.00 dollars")
    obs, info = env.reset(options={"task": task})
    assert obs == f"WebShop [SEP] Instruction: [SEP] {goal['instruction_text']} [SEP] Search"
    assert info["admissible_actions"] == ["search[<your query>]"] and info["progress"] == 0.0
    obs, r, te, tr, info = env.step("click[search]")
    assert (info["valid_action"], r) == (False, 0.0) and obs.startswith("Invalid action: 'search' is not clickable")
    obs, r, te, tr, info = env.step("search[Visol keratin treatment shampoo]")
    assert info["valid_action"] and info["page"] == "results"
    assert obs.startswith(f"Instruction: [SEP] {goal['instruction_text']} [SEP] Back to Search [SEP] "
                          "Page 1 (Total results: 40) [SEP] Next > [SEP] ")  # the 40 shampoos
    assert "< Prev" not in obs and info["admissible_actions"][:2] == ["click[back to search]", "click[next >]"]
    target = goal["asin"].lower()
    assert f"click[{target}]" in info["admissible_actions"]
    obs, *_, info = env.step("search[again]")
    assert info["valid_action"] is False and "no search bar" in obs
    env.step("click[next >]")
    obs, *_, info = env.step("click[< prev]")
    assert "Page 1 (" in obs
    obs, r, te, tr, info = env.step(f"Click[{target.upper()}]")  # clickables are matched lower-cased, as in WebShop
    assert info["page"] == "item" and info["progress"] == pytest.approx(3 / 5)  # 2 attributes + price, no option
    assert ("scent name [SEP] unscented [SEP] citrus [SEP] eucalyptus [SEP] coconut [SEP] rose [SEP] size [SEP] "
            "2 fl oz [SEP] 4 fl oz [SEP] 12 fl oz [SEP] Visol Keratin Treatment Shampoo for Women [SEP] Price: $") in obs
    assert obs.endswith("Description [SEP] Features [SEP] Reviews [SEP] Buy Now")
    obs, *_ = env.step("click[features]")
    assert "DRY SCALP: this shampoo comes with dry scalp for everyday use." in obs  # only on the Features sub-page
    env.step("click[< prev]")
    assert env.step("click[citrus]")[4]["progress"] == pytest.approx(3 / 5)      # the wrong scent: no option yet
    assert env.step("click[eucalyptus]")[4]["progress"] == pytest.approx(4 / 5)  # replaces it
    # "4 fl oz" vs "2 fl oz": token_set_ratio 86 > 85, so WebShop's fuzzy option match accepts the wrong size
    assert env.step("click[4 fl oz]")[4]["progress"] == pytest.approx(5 / 5)
    env.step("click[2 fl oz]")
    obs, r, te, tr, info = env.step("click[buy now]")
    assert (r, te, tr, info["success"], info["score"]) == (1.0, True, False, True, 100.0)
    assert obs == "Thank you for shopping with us! [SEP] Your score (min 0.0, max 1.0) [SEP] 1.0"
    assert info["reward_info"]["num_attr_matches"] == 2 and info["reward_info"]["num_option_matches"] == 2


def test_text_rich_marks_buttons_and_chosen_options():
    env = WebShopEnv(observation_mode="text_rich", show_attrs=True)
    task = env.tasks("heldout")[0]
    env.reset(options={"task": task})
    asin = env.catalogue.goals[task.params["goal"]]["asin"]
    env.step(f"search[{env.catalogue.by_asin[asin]['Title']}]")
    obs, *_ = env.step(f"click[{asin.lower()}]")
    assert "[button] Buy Now [button_]" in obs and "[button] Attributes [button_]" in obs
    obs, *_ = env.step("click[eucalyptus]")
    assert obs.startswith("You have clicked eucalyptus.\n")
    assert "  [clicked button] eucalyptus [clicked button_]\n  [button] coconut [button_]" in obs
    obs, *_ = env.step("click[< prev]")
    assert f"\n[clicked button] {asin} [clicked button_]" in obs  # visited items are marked on the results


def test_invalid_actions_never_raise_and_leave_the_page(env):
    env.reset(seed=1)
    page = env.session.text()
    for a in ["", "buy", "click[]", "click[nothing]", "search[]", "search[   ]", "click[buy now]", "\x00", "x" * 5000,
              "search a", "[search]"]:
        obs, r, te, tr, info = env.step(a)
        assert (r, te, info["valid_action"]) == (0.0, False, False), a
        assert obs.endswith("\n" + page)


# -- oracle, random, contract -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", ["heldout", "heldout_category"])
def test_oracle_solves_every_heldout_goal(env, split):
    for task in env.tasks(split):
        r, info = play(env, task, lambda obs, info: env.oracle_action())
        assert r == 1.0 and info["success"] and info["turn"] <= 8, task.id


def test_oracle_solves_the_train_split_and_recovers_from_detours(env):
    rng = random.Random(0)
    for task in env.tasks("train")[::4]:
        obs, info = env.reset(options={"task": task})
        for _ in range(3):
            a = rng.choice(info["admissible_actions"]).replace("<your query>", "shampoo")
            obs, r, te, tr, info = env.step(a)
            if te:
                break
        if te:
            continue
        while True:
            obs, r, te, tr, info = env.step(env.oracle_action())
            if te or tr:
                break
        assert info["success"], task.id


def random_choice(rng, env):
    def choose(obs, info):  # uniform over the admissible actions; the search template searches the instruction
        a = rng.choice(info["admissible_actions"])
        return a.replace("<your query>", env.session.goal["instruction_text"])
    return choose


def test_random_policy_is_far_below_the_oracle(env):
    rng = random.Random(0)
    results = [play(env, t, random_choice(rng, env)) for t in env.tasks("heldout") + env.tasks("heldout_category")]
    success = sum(info["success"] for _, info in results) / len(results)
    score = 100 * sum(r for r, _ in results) / len(results)
    # measured: success 0/123, score 18.5 (47 of 123 episodes buy something within 15 turns; a random item of the
    # right type often earns partial credit), against the oracle's 123/123 and 100
    assert success <= 0.05 and score < 25, (success, score)


def test_check_env_and_registry():
    testing.check_env(lambda: WebShopEnv(), n_random_actions=500)
    env = agentgym.make("agentgym/WebShop-v0")
    obs, info = env.reset(seed=0)
    assert obs.startswith("WebShop [SEP] Instruction: [SEP] ")
    with pytest.raises(ValueError, match="observation_mode must be"):
        WebShopEnv(observation_mode="html")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="catalogue must be one of"):
        WebShopEnv(catalogue="huge")


# -- WebShop's own files --------------------------------------------------------------------------------------------------
def write_original_files(folder: Path, n_products: int = 40, per_product: int = 40) -> None:
    """Small files in the exact schema of items_shuffle_1000.json, items_ins_v2_1000.json, items_human_ins.json."""
    raw, attrs, human = [], {}, {}
    for i in range(n_products):
        asin = f"B{i:09d}"
        raw.append({
            "asin": asin, "name": f"Brand{i} Kettle Model {i}", "full_description": f"kettle number {i}",
            "small_description": [f"boils water fast {i}"] if i % 2 else f"single bullet {i}",
            "pricing": "$12.99" if i % 3 == 0 else ("$10.00 - $20.00" if i % 3 == 1 else ""),
            "images": [f"https://img/{i}.jpg"], "category": "home", "query": " Kettles ",
            "product_category": "Home & Kitchen › Kitchen › Kettles",
            "customization_options": {"Color": [{"value": "Red/Black ", "image": None}, {"value": "blue",
                                                                                        "image": "u"}],
                                      "Size": None},
            "brand": "dropped", "product_information": {}})
        attrs[asin] = {"attributes": ["stainless steel", f"feature {i}"], "instruction": "x",
                       "instruction_attributes": ["stainless steel"]}
        human[asin] = [{"asin": asin, "instruction": f"i want kettle {i} variant {j}.",
                        "instruction_attributes": [] if j == 0 else ["stainless steel"],
                        "instruction_options": ["red | black"], "assignment_id": "a", "worker_id": "w"}
                       for j in range(per_product)]
    raw.append(dict(raw[0]))  # a duplicate asin, dropped
    raw.append(dict(raw[1], asin="nan"))
    (folder / "items_shuffle_1000.json").write_text(json.dumps(raw))
    (folder / "items_ins_v2_1000.json").write_text(json.dumps(attrs))
    (folder / "items_human_ins.json").write_text(json.dumps(human))


def test_original_loader_schema_and_split(tmp_path):
    write_original_files(tmp_path)
    cat = original_data.load(tmp_path)
    assert len(cat.products) == 40 and len(cat.goals) == 40 * 39  # instructions without attributes are skipped
    p = cat.by_asin["B000000001"]
    assert p["options"] == {"color": ["red | black", "blue"]} and p["BulletPoints"] == ["boils water fast 1"]
    assert (p["pricing"], p["Price"]) == ([10.0, 20.0], "$10.0 to $20.0") and 10.0 <= cat.prices["B000000001"] <= 20
    assert cat.by_asin["B000000000"]["Price"] == "$12.99" and cat.by_asin["B000000002"]["Price"] == "$100.0"
    assert cat.by_asin["B000000000"]["BulletPoints"] == ["single bullet 0"] and p["query"] == "kettles"
    # the original split: after random.seed(233); random.shuffle(goals), 0-499 test, 500-1499 eval, 1500+ train
    unshuffled = original_data.human_goals(cat.products, json.loads((tmp_path / "items_human_ins.json").read_text()),
                                           cat.prices, random.Random(0))
    order = list(range(len(unshuffled)))
    random.seed(233)
    random.shuffle(order)
    assert [g["instruction_text"].split(",")[0] for g in cat.goals] == \
        [unshuffled[i]["instruction_text"].split(",")[0] for i in order]
    assert {k: (v[0], v[-1], len(v)) for k, v in cat.splits.items()} == {
        "heldout": (0, 499, 500), "eval": (500, 1499, 1000), "train": (1500, 1559, 60)}
    g = cat.goals[0]
    assert g["goal_options"] == ["red | black"] and g["attributes"] == ["stainless steel"]
    assert not g["instruction_text"].split(",")[0].endswith(".")


def test_original_data_env_plays_and_the_oracle_buys_the_goal(tmp_path):
    write_original_files(tmp_path)
    env = WebShopEnv(data_dir=str(tmp_path))
    assert env.suite.split_names == ["heldout", "eval", "train"]
    for task in env.tasks("heldout")[:20]:
        r, info = play(env, task, lambda obs, info: env.oracle_action())
        assert info["reward_info"]["num_attr_matches"] == 1 and info["reward_info"]["num_option_matches"] == 1
        assert info["success"], task.id
    with pytest.raises(FileNotFoundError, match="is not a folder; point it at"):
        WebShopEnv(data_dir=str(tmp_path / "missing"))


# -- training ----------------------------------------------------------------------------------------------------------------
def test_agentgym_train_runs_on_webshop(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "agentgym.cli.main", "train", "configs/webshop_grpo.toml",
           "--set", "run.steps=1", "--set", "run.save_every=1", "--set", "run.eval_every=0", "--set",
           "run.eval_tasks=1", "--set", "run.progress_bar=false", "--set", 'model.name="tiny"',
           "--set", "model.tiny_hidden_size=32", "--set", "model.tiny_num_layers=1", "--set",
           "model.tiny_corpus_episodes=2", "--set", "rollout.tasks_per_step=1", "--set", "rollout.group_size=2",
           "--set", "rollout.max_new_tokens=4", "--set", "env.max_turns=2", "--set", f'run.out_dir="{out}"']
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1] and rows[0]["rollout/episodes"] == 2.0
