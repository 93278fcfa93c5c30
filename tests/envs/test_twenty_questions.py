"""agentgym/TwentyQuestions-v0: the answerer, rewards, the oracle, splits and the gymnasium contract."""

from __future__ import annotations

import json
import random

import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import agentgym
from agentgym import testing
from agentgym.envs.text.twenty_questions.env import TwentyQuestionsEnv
from agentgym.envs.text.twenty_questions.oracle import canonical_questions
from agentgym.envs.text.twenty_questions.questions import DATA, load_table, parse_question

ENV_ID = "agentgym/TwentyQuestions-v0"
RAW = json.loads(DATA.read_text())


def count(pred) -> int:
    return sum(1 for o in RAW["objects"] if pred(o))


def test_table_is_well_formed():
    objects = RAW["objects"]
    assert 150 <= len(objects) <= 200 and len(RAW["categories"]) == 19
    signatures = {(o["category"], tuple(sorted(a for a, v in o["attributes"].items() if v))) for o in objects}
    assert len(signatures) == len(objects), "two objects share category and attributes: no question can split them"
    assert all(set(o["attributes"]) == set(RAW["attributes"]) for o in objects)
    assert len({o["name"] for o in objects}) == len(objects)


def test_hand_checked_episode():
    env = TwentyQuestionsEnv()
    obs, info = env.reset(options={"task": "twenty_questions/train/banana"})
    assert obs.endswith("You have 20 questions.") and info["answer"] == "banana" and info["progress"] == 0.0
    n = len(RAW["objects"])
    not_animal = count(lambda o: not o["attributes"]["animal"])
    edible_non_animal = count(lambda o: o["attributes"]["edible"] and not o["attributes"]["animal"])
    fruits = count(lambda o: o["category"] == "fruit")

    obs, r, term, trunc, info = env.step("Is it an animal?")
    assert (obs, r, term, info["candidates"]) == ("No. (19 questions left)", -1.0, False, not_animal)
    assert info["progress"] == pytest.approx((n - not_animal) / (n - 1))
    obs, r, term, trunc, info = env.step("Can you eat it?")
    assert (obs, r, info["candidates"]) == ("Yes. (18 questions left)", -1.0, edible_non_animal)
    obs, r, term, trunc, info = env.step("what is it")  # unreadable: a turn and a point, nothing learnt
    assert obs.startswith("I can only answer yes/no questions about") and obs.endswith("(17 questions left)")
    assert (r, info["valid_action"], info["candidates"]) == (-1.0, False, edible_non_animal)
    obs, r, term, trunc, info = env.step("Is it a kind of fruit?")
    assert (obs, info["candidates"]) == ("Yes. (16 questions left)", fruits)
    obs, r, term, trunc, info = env.step("guess: apple")  # wrong guess: -1, the game goes on
    assert (obs, r, term, trunc, info["candidates"]) == ("No, it is not an apple. (15 questions left)", -1.0, False,
                                                          False, fruits - 1)
    obs, r, term, trunc, info = env.step("Is it a banana?")
    assert (obs, r, term, trunc) == ("Yes! It is a banana.", 0.0, True, False)
    assert info["success"] is True and info["progress"] == 1.0 and info["terminated_reason"] == "task_end"


@pytest.mark.parametrize("question, banana, dog, car", [
    ("Is it an animal?", False, True, False), ("is it alive", False, True, False),
    ("Can you eat it?", True, False, False), ("Is it bigger than a breadbox?", False, False, True),
    ("Is it a kind of fruit?", True, False, False), ("Is it a fruit or a vegetable?", True, False, False),
    ("Is it small?", True, True, False), ("Is it made of metal?", False, False, True),
    ("Does it have wheels?", False, False, True), ("Is it a mammal?", False, True, False),
    ("Is it not an animal?", True, False, True), ("Can you eat it or not?", True, False, False),
    ("Is it a living plant?", False, False, False), ("Is it a plant?", True, False, False),
    ("IS IT YELLOW", True, False, False), ("Does it have four legs?", False, True, False),
    ("Is it a pet?", False, True, False), ("Is it a vehicle?", False, False, True),
    ("Is it a kind of sea creature?", False, False, False), ("Is it man-made?", False, False, True),
])
def test_answers_in_several_phrasings(question, banana, dog, car):
    table = load_table()
    q = parse_question(question)
    assert q is not None and q.guess is None
    assert [q.answer(table, table.names.index(o)) for o in ("banana", "dog", "car")] == [banana, dog, car]


