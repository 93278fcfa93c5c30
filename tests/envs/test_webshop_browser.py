"""agentgym/WebShopBrowser-v0 and the site: a real Chromium (Debian's) driven by Playwright against the site served on
a loopback port. The same episodes as text mode give the same observations and rewards; the site keeps concurrent
sessions apart; a killed browser is an error, restarted on the next reset; close() leaves no process behind."""

from __future__ import annotations

import json
import os
from html import escape as html_escape
import random
import signal
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from agentgym import testing
from agentgym.envs.webshop.browser_env import WebShopBrowserEnv, WebShopBrowserError
from agentgym.envs.webshop.env import WebShopEnv


@pytest.fixture(scope="module")
def text_env() -> WebShopEnv:
    return WebShopEnv()


@pytest.fixture(scope="module")
def browser():
    env = WebShopBrowserEnv()
    yield env
    env.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_browser_is_an_error_then_restarted_and_close_leaves_nothing(text_env):
    env = WebShopBrowserEnv()
    try:
        task = text_env.tasks("heldout")[1]
        env.reset(options={"task": task})
        before = env.process_ids()
        assert before["site"] and before["browser"] and before["driver"]
        env.step(env.oracle_action())
        for pid in before["browser"]:  # the browser dies mid-episode
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
        with pytest.raises(WebShopBrowserError, match="failed"):
            env.step(env.oracle_action())
        time.sleep(0.5)
        # the browser and the site are stopped (the Playwright driver is shared by this thread's envs)
        assert not any(_alive(p) for p in before["browser"] + before["site"])
        obs, info = env.reset(options={"task": task})  # restarted: a fresh browser and site
        after = env.process_ids()
        assert after["browser"] and not set(after["browser"]) & set(before["browser"])
        while True:
            obs, r, te, tr, info = env.step(env.oracle_action())
            if te or tr:
                break
        assert info["success"]
        # the site dies mid-episode: the same, an error, then a fresh site on the next reset
        env.reset(options={"task": task})
        site = env.process_ids()["site"]
        os.kill(site[0], signal.SIGKILL)
        time.sleep(0.3)
        with pytest.raises(WebShopBrowserError, match="failed"):
            env.step(env.oracle_action())
        env.reset(options={"task": task})
        assert env.process_ids()["site"] and env.process_ids()["site"] != site
    finally:
        ids = env.process_ids()
        pids = ids["site"] + ids["browser"]
        env.close()
    time.sleep(0.5)
    assert pids and not any(_alive(p) for p in pids)  # the site and every browser process are gone
    assert env.process_ids() == {"site": [], "driver": [], "browser": []}
    # this is the module's first browser env (the shared fixture starts later), so close() stopped the driver too
    assert ids["driver"] and not any(_alive(p) for p in ids["driver"])


def _both(browser, text_env, task, choose):
    """Play one episode in both modes with the same actions (chosen from the text env); compare every step."""
    obs_b, info_b = browser.reset(options={"task": task})
    obs_t, info_t = text_env.reset(options={"task": task})
    assert obs_b == obs_t
    assert info_b["admissible_actions"] == info_t["admissible_actions"]
    while True:
        action = choose(text_env, info_t)
        obs_b, r_b, te_b, tr_b, info_b = browser.step(action)
        obs_t, r_t, te_t, tr_t, info_t = text_env.step(action)
        assert obs_b == obs_t, action
        assert (r_b, te_b, tr_b, info_b["valid_action"], info_b["progress"]) == \
            (r_t, te_t, tr_t, info_t["valid_action"], info_t["progress"]), action
        assert info_b["admissible_actions"] == info_t["admissible_actions"], action
        if te_b or tr_b:
            return r_b, info_b


def test_oracle_in_the_browser_matches_text_mode_step_by_step(browser, text_env):
    sample = text_env.tasks("heldout")[:2] + text_env.tasks("heldout_category")[:1]
    for task in sample:
        r, info = _both(browser, text_env, task, lambda env, info: env.oracle_action())
        assert r == 1.0 and info["success"] and info["reward_info"]["r_type"] == 1.0, task.id


def test_random_and_invalid_actions_match_text_mode(browser, text_env):
    rng = random.Random(3)

    def choose(env, info):
        if rng.random() < 0.2:
            return rng.choice(["click[nothing here]", "search[x]", "buy", "click[buy now]"])
        return rng.choice(info["admissible_actions"]).replace("<your query>", env.session.goal["instruction_text"])
    for task in text_env.tasks("train")[:1]:
        _both(browser, text_env, task, choose)


def test_check_env_on_the_browser_env(browser):
    testing.check_env(browser, n_random_actions=60, n_oracle_tasks=1)  # the full 2000 actions: the slow test below


@pytest.mark.slow
def test_check_env_on_the_browser_env_full(browser):
    testing.check_env(browser)


@pytest.mark.slow
def test_oracle_in_the_browser_solves_every_heldout_goal(browser):
    for split in ("heldout", "heldout_category"):
        for task in browser.tasks(split):
            obs, info = browser.reset(options={"task": task})
            while True:
                obs, r, te, tr, info = browser.step(browser.oracle_action())
                if te or tr:
                    break
            assert info["success"], task.id


def test_site_keeps_32_concurrent_sessions_apart(browser):
    url = browser.site_url
    goals = list(range(32))

    def shopper(goal: int):
        req = urllib.request.Request(f"{url}/api/sessions", data=json.dumps({"goal": goal}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        sid = json.loads(urllib.request.urlopen(req, timeout=30).read())["session_id"]
        words = browser.catalogue.goals[goal]["instruction_text"]
        for action in [f"search[{words}]", "click[next >]", "click[< prev]"]:
            data = urllib.parse.urlencode({"action": action}).encode()
            html = urllib.request.urlopen(urllib.request.Request(f"{url}/s/{sid}/act", data=data), timeout=30).read()
            assert html_escape(words).encode() in html and b"data-page='results'" in html
        state = json.loads(urllib.request.urlopen(f"{url}/api/s/{sid}/state", timeout=30).read())
        return goal, state

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(shopper, goals))
    for goal, state in results:
        instruction = browser.catalogue.goals[goal]["instruction_text"]
        assert state["goal"] == goal and state["page"] == "results"
        assert state["text"].startswith(f"Instruction: [SEP] {instruction} [SEP] Back to Search [SEP] Page 1 (")


@pytest.mark.slow
def test_screenshot_observations(text_env):
    env = WebShopBrowserEnv(screenshot=True, viewport=(800, 600))
    try:
        obs, info = env.reset(options={"task": text_env.tasks("heldout")[0]})
        assert set(obs) == {"text", "images"} and obs["images"][0].shape == (600, 800, 3)
        assert obs["text"].startswith("WebShop [SEP] Instruction: [SEP] ")
        assert env.observation_space.contains(obs)
    finally:
        env.close()
