"""agentgym/TextWorld-v0: suite, game cache, hand-checked episode, oracle on every held-out game, contract checks.

Games are made once per test session into a temporary cache (~2 s each, two worker processes).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import textworld  # the dev extra installs it (scripts/setup.sh --dev): missing, this file fails rather than skips
from gymnasium.utils.env_checker import check_env as gym_check_env

import agentgym
from agentgym import testing
from agentgym.envs.textworld import games
from agentgym.envs.textworld.env import TextWorldEnv, clean_feedback, sanitize_command
from agentgym.envs.textworld.tasks import SETTINGS, build_suite
from _env_helpers import assert_oracle_recovers_after_random_actions

SUITE = build_suite()
HELDOUT = SUITE.split("heldout") + SUITE.split("heldout_hard")
TRAIN_SAMPLE = SUITE.split("train")[:3]  # check_env plays the first 3 of every split


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("textworld_games")
    games.generate_games(HELDOUT + TRAIN_SAMPLE, folder, workers=2)
    return folder


@pytest.fixture
def env(cache_dir):
    e = TextWorldEnv(cache_dir=cache_dir, split="heldout")
    yield e
    e.close()


def play_oracle(env, task):
    _, info = env.reset(options={"task": task})
    rewards = []
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        rewards.append(reward)
        if terminated or truncated:
            return rewards, info


# -- suite and cache --------------------------------------------------------------------------------------------------
def test_suite_splits_are_disjoint_and_versioned():
    assert (SUITE.name, SUITE.version) == ("textworld", "1")
    assert {s: len(SUITE.split(s)) for s in SUITE.split_names} == {"train": 1000, "heldout": 6, "heldout_hard": 3}
    assert SUITE.overlaps() == []
    train_seeds = {t.seed for t in SUITE.split("train")}
    assert not train_seeds & {t.seed for t in HELDOUT}
    assert {t.params["level"] for t in SUITE.split("heldout_hard")} == {"hard"}
    assert SETTINGS["hard"]["quest_length"] > max(SETTINGS[lv]["quest_length"] for lv in ("easy", "medium"))


def test_games_are_cached_and_deterministic(cache_dir, monkeypatch):
    task = HELDOUT[0]
    path = games.ensure_game(task, cache_dir)
    assert path.name == f"tw{textworld.__version__}-easy-w2-o4-q2-s100001.z8"
    mtime = path.stat().st_mtime_ns
    assert games.ensure_game(task, cache_dir) == path and path.stat().st_mtime_ns == mtime  # not made again
    assert games.make_game(task).serialize() == games.make_game(task).serialize()
    monkeypatch.setenv("AGENTGYM_CACHE", "/some/root")
    assert str(games.resolve_cache_dir()) == "/some/root/textworld"
    assert games.resolve_cache_dir("/x") == Path("/x")


def test_missing_textworld_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "textworld", None)  # makes `import textworld` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'agentgym\[textworld\]'"):
        TextWorldEnv()


# -- a hand-checked episode -------------------------------------------------------------------------------------------
def test_hand_checked_episode(env):
    obs, info = env.reset(options={"task": "textworld/heldout/100001"})
    assert obs.startswith("It's time to explore the amazing world of TextWorld!")
    assert "$$" not in obs and not obs.rstrip().endswith("0/1")  # title art and status line removed
    assert (info["score"], info["max_score"], info["progress"], info["quest_steps_left"]) == (0, 1, 0.0, 2)
    assert info["admissible_actions"] == sorted(info["admissible_actions"]) and "go south" in info["admissible_actions"]
    steps = [env.step(a) for a in ["dance", "quit", "", "go south", "lock type U chest with type U latchkey"]]
    observations = [s[0] for s in steps]
    assert observations[:3] == ["That's not a verb I recognise.", "That command is not available here.",
                                "I beg your pardon?"]
    assert observations[3].startswith("-= Closet =-")
    assert observations[4].startswith("You lock the type U chest.\n\nYour score has just gone up by one point.")
    assert "RESTART" not in observations[4]
    assert [s[1] for s in steps] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert [s[4]["valid_action"] for s in steps] == [False, False, False, True, True]
    assert [s[4]["progress"] for s in steps] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert [s[4]["quest_steps_left"] for s in steps] == [2, 2, 2, 1, 0]
    assert [(s[2], s[3]) for s in steps] == [(False, False)] * 4 + [(True, False)]
    assert steps[-1][4]["success"] is True


def test_lost_game_terminates_without_success(env):
    env.reset(options={"task": "textworld/heldout/100001"})
    lost = SimpleNamespace(feedback="You lost!", score=0, max_score=1, won=False, lost=True, admissible_commands=[],
                           policy_commands=[], objective="", moves=1)
    env._game = SimpleNamespace(step=lambda cmd: (lost, 0, True), close=lambda: None)
    _, reward, terminated, truncated, info = env.step("eat carrot")
    assert (reward, terminated, truncated, info["success"]) == (0.0, True, False, False)


# -- the contract -----------------------------------------------------------------------------------------------------
def test_text_cleaning_helpers():
    assert sanitize_command("  take key\ngo north") == "take key"
    assert sanitize_command("g.look") == "g" and sanitize_command("Open chest. ") == "Open chest"
    assert sanitize_command("look then go north") == "look" and sanitize_command("\\n look") == "n look"
    assert sanitize_command("caf\u00e9 \x00x" + "y" * 500) == "caf x" + "y" * 175
    assert clean_feedback("\nYou can't go that way.\n\n>      -= Room =-0/1") == "You can't go that way."


@pytest.mark.parametrize("action", ["", "\n\n", "x" * 5000, "\u00e9\u00e8", "restart", "undo", "take all"])
def test_bad_actions_never_raise(env, action):
    env.reset(options={"task": "textworld/heldout/100002"})
    obs, reward, terminated, truncated, info = env.step(action)
    assert isinstance(obs, str) and obs and reward == 0.0 and not terminated and info["valid_action"] is False


def test_turn_limit_truncates(cache_dir):
    short = TextWorldEnv(cache_dir=cache_dir, max_turns=2, split="heldout")
    short.reset(options={"task": "textworld/heldout/100002"})
    assert [short.step("look")[2:4] for _ in range(2)] == [(False, False), (False, True)]
    short.close()


def test_gymnasium_checker_make_and_seeded_reset(cache_dir):
    env = TextWorldEnv(cache_dir=cache_dir, split="heldout")
    gym_check_env(env, skip_render_check=True)
    made = agentgym.make("agentgym/TextWorld-v0", cache_dir=str(cache_dir), split="heldout_hard")
    assert isinstance(made.unwrapped, TextWorldEnv)
    a = made.reset(seed=5)
    b = made.reset(seed=5)
    assert a == b and a[1]["task_id"].startswith("textworld/heldout_hard/")
    made.close()
    env.close()


def test_agentgym_check_env(cache_dir):
    report = testing.check_env(TextWorldEnv(cache_dir=cache_dir, split="heldout"))
    assert report.ok and report.warnings == []


# -- oracle -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", HELDOUT + TRAIN_SAMPLE, ids=lambda t: t.id)
def test_oracle_solves_every_heldout_task_and_a_train_sample(env, task):
    rewards, info = play_oracle(env, task)
    assert info["success"] and info["progress"] == 1.0 and sum(rewards) == info["max_score"]
    assert len(rewards) == len(games.make_game(task).walkthrough)  # the policy is as short as the walkthrough


def test_oracle_recovers_after_random_actions(env):
    assert_oracle_recovers_after_random_actions(env, HELDOUT, random_steps=6)


def test_envs_in_threads_load_and_play_concurrently(cache_dir):
    # The rollout engine steps envs from a thread pool; textworld's parser is not thread-safe (games.TEXTWORLD_LOCK).
    from concurrent.futures import ThreadPoolExecutor

    def solve(task):
        e = TextWorldEnv(cache_dir=cache_dir)
        try:
            return play_oracle(e, task)[1]["success"]
        finally:
            e.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(solve, HELDOUT * 2)) == [True] * (2 * len(HELDOUT))
