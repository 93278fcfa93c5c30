"""agentgym/TextAdventure-v0: rules, rewards, oracle, splits, determinism and the gymnasium contract."""

from __future__ import annotations

import random

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import agentgym
from agentgym import testing
from agentgym.core import Task
from agentgym.envs.text.adventure import env as env_module
from agentgym.envs.text.adventure import tasks as adventure_tasks
from agentgym.envs.text.adventure.env import TextAdventureEnv, world_for
from agentgym.envs.text.adventure.world import World, WorldParams, generate, parse

ENV_ID = "agentgym/TextAdventure-v0"


def play(env: TextAdventureEnv, task: Task, choose) -> tuple[float, dict, int]:
    obs, info = env.reset(options={"task": task})
    total, turns = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(choose(info))
        total += reward
        turns += 1
        if terminated or truncated:
            return total, info, turns


# ---------------------------------------------------------------------------------------------------------------------
# A hand-built world: every reward, observation and progress value checked by hand
# ---------------------------------------------------------------------------------------------------------------------
def _hand_world() -> World:
    # kitchen (room 0) --north, locked door 0--> cellar (room 1); red key on the kitchen floor; the coin in the
    # closed chest in the cellar. Quest: take the red key, unlock the door, open the chest, take the coin.
    return World(rooms=("kitchen", "cellar"), exits=((("north", 1, 0),), (("south", 0, 0),)), door_key=(0,),
                 objects=("red key", "coin"), containers=("chest",), container_room=(1,), start_room=0,
                 start_locs=(0, 2), start_locked=1, start_opened=0,
                 quest=(("take", 0), ("unlock", 0, 1), ("open", 0), ("take", 1)), family="chain/fetch",
                 object_index={"red key": 0, "coin": 1}, container_index={"chest": 0})


@pytest.fixture
def hand_env(monkeypatch):
    world = _hand_world()
    monkeypatch.setattr(env_module, "world_for", lambda task: world)
    env = TextAdventureEnv(level=None)
    task = Task(id="adventure/hand/0", split="hand", params={"max_turns": 10})
    return env, task


def test_hand_checked_episode(hand_env):
    env, task = hand_env
    obs, info = env.reset(options={"task": task})
    assert obs == ("Quest: take the red key, then unlock the door to the cellar, then open the chest, then take the "
                   "coin.\nKitchen. Exits: north (locked). You see: red key.")
    assert info["admissible_actions"] == ["inventory", "look", "take red key"]
    assert info["progress"] == 0.0 and info["success"] is False and info["valid_action"] is True

    steps = [  # action, reward, valid, progress, terminated, first line of the observation
        ("dance wildly", 0.0, False, 0.0, False, "I don't understand that."),
        ("go north", 0.0, False, 0.0, False, "The door to the north is locked."),
        ("unlock north door", 0.0, False, 0.0, False, "You need the red key to unlock it."),
        ("Take the red key.", 1.0, True, 0.25, False, "You take the red key. Subgoal done (1/4)."),
        ("inventory", 0.0, True, 0.25, False, "You carry: red key."),
        ("unlock north door", 1.0, True, 0.5, False, "You unlock the door to the north. Subgoal done (2/4)."),
        ("n", 0.0, True, 0.5, False, "You go north."),
        ("take coin", 0.0, False, 0.5, False, "There is no coin here to take."),
        ("open chest", 1.0, True, 0.75, False, "You open the chest. Inside: coin. Subgoal done (3/4)."),
        ("get coin from chest", 1.0, True, 1.0, True, "You take the coin. Quest complete!"),
    ]
    total = 0.0
    for action, reward, valid, progress, terminated, first_line in steps:
        obs, r, term, trunc, info = env.step(action)
        assert obs.split("\n")[0].startswith(first_line), (action, obs)
        assert (r, info["valid_action"], info["progress"], term, trunc) == (reward, valid, progress, terminated, False)
        total += r
    assert total == 4.0
    assert info["success"] is True and info["subgoals_done"] == 4 and info["terminated_reason"] == "task_end"
    assert obs == "You take the coin. Quest complete!\nCellar. Exits: south. You see: chest (open)."


