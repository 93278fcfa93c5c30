"""agentgym/Household-v0: suite, grammar, rewards/progress on a hand-checked episode, oracle, random baseline."""

from __future__ import annotations

import copy
import random

import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import agentgym
from agentgym import testing
from agentgym.envs.text.household import catalog
from agentgym.envs.text.household.env import HouseholdEnv
from agentgym.envs.text.household.tasks import build_layout, build_suite
from _env_helpers import assert_oracle_recovers_after_random_actions


@pytest.fixture
def env() -> HouseholdEnv:
    return HouseholdEnv()


def play_oracle(env: HouseholdEnv, task) -> dict:
    env.reset(options={"task": task})
    while True:
        action = env.oracle_action()
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info


# -- suite ------------------------------------------------------------------------------------------------------------
def test_suite_splits_are_disjoint_versioned_and_deterministic():
    suite = HouseholdEnv.suite
    assert (suite.name, suite.version) == ("household", "1")
    assert {s: len(suite.split(s)) for s in suite.split_names} == {"train": 1000, "heldout_seen": 100, "heldout": 100}
    assert suite.overlaps() == []
    train_layouts = {t.family for t in suite.split("train")}
    assert {t.family for t in suite.split("heldout_seen")} <= train_layouts  # in distribution
    assert not {t.family for t in suite.split("heldout")} & train_layouts  # unseen layouts
    assert {t.params["task_type"] for t in suite.split("train")} == set(catalog.TASK_TYPES)
    assert {t.params["room"] for t in suite.split("heldout")} == set(catalog.ROOM_TYPES)
    rebuilt = build_suite()
    assert [t.to_dict() for t in rebuilt] == [t.to_dict() for t in suite]


def test_layouts_are_fixed_per_id():
    assert build_layout("kitchen-5") == build_layout("kitchen-5")
    names = [s.name for s in build_layout("kitchen-5")]
    assert names[:3] == ["cabinet 1", "cabinet 2", "cabinet 3"]
    assert names.count("fridge 1") == 1 and names.count("microwave 1") == 1
    with pytest.raises(ValueError, match="layout id must be"):
        build_layout("garage-1")


# -- a hand-checked episode -------------------------------------------------------------------------------------------
def test_hand_checked_heat_episode_rewards_and_progress(env):
    obs, info = env.reset(options={"task": "household/heldout/00004"})
    assert obs.startswith("-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room.")
    assert obs.endswith("Your task is to: heat some potato and put it in countertop.")
    assert info["task_type"] == "pick_heat_then_place" and info["progress"] == 0.0
    assert info["admissible_actions"] == sorted(info["admissible_actions"])
    script = [
        ("take potato 1 from shelf 1", "Nothing happens.", False),  # not at the shelf yet
        ("go to shelf 1", "You arrive at shelf 1. On the shelf 1, you see a ladle 1, a lettuce 1, and a potato 1.",
         True),
        ("Take Potato 1 from Shelf 1.", "You pick up the potato 1 from the shelf 1.", True),
        ("go to microwave 1", "You arrive at microwave 1. The microwave 1 is closed.", True),
        ("open microwave 1", "You open the microwave 1. The microwave 1 is open. In it, you see nothing.", True),
        ("heat potato 1 with microwave 1", "You heat the potato 1 using the microwave 1.", True),
        ("examine potato 1", "The potato 1 is hot.", True),
        ("go to countertop 1", "You arrive at countertop 1. On the countertop 1, you see nothing.", True),
        ("put potato 1 in/on countertop 1", "You put the potato 1 in/on the countertop 1.", True),  # older grammar
    ]
    rewards, progress = [], []
    for action, expected_obs, valid in script:
        obs, reward, terminated, truncated, info = env.step(action)
        assert (obs, info["valid_action"]) == (expected_obs, valid), action
        rewards.append(reward)
        progress.append(round(info["progress"], 4))
    assert rewards == [0.0] * 8 + [1.0]
    assert progress == [0.0, 0.0, 0.3333, 0.3333, 0.3333, 0.6667, 0.6667, 0.6667, 1.0]
    assert terminated and not truncated and info["success"] and info["terminated_reason"] == "task_end"