@pytest.mark.parametrize("text, target", [
    ("Is it a banana?", "banana"), ("guess: banana", "banana"), ("My guess is bananas", "banana"),
    ("Is it an automobile?", "car"), ("Is it a pair of socks?", "sock"), ("is it the TV", "television"),
])
def test_guesses(text, target):
    table = load_table()
    q = parse_question(text)
    assert q is not None and q.guess == table.names.index(target)


def test_unknown_guesses_and_unreadable_questions():
    assert parse_question("Is it a spaceship?").unknown_guess == "spaceship"
    assert parse_question("guess: flying carpet").unknown_guess == "flying carpet"
    for text in ["", "hello", "what is it", "Tell me more", "\x00", "12345", "Is it a thing that I would like to know?"]:
        assert parse_question(text) is None, text


def test_every_canonical_question_asks_one_thing():
    for text, q in canonical_questions(load_table()):
        assert len(q.predicates) == 1 and not q.negated and not q.any_of and q.guess is None, (text, q)


def test_truncation_after_twenty_questions():
    env = TwentyQuestionsEnv()
    env.reset(options={"task": "twenty_questions/train/banana"})
    total = 0.0
    for i in range(20):
        obs, r, term, trunc, info = env.step("Is it an animal?")
        total += r
        assert term is False and trunc is (i == 19)
    assert total == -20.0 and info["terminated_reason"] == "turn_limit" and info["success"] is False


def test_splits_hold_out_objects():
    suite = TwentyQuestionsEnv.suite
    assert suite.overlaps() == []
    train = {t.answer for t in suite.split("train")}
    heldout = {t.answer for t in suite.split("heldout")}
    assert (len(train), len(heldout)) == (157, 38) and not train & heldout
    assert {t.family for t in suite.split("heldout")} == set(RAW["categories"])


def test_oracle_solves_every_object():
    env = TwentyQuestionsEnv()
    tasks = TwentyQuestionsEnv.suite.split("heldout") + TwentyQuestionsEnv.suite.split("train")
    worst = 0
    for task in tasks:
        env.reset(options={"task": task})
        total, turns = 0.0, 0
        while True:
            _, r, term, trunc, info = env.step(env.oracle_action())
            total += r
            turns += 1
            if term or trunc:
                break
        assert info["success"] and total == -(turns - 1), task.id
        worst = max(worst, turns)
    assert worst <= 12


def test_random_policy_rarely_succeeds():
    env = TwentyQuestionsEnv(split="heldout")
    rng = random.Random(0)
    wins = 0
    for task in TwentyQuestionsEnv.suite.split("heldout") * 3:
        _, info = env.reset(options={"task": task})
        while True:
            _, _, term, trunc, info = env.step(rng.choice(info["admissible_actions"]))
            if term or trunc:
                break
        wins += info["success"]
    # measured: 11/114 (0.096): 20 draws from 265 admissible actions, 195 of them guesses
    assert wins / 114 <= 0.15


def test_same_seed_same_episode():
    def episode(seed):
        env = TwentyQuestionsEnv()
        rng = random.Random(seed)
        obs, info = env.reset(seed=seed)
        out = [obs, info["task_id"]]
        for _ in range(20):
            obs, r, te, tr, info = env.step(rng.choice(info["admissible_actions"]))
            out.append((obs, r, te, tr, info["progress"]))
            if te or tr:
                break
        return out

    assert episode(3) == episode(3)
    assert episode(3) != episode(4)


def test_make_and_gymnasium_checker():
    env = agentgym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert info["task_id"].startswith("twenty_questions/train/") and info["answer"]
    gym_check_env(env.unwrapped, skip_render_check=True)


def test_agentgym_check_env():
    testing.check_env(lambda: TwentyQuestionsEnv())