def test_hand_world_oracle_plan_and_truncation(hand_env):
    env, task = hand_env
    env.reset(options={"task": task})
    plan = []
    while True:
        plan.append(env.oracle_action())
        _, _, term, trunc, info = env.step(plan[-1])
        if term or trunc:
            break
    assert plan == ["take red key", "unlock north door", "go north", "open chest", "take coin"]
    assert info["success"]

    env.reset(options={"task": task})  # the task's max_turns is 10: idling is truncation, never termination
    for _ in range(10):
        _, r, term, trunc, info = env.step("look")
    assert (r, term, trunc, info["success"], info["terminated_reason"]) == (0.0, False, True, False, "turn_limit")


def test_oracle_replans_after_the_agent_wanders(hand_env):
    env, task = hand_env
    env.reset(options={"task": task})
    assert env.oracle_action() == "take red key"
    env.step("take red key")
    env.step("drop red key")  # off the plan: the oracle must notice and take the key again
    assert env.oracle_action() == "take red key"


# ---------------------------------------------------------------------------------------------------------------------
# Parser and invalid actions
# ---------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("go north", ("go", "north")), ("N", ("go", "north")), ("Go to the east.", ("go", "east")),
    ("take the red key", ("take", "red key")), ("pick up the coin", ("take", "coin")),
    ("take coin from chest", ("take", "coin")), ("put coin into the box", ("put", "coin", "box")),
    ("unlock the north door with the red key", ("unlock", "north")), ("i", ("inventory",)), ("look", ("look",)),
    ("open chest\nthen take the coin", ("open", "chest")), ("", None), ("xyzzy", None), ("42", None),
])
def test_parse(text, expected):
    assert parse(text) == expected


def test_invalid_actions_never_raise():
    env = TextAdventureEnv(level="medium")
    env.reset(seed=3)
    for text in ["", "   ", "\x00\x01", "héllo wörld", "go up", "take", "put coin", "unlock", "open fridge",
                 "drop lamp", "close chest", "x" * 5000, "go north " * 50]:
        obs, reward, terminated, truncated, info = env.step(text)
        assert reward == 0.0 and info["valid_action"] is False and not terminated, text
        assert isinstance(obs, str) and obs
    with pytest.raises(TypeError, match="actions are text"):
        env.step(3)  # type: ignore[arg-type]


def test_admissible_actions_are_all_valid_and_sorted():
    env = TextAdventureEnv(level="hard")
    rng = random.Random(0)
    obs, info = env.reset(seed=11)
    for _ in range(200):
        acts = info["admissible_actions"]
        assert acts == sorted(acts) and len(set(acts)) == len(acts)
        obs, reward, terminated, truncated, info = env.step(rng.choice(acts))
        assert info["valid_action"] is True
        if terminated or truncated:
            obs, info = env.reset()


def test_list_actions_and_show_quest_flags():
    env = TextAdventureEnv(level="easy", list_actions=True, show_quest=True)
    obs, info = env.reset(seed=0)
    assert obs.split("\n")[-1] == "Actions: " + ", ".join(info["admissible_actions"])
    obs, *_ = env.step("inventory")
    lines = obs.split("\n")
    assert lines[2].startswith("Quest: ") and lines[3].startswith("Actions: ")


# ---------------------------------------------------------------------------------------------------------------------
# Suite, splits, oracle, random baseline
# ---------------------------------------------------------------------------------------------------------------------
def test_suite_splits_are_disjoint_and_heldout_has_unseen_families():
    suite = TextAdventureEnv.suite
    assert suite.overlaps() == []
    train, heldout = suite.split("train"), suite.split("heldout")
    assert (len(train), len(heldout)) == (1000, 180)
    assert max(t.seed for t in train) < 1_000_000 <= min(t.seed for t in heldout)
    train_families = {t.family for t in train}
    unseen = {t.family for t in heldout} - train_families
    assert {"ring/reach", "chain/return", "tree/return"} <= unseen
    assert not any(f.startswith("ring/") or f.endswith("/return") for f in train_families)
    # no held-out world is the same game as a training world (small easy worlds could coincide by chance)
    train_worlds = {world_for(t).fingerprint() for t in train}
    assert [t.id for t in heldout if world_for(t).fingerprint() in train_worlds] == []


