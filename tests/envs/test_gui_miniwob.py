"""agentgym/MiniWoB-<task>-v0 on MiniWoB++'s own pages in the real Chromium: protocol, reward, oracles, processes."""

from __future__ import annotations

import os
import random
import signal

import psutil
import pytest

import agentgym
from agentgym import testing
from agentgym.envs.gui.browser import BrowserCrashed
from agentgym.envs.gui.miniwob.actions import Action, parse_action
from agentgym.envs.gui.miniwob.env import MiniWoBEnv
from agentgym.envs.gui.miniwob.tasks import TASKS


def _oracle_episode(env, task):
    obs, info = env.reset(options={"task": task})
    total, turns = 0.0, 0
    while True:
        obs, r, term, trunc, info = env.step(env.oracle_action())
        total, turns = total + r, turns + 1
        if term or trunc:
            return total, info, turns


@pytest.mark.parametrize("text, expected", [
    ("click[3]", Action("click", target=3)), ("  CLICK [ 12 ] ", Action("click", target=12)),
    ("type[2][Hello, world]", Action("type", target=2, text="Hello, world")),
    ("select[5][New Zealand]", Action("select", target=5, text="New Zealand")),
    ("click(10.5, 20)", Action("point", x=10.5, y=20.0)), ("scroll[down]", Action("scroll", text="down")),
    ("key[Enter]", Action("key", text="Enter")), ("I will click[4]", None), ("thinking\nclick[4]", Action("click", target=4)),
    ("click[x]", None), ("", None), ("key[rm -rf]", None),
])
def test_parse_action(text, expected):
    assert parse_action(text) == expected


def test_shipped_tasks_are_registered():
    assert len(TASKS) >= 20
    registered = {e for e in agentgym.list_envs() if e.startswith("agentgym/MiniWoB-")}
    assert registered == {f"agentgym/MiniWoB-{t}-v0" for t in TASKS}


def test_page_protocol_reward_and_wrong_answer():
    env = MiniWoBEnv(task="click-button")
    try:
        task = env.suite.split("heldout")[0]
        obs, info = env.reset(options={"task": task})
        assert obs["images"][0].shape == (420, 320, 3)
        assert obs["text"].startswith('Task: Click on the "') and "\nElements:\n[1] " in obs["text"]
        right = env.oracle_action()
        buttons = [a for a in info["admissible_actions"] if a != right and "button" in
                   next(line for line in obs["text"].splitlines() if line.startswith(f"[{a[6:-1]}]"))]
        again, _ = env.reset(options={"task": task})  # same seed, same problem, same pixels
        assert again["text"] == obs["text"] and (again["images"][0] == obs["images"][0]).all()
        _, r, term, trunc, info = env.step("dance")
        assert (r, term, info["valid_action"]) == (0.0, False, False)
        _, r, term, trunc, info = env.step("click[999]")
        assert (r, term, info["valid_action"]) == (0.0, False, False)
        if buttons:  # a wrong button: the page ends the episode with raw reward -1
            _, r, term, _, info = env.step(buttons[0])
            assert (r, term, info["success"], info["raw_reward"]) == (0.0, True, False, -1.0)
        env.reset(options={"task": task})
        _, r, term, _, info = env.step(right)
        assert (r, term, info["success"], info["progress"]) == (1.0, True, True, 1.0)
        assert 0 < info["raw_reward"] <= 1.0
    finally:
        env.close()


SAMPLE = ("click-checkboxes", "login-user", "choose-list", "use-autocomplete-nodelay", "click-tab-2", "click-color")


@pytest.mark.parametrize("name", SAMPLE)
def test_oracle_solves_a_heldout_sample(name):
    env = MiniWoBEnv(task=name, observation="text")
    try:
        for task in env.suite.split("heldout")[:1]:  # all 20 seeds of every task: the slow test below
            total, info, turns = _oracle_episode(env, task)
            assert info["success"] and total == 1.0, (task.id, info)
    finally:
        env.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", TASKS)
def test_oracle_solves_every_task_on_20_heldout_seeds(name):
    env = MiniWoBEnv(task=name, observation="text")
    try:
        results = [_oracle_episode(env, t)[1]["success"] for t in env.suite.split("heldout")]
        assert results == [True] * 20
    finally:
        env.close()


def test_random_policy_is_far_below_the_oracle():
    env = MiniWoBEnv(task="enter-password", observation="text")  # typing needed: random clicks cannot solve it
    rng = random.Random(0)
    try:
        wins = 0
        for task in env.suite.split("heldout")[:6]:
            obs, info = env.reset(options={"task": task})
            while True:
                obs, r, term, trunc, info = env.step(rng.choice(info["admissible_actions"]))
                if term or trunc:
                    break
            wins += info["success"]
        # measured: 0/6 (random clicks on listed elements, 10 turns); docs/benchmarks/gui.md has every task
        assert wins == 0
    finally:
        env.close()


def test_check_env_text_mode():
    testing.check_env(lambda: MiniWoBEnv(task="click-test", observation="text", max_turns=4), n_random_actions=60,
                      n_oracle_tasks=1)


def _alive(pids):
    out = []
    for p in pids:
        try:
            if psutil.Process(p).status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


def test_browser_crash_is_an_error_then_a_fresh_browser_and_close_leaves_nothing():
    env = MiniWoBEnv(task="enter-text", observation="text")
    env.reset(options={"task": env.suite.split("train")[0]})
    browser = env.browser
    assert browser._users == 1  # the env is the browser's only user, so its close() must end it
    first = browser.chromium_pids()
    assert first
    for pid in first:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    with pytest.raises(BrowserCrashed):
        for _ in range(3):  # the first call may land before the driver notices
            env.step("click[1]")
    obs, info = env.reset(options={"task": env.suite.split("train")[0]})  # restarted
    assert browser.restarts == 1 and browser.alive and obs.startswith("Task: Enter")
    assert not set(_alive(first)) & set(browser.chromium_pids())
    total, info, _ = _oracle_episode(env, env.suite.split("train")[1])
    assert info["success"]
    started = set(browser.pids)
    env.close()
    assert _alive(started) == []  # Playwright's driver, Chromium and its helpers are all gone


def test_envs_share_one_warm_browser_per_worker():
    a, b = MiniWoBEnv(task="click-test", observation="text"), MiniWoBEnv(task="focus-text", observation="text")
    try:
        assert a.browser is b.browser and a.browser._users == 2
        a.reset(options={"task": a.suite.split("train")[0]})
        b.reset(options={"task": b.suite.split("train")[0]})
        assert a._context is not b._context  # a fresh context per episode
    finally:
        a.close()
        assert a.browser.alive  # b still uses it
        b.close()
        assert not a.browser.alive