def test_progress_is_latched_and_two_object_task_counts_both(env):
    task = next(t for t in env.suite.split("heldout") if t.params["task_type"] == "pick_two_obj_and_place")
    env.reset(options={"task": task})
    seen = []
    while True:
        action = env.oracle_action()
        _, reward, terminated, _, info = env.step(action)
        seen.append(round(info["progress"], 4))
        if action.startswith("take") and len(seen) < 4:
            # Putting the first object back down where it came from does not take progress back.
            src = action.rsplit(" from ", 1)[1]
            _, _, _, _, info = env.step(f"move {env.world.holding} to {src}")
            assert info["valid_action"] and round(info["progress"], 4) == 0.3333
        if terminated:
            break
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0.6667 in seen and reward == 1.0


def test_look_task_needs_lamp_on_while_holding(env):
    task = next(t for t in env.suite.split("heldout") if t.params["task_type"] == "look_at_obj_in_light")
    env.reset(options={"task": task})
    lamp = next(it for it in env.world.items.values() if it.is_lamp)
    env.step(f"go to {lamp.location}")
    _, reward, terminated, _, info = env.step(f"use {lamp.name}")  # lamp on, hands empty: not yet
    assert info["valid_action"] and reward == 0.0 and not terminated
    _, _, _, _, info = env.step(f"use {lamp.name}")
    assert lamp.on is False and info["progress"] == 0.0
    info = play_oracle(env, task)
    assert info["success"] and info["progress"] == 1.0


# -- the contract -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["", "   ", "dance", "take apple 99 from countertop 1", "go to moon 1",
                                    "move nothing to nowhere", "heat", "use", "\u00e9\u00e8 \x00", "x" * 5000])
def test_bad_actions_never_raise(env, action):
    env.reset(options={"task": "household/heldout/00004"})
    obs, reward, terminated, truncated, info = env.step(action)
    assert (obs, reward, terminated, truncated, info["valid_action"]) == ("Nothing happens.", 0.0, False, False, False)


def test_turn_limit_truncates(env):
    short = HouseholdEnv(max_turns=3)
    short.reset(options={"task": "household/train/00000"})
    outs = [short.step("look")[2:4] for _ in range(3)]
    assert outs == [(False, False), (False, False), (False, True)]


def test_admissible_actions_are_exactly_the_valid_ones(env):
    env.reset(options={"task": "household/heldout/00004"})
    rng = random.Random(1)
    for _ in range(25):
        admissible = env.world.admissible()
        for action in admissible:
            probe = copy.deepcopy(env)
            assert probe.step(action)[4]["valid_action"], action
        obs, _, terminated, _, _ = env.step(rng.choice(admissible))
        if terminated:
            break


def test_seeded_determinism():
    a, b = HouseholdEnv(split="heldout"), HouseholdEnv(split="heldout")
    for seed in (0, 7):
        obs_a, info_a = a.reset(seed=seed)
        obs_b, info_b = b.reset(seed=seed)
        assert (obs_a, info_a) == (obs_b, info_b)
        for action in info_a["admissible_actions"][:5]:
            assert a.step(action) == b.step(action)


def test_gymnasium_checker_and_make():
    gym_check_env(HouseholdEnv(), skip_render_check=True)
    env = agentgym.make("agentgym/Household-v0", split="heldout")
    assert isinstance(env.unwrapped, HouseholdEnv)
    gym_check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert info["task_id"].startswith("household/heldout/") and "Your task is to:" in obs


def test_agentgym_check_env():
    report = testing.check_env(HouseholdEnv())
    assert report.ok and report.warnings == []


# -- oracle and random baselines --------------------------------------------------------------------------------------
@pytest.mark.parametrize("split", ["heldout", "heldout_seen"])
def test_oracle_solves_every_heldout_task(env, split):
    failures = [t.id for t in env.suite.split(split) if not play_oracle(env, t)["success"]]
    assert failures == []


def test_oracle_solves_a_train_sample(env):
    tasks = env.suite.split("train")[::10]
    assert [t.id for t in tasks if not play_oracle(env, t)["success"]] == []


def test_oracle_recovers_after_random_actions(env):
    assert_oracle_recovers_after_random_actions(env, env.suite.split("heldout")[:30], random_steps=8)


def test_random_policy_rarely_succeeds_on_heldout(env):
    rng = random.Random(0)
    successes = 0
    tasks = env.suite.split("heldout")
    for task in tasks:
        _, info = env.reset(options={"task": task})
        terminated = truncated = False
        while not (terminated or truncated):
            _, _, terminated, truncated, info = env.step(rng.choice(info["admissible_actions"]))
        successes += info["success"]
    assert successes / len(tasks) <= 0.05, successes