def test_suite_is_deterministic():
    again = adventure_tasks.build_suite()
    assert [t.to_dict() for t in again] == [t.to_dict() for t in TextAdventureEnv.suite]
    t = TextAdventureEnv.suite.get("adventure/heldout/hard-0003")
    assert generate(t.seed, WorldParams.from_params(t.params)) == world_for(t)


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_oracle_solves_every_heldout_task_and_a_train_sample(level):
    env = TextAdventureEnv(level=level)
    tasks = adventure_tasks.tasks_for("heldout", level) + adventure_tasks.tasks_for("train", level)[::10]
    lo, hi = adventure_tasks.LEVELS[level]["subgoals"]
    for task in tasks:
        total, info, turns = play(env, task, lambda info: env.oracle_action())
        assert info["success"] and info["progress"] == 1.0, task.id
        assert lo <= info["subgoals_total"] <= hi and total == info["subgoals_total"], task.id
        assert turns <= task.params["max_turns"], task.id


def test_random_policy_rarely_succeeds_on_hard():
    env = TextAdventureEnv(level="hard")
    rng = random.Random(0)
    tasks = adventure_tasks.tasks_for("heldout", "hard")
    results = [play(env, t, lambda info: rng.choice(info["admissible_actions"]))[1] for t in tasks]
    success = sum(r["success"] for r in results) / len(results)
    progress = sum(r["progress"] for r in results) / len(results)
    # measured: success 1/60 (0.017), mean progress 0.34 (random admissible actions, 60 turns)
    assert success <= 0.05, success
    assert 0.0 < progress < 0.5, progress


def test_easy_level_is_short():
    env = TextAdventureEnv(level="easy")
    for task in adventure_tasks.tasks_for("train", "easy")[:100]:
        obs, info = env.reset(options={"task": task})
        w = env.world
        assert 2 <= len(w.rooms) <= 3 and 1 <= len(w.quest) <= 2 and len(w.objects) <= 3
        assert len(obs) <= 200, obs


# ---------------------------------------------------------------------------------------------------------------------
# Determinism, knobs, the gymnasium contract
# ---------------------------------------------------------------------------------------------------------------------
def _episode(seed: int) -> list:
    env = TextAdventureEnv(level="medium")
    rng = random.Random(seed)
    obs, info = env.reset(seed=seed)
    out = [obs, info["task_id"]]
    for _ in range(30):
        obs, r, te, tr, info = env.step(rng.choice(info["admissible_actions"]))
        out.append((obs, r, te, tr))
        if te or tr:
            break
    return out


def test_same_seed_same_episode():
    assert _episode(7) == _episode(7)
    assert _episode(7) != _episode(8)


def test_level_filter_and_task_max_turns():
    env = TextAdventureEnv(level="hard")
    for seed in range(5):
        _, info = env.reset(seed=seed)
        assert "/hard-" in info["task_id"] and env.max_turns == 60
    env = TextAdventureEnv(level="easy", max_turns=7)
    env.reset(seed=0)
    assert env.max_turns == 7
    with pytest.raises(ValueError, match="level must be one of"):
        TextAdventureEnv(level="expert")  # type: ignore[arg-type]


def test_custom_world_knobs():
    env = TextAdventureEnv(world={"rooms": 12, "locked_doors": 4, "containers": 4, "distractors": 6,
                                  "min_subgoals": 8, "max_subgoals": 12, "goal": "unlock", "max_turns": 80})
    obs, info = env.reset(seed=1)
    assert info["task_id"].startswith("adventure/custom/") and len(env.world.rooms) == 12
    assert 8 <= len(env.world.quest) <= 12 and env.max_turns == 80
    total = 0.0
    while True:
        _, r, te, tr, info = env.step(env.oracle_action())
        total += r
        if te or tr:
            break
    assert info["success"] and total == len(env.world.quest)
    with pytest.raises(ValueError, match="rooms must be in"):
        TextAdventureEnv(world={"rooms": 1})
    with pytest.raises(ValueError, match="unknown world knobs"):
        TextAdventureEnv(world={"room": 3})


def test_make_and_gymnasium_checker():
    env = agentgym.make(ENV_ID)
    obs, info = env.reset(seed=0)
    assert obs.startswith("Quest: ") and info["task_id"].startswith("adventure/train/easy-")
    obs, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
    assert info["valid_action"] is True
    gym_check_env(env.unwrapped, skip_render_check=True)
    assert isinstance(env.unwrapped, gym.Env)


def test_agentgym_check_env():
    testing.check_env(lambda: TextAdventureEnv(level="easy"))
