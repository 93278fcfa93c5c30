"""agentgym/WebShopBrowser-v0: the WebShop site, served locally, driven by a real Chromium through Playwright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
import weakref
from typing import Any

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, visual_observation_space
from agentgym.envs.webshop import oracle
from agentgym.envs.webshop.deps import require
from agentgym.envs.webshop.engine import SEARCH_TEMPLATE, Element, check_action, render_text, render_text_rich
from agentgym.envs.webshop.env import SYSTEM_PROMPT, ObservationMode, WebShopEnv, invalid_observation
from agentgym.envs.webshop.reward import RewardVariant
from agentgym.envs.webshop.tasks import load_catalogue, suite_for

CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT_S = 120.0

# Reads the page as a person sees it: every visible text node of the body in document order, with the kind of the
# element it sits in (data-kind) and, for clickables, the key click[...] names. With points=true it also gives, for
# each clickable (and the search box), the viewport point a click lands on: the centre of its box where that point is
# on screen and hits the element itself (what Playwright's actionability checks establish before a click), else null.
_READ_PAGE_JS = """(points) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
    if (!n.textContent.trim()) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    const owner = el.closest('[data-kind]');
    out.push([owner ? owner.dataset.kind : 'text', n.textContent, owner && owner.dataset.key !== undefined ?
              owner.dataset.key : null, !!(owner && owner.dataset.selected === '1')]);
  }
  const keyed = Array.from(document.querySelectorAll('[data-key]'));
  const state = document.getElementById('session-state');
  const box = document.querySelector('#search_input');
  const view = {elements: out, keys: keyed.map(e => e.dataset.key), search: !!box,
                state: state ? JSON.parse(state.textContent) : null};
  if (points) {
    __POINT__
    view.points = keyed.map(point);
    view.searchPoint = box && box.value === '' ? point(box) : null;
  }
  return view;
}"""

# The click point of an element: its box's centre, if on screen and the element (or a descendant) is what a click
# there hits; else null (then the env scrolls it into view, or falls back to Playwright's checked click).
_POINT_JS = """const point = (el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (!(r.width > 0 && r.height > 0 && x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight))
      return null;
    const hit = document.elementFromPoint(x, y);
    return hit && (hit === el || el.contains(hit)) ? [x, y] : null;
  };"""
_READ_PAGE_JS = _READ_PAGE_JS.replace("__POINT__", _POINT_JS)

# Scrolls the i-th clickable to the middle of the viewport and gives its click point (as above).
_SCROLL_TO_JS = """(i) => {
  __POINT__
  const el = document.querySelectorAll('[data-key]')[i];
  if (!el) return null;
  el.scrollIntoView({block: 'center', inline: 'center'});
  return point(el);
}""".replace("__POINT__", _POINT_JS)


class WebShopBrowserError(RuntimeError):
    """The browser or the site failed during an episode (crashed, hung, unreachable). The episode is an error, not a
    reward of 0; the env restarts what failed on the next reset."""


class _Site:
    """The site in a child process on a free loopback port; it exits with its parent."""

    def __init__(self, args: list[str]) -> None:
        cmd = [sys.executable, "-m", "agentgym.envs.webshop.site", "--host", "127.0.0.1", "--port", "0",
               "--parent-pid", str(os.getpid()), *args]
        # stderr to a file and stdout drained by a thread: a pipe nobody reads would block the server once full
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        first = threading.Event()
        line: list[str] = []

        def drain() -> None:
            for i, text in enumerate(self.proc.stdout):
                if i == 0:
                    line.append(text)
                    first.set()
            first.set()

        threading.Thread(target=drain, daemon=True).start()
        first.wait(SERVER_START_TIMEOUT_S)
        if not line or not line[0].startswith("serving on "):
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(5)
            self.log.seek(0)
            err = self.log.read()[-2000:] or "(no answer in time)"
            self.stop()
            raise WebShopBrowserError(f"the WebShop site did not start: {err}")
        self.url = line[0].split("serving on ", 1)[1].strip()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


_LOCAL = threading.local()
"""Playwright's sync API allows one driver per thread: the envs of a thread share it (reference-counted), each with
its own browser."""


def _acquire_playwright():
    if getattr(_LOCAL, "pw", None) is None:
        before = {pid for pid, _ in _descendants(os.getpid())}
        _LOCAL.pw = require("playwright.sync_api").sync_playwright().start()
        _LOCAL.refs = 0
        _LOCAL.driver_pids = [pid for pid, _ in _descendants(os.getpid()) if pid not in before]
    _LOCAL.refs += 1
    return _LOCAL.pw


def _release_playwright() -> None:
    if getattr(_LOCAL, "pw", None) is None:
        return
    _LOCAL.refs -= 1
    if _LOCAL.refs <= 0:
        try:
            _LOCAL.pw.stop()
        except Exception:
            pass  # the driver is already gone
        _LOCAL.pw, _LOCAL.driver_pids = None, []


def _stop_all(state: dict) -> None:
    """Close the context, browser, Playwright driver and site of an env (also run when the env is collected)."""
    for name in ("context", "browser"):
        obj = state.pop(name, None)
        if obj is not None:
            try:
                obj.close()
            except Exception:
                pass  # already gone (crashed or killed): nothing left to close
    state.pop("browser_pids", None)
    if state.pop("playwright", None) is not None:
        _release_playwright()
    site = state.pop("site", None)
    if site is not None:
        site.stop()


class WebShopBrowserEnv(AgentEnv):
    """WebShop as a real web site in a real browser: the site (agentgym.envs.webshop.site, Flask served by waitress)
    runs in a child process on a loopback port, and headless Chromium (Debian's /usr/bin/chromium) driven by
    Playwright shows its pages; actions are real clicks and typing.

    Task:
        The same goals, catalogues and splits as agentgym/WebShop-v0.

    Observation:
        The page's visible text, read from the DOM (every visible text node of the body, in order), in the same
        format as WebShop-v0: observation_mode "text" (strings joined by " [SEP] ") or "text_rich". The same episode
        gives the same observation text in both envs. With screenshot=True the observation is
        {"text": ..., "images": [the viewport as an RGB array]}. info["admissible_actions"] as in WebShop-v0,
        collected from the DOM's clickables.

    Actions:
        The same grammar: search[keywords] types the words into the search box and clicks Search (only where the page
        has the box); click[x] clicks the element whose text (or option value, or product id) is x. Anything else,
        or a name that is not on the page, changes nothing: the same feedback as WebShop-v0, valid_action=False.

    Reward:
        The same as WebShop-v0, computed by the site's engine on click[buy now]; the env reads it, info["progress"]
        and info["reward_info"] from the session-state JSON block every page carries (a script, not page text).

    Episode end:
        Terminated by click[buy now]; truncated at max_turns (15).

    Arguments:
        catalogue, catalogue_seed, data_dir, num_products, observation_mode, show_attrs, reward_variant: as in
            WebShop-v0 (passed to the site).
        site_url: use a site already running there instead of starting one (it must serve the same catalogue).
        screenshot: add the viewport screenshot to every observation (default False).
        chromium: the browser executable (default /usr/bin/chromium).
        action_timeout_s: how long one browser action may take before the episode is an error (default 15).
        actionability_checks: act through Playwright's locators (fill, click: each waits until its element is
            visible, stable, enabled and hit by the pointer, then for the navigation and its response) instead of
            the default: the mouse pressed at the click point read with the page, text inserted into the focused
            search box, a wait for the next page's load event, and the page read with one DevTools call. Both give
            the same observations; the default sends 4 DevTools commands per click instead of 21 and
            takes about two thirds of the time (docs/benchmarks/webshop.md). An element off screen is scrolled into
            view first; one that is covered falls back to the checked click.
        viewport: (width, height) of the page, default (1000, 800).

    Dependencies:
        Extra `web` (playwright, flask, waitress, bm25s, PyStemmer, thefuzz) and Debian's `chromium` (setup.sh
        --dev installs it; Playwright's own browser download is not used). Docker image of the site:
        docker/webshop/Dockerfile.

    Lifecycle and errors:
        One warm browser per env (launched on the first reset) and a fresh browser context per episode. If the
        browser or the site dies or hangs mid-episode, step()/reset() raise WebShopBrowserError (the rollout records
        the episode as an env error, never as reward 0), everything of the failed browser and site is stopped, and
        the next reset starts them again. close() stops the browser, the Playwright driver and the site; none of
        their processes outlive it (and the site exits by itself if this process dies).

    Departures from the original:
        Those of WebShop-v0 (generated catalogue, reward nouns, BM25 via bm25s). The page layout is ours (the
        original's templates load Bootstrap and jQuery from CDNs, which a loopback-only site cannot); the visible
        strings and their order follow the original's templates.

    Version history:
        v0: first version (catalogue v1).
    """

    default_max_turns = 15

    def __init__(self, *, catalogue: str | int = "1k", catalogue_seed: int = 0, data_dir: str | None = None,
                 num_products: int | None = None, observation_mode: ObservationMode = "text",
                 show_attrs: bool = False, reward_variant: RewardVariant = "master", site_url: str | None = None,
                 screenshot: bool = False, chromium: str = CHROMIUM, action_timeout_s: float = 15.0,
                 viewport: tuple[int, int] = (1000, 800), actionability_checks: bool = False,
                 max_turns: int | None = None, split: str | None = None,
                 render_mode: str | None = None):
        if observation_mode not in ("text", "text_rich"):
            raise ValueError(f"observation_mode must be 'text' or 'text_rich', got {observation_mode!r}")
        require("playwright.sync_api")
        if site_url is None and not os.path.exists(chromium):
            raise FileNotFoundError(f"no Chromium at {chromium!r}: install Debian's chromium (scripts/setup.sh --dev "
                                    "does) or pass chromium=PATH")
        self.catalogue = load_catalogue(str(catalogue), catalogue_seed,
                                        None if data_dir is None else str(data_dir), num_products)
        self.suite = suite_for(self.catalogue)
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        if screenshot:
            self.observation_space = visual_observation_space(max_images=1)
        self.observation_mode = observation_mode
        self.screenshot = screenshot
        self.chromium = chromium
        self.timeout_ms = action_timeout_s * 1000
        self.viewport = {"width": int(viewport[0]), "height": int(viewport[1])}
        self.actionability_checks = bool(actionability_checks)
        self._site_args = ["--catalogue", str(catalogue), "--catalogue-seed", str(catalogue_seed)]
        if data_dir is not None:
            self._site_args += ["--data-dir", str(data_dir)]
        if num_products is not None:
            self._site_args += ["--num-products", str(num_products)]
        if show_attrs:
            self._site_args.append("--show-attrs")
        self._site_args += ["--reward-variant", reward_variant]
        self._external_url = site_url
        self._state: dict[str, Any] = {}
        self._finalizer = weakref.finalize(self, _stop_all, self._state)
        self._page = None
        self._cdp = None
        self._session_id: str | None = None
        self._view: dict[str, Any] = {}
        self._server_state: dict[str, Any] = {}
        self._title_search = False
        # the oracle plans on a mirror of the episode in the text engine (same goal, same valid actions)
        self._mirror_behind: list[str] = []
        self._mirror = WebShopEnv(catalogue=catalogue, catalogue_seed=catalogue_seed, data_dir=data_dir,
                                  num_products=num_products, show_attrs=show_attrs, reward_variant=reward_variant)

    # -- processes ----------------------------------------------------------------------------------------------------
    @property
    def site_url(self) -> str:
        if self._external_url:
            return self._external_url.rstrip("/")
        site = self._state.get("site")
        if site is None or not site.alive():
            if site is not None:
                site.stop()
            self._state["site"] = _Site(self._site_args)
        return self._state["site"].url

    def _browser(self):
        browser = self._state.get("browser")
        if browser is not None and browser.is_connected():
            return browser
        _stop_all({k: self._state.pop(k) for k in ("context", "browser", "playwright", "browser_pids")
                   if k in self._state})
        pw = _acquire_playwright()
        self._state["playwright"] = pw
        before = {pid for d in _LOCAL.driver_pids for pid, _ in _descendants(d)}
        self._state["browser"] = pw.chromium.launch(executable_path=self.chromium, headless=True,
                                                    args=["--no-sandbox", "--disable-gpu",
                                                          "--disable-dev-shm-usage"])
        # this env's browser processes (several envs of a thread share one Playwright driver)
        self._state["browser_pids"] = [pid for d in _LOCAL.driver_pids for pid, _ in _descendants(d)
                                       if pid not in before]
        return self._state["browser"]

    def process_ids(self) -> dict[str, list[int]]:
        """Pids this env has running: {"site": [...], "driver": [...], "browser": [...]} (for tests and monitoring)."""
        out: dict[str, list[int]] = {"site": [], "driver": [], "browser": []}
        site = self._state.get("site")
        if site is not None and site.alive():
            out["site"].append(site.pid)
        if "playwright" in self._state:
            out["driver"] = [pid for pid in _LOCAL.driver_pids if _alive(pid)]
            launched = [pid for pid in self._state.get("browser_pids", []) if _alive(pid)]
            out["browser"] = sorted(set(launched) | {p for root in launched for p, _ in _descendants(root)})
        return out

    def _fail(self, what: str, e: BaseException) -> WebShopBrowserError:
        """Stop the failed browser and site (the next reset starts fresh ones) and describe the failure."""
        _stop_all(self._state)
        self._page = self._cdp = None
        return WebShopBrowserError(f"{what} failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")

    # -- hooks --------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self._mirror.reset(options={"task": task})
        self._mirror_behind = []
        self._title_search = False
        try:
            old = self._state.pop("context", None)
            if old is not None:
                old.close()
            context = self._browser().new_context(viewport=self.viewport)
            context.set_default_timeout(self.timeout_ms)
            self._state["context"] = context
            url = self.site_url
            body = json.dumps({"goal": int(task.params["goal"])}).encode()
            req = urllib.request.Request(f"{url}/api/sessions", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=self.timeout_ms / 1000) as r:
                self._session_id = json.loads(r.read())["session_id"]
            self._page = context.new_page()
            # a DevTools session on the page: one round trip reads it (page.evaluate first injects a helper script
            # into every new document)
            self._cdp = None if self.actionability_checks else context.new_cdp_session(self._page)
            self._page.goto(f"{url}/s/{self._session_id}")
            self._read()
        except WebShopBrowserError:
            raise
        except Exception as e:
            raise self._fail("starting the episode", e) from e
        return self._text()

    def _act(self, action: str) -> StepOutcome:
        view = self._view
        check = check_action(action, has_search_bar=view["search"], clickables=view["keys"],
                             done=bool(self._server_state.get("done")))
        if not check.valid:
            return StepOutcome(observation=invalid_observation(check.feedback, self._text()),
                               valid_action=False, progress=float(self._server_state.get("progress", 0.0)),
                               info={"page": self._server_state.get("page")})
        try:
            if self.actionability_checks:
                self._act_checked(check.name, check.arg)
            else:
                self._act_direct(check.name, check.arg)
            self._read()
        except Exception as e:
            raise self._fail(f"{action[:80]!r} in the browser", e) from e
        self._mirror_behind.append(action)  # the oracle's mirror catches up when it is asked (oracle_action)
        st = self._server_state
        reward = float(st["reward"]) if st["done"] else 0.0
        info: dict[str, Any] = {"page": st["page"]}
        if st["done"]:
            info.update(reward_info=st["reward_info"], score=100.0 * reward)
        return StepOutcome(observation=self._text(), reward=reward, terminated=bool(st["done"]), valid_action=True,
                           success=bool(st["done"]) and reward == 1.0, progress=float(st["progress"]), info=info)

    def _act_checked(self, name: str, arg: str) -> None:
        """search / click through Playwright's locators, with their actionability checks (actionability_checks=True)."""
        page = self._page
        if name == "search":
            page.fill("#search_input", arg)
            with page.expect_navigation():
                page.click("[data-key='search']")
        else:
            index = self._view["keys"].index(arg)
            with page.expect_navigation():
                page.locator("[data-key]").nth(index).click()

    def _act_direct(self, name: str, arg: str) -> None:
        """search / click as input events at the points read with the page: a click is one call (mouse moved,
        pressed, released), typing one more (the text inserted into the focused box), then the next page's load."""
        page, view = self._page, self._view
        if name == "search":
            point = view.get("searchPoint")
            if point is None:  # off screen, covered or not empty: let Playwright find and fill it
                page.fill("#search_input", arg)
            else:
                page.mouse.click(*point)
                page.keyboard.insert_text(arg)
            index = view["keys"].index("search")
        else:
            index = view["keys"].index(arg)
        point = view["points"][index] or self._evaluate(_SCROLL_TO_JS, index)
        with page.expect_event("load"):
            if point is None:  # covered by something else: the checked click waits for it or fails
                page.locator("[data-key]").nth(index).click()
            else:
                page.mouse.click(*point)

    def _evaluate(self, fn: str, arg: Any) -> Any:
        """fn(arg) in the page: page.evaluate with actionability_checks, else one DevTools Runtime.evaluate."""
        if self._cdp is None:
            return self._page.evaluate(fn, arg)
        res = self._cdp.send("Runtime.evaluate", {"expression": f"({fn})({json.dumps(arg)})", "returnByValue": True})
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            why = details.get("exception", {}).get("description") or details.get("text")
            raise WebShopBrowserError(f"a script in the page failed: {why}")
        return res["result"].get("value")

    def _read(self) -> None:
        """Read the page: its visible text, clickables, search box, and the session state the site put in it."""
        self._view = self._evaluate(_READ_PAGE_JS, not self.actionability_checks)
        if not self._view or self._view.get("state") is None:  # not a shop page (the site is down: an error page)
            raise WebShopBrowserError(f"the browser shows no shop page at {self._page.url!r}; the site is down")
        self._server_state = self._view["state"]

    def _elements(self) -> list[Element]:
        return [Element(kind, text, key, selected) for kind, text, key, selected in self._view["elements"]]

    def _text(self) -> str:
        els = self._elements()
        return render_text(els) if self.observation_mode == "text" else render_text_rich(els)

    def _wrap_obs(self, text: str) -> Any:
        if not self.screenshot:
            return text
        try:
            png = self._page.screenshot()
        except Exception as e:
            raise self._fail("taking a screenshot", e) from e
        from io import BytesIO

        from PIL import Image

        return {"text": text, "images": [np.asarray(Image.open(BytesIO(png)).convert("RGB"))]}

    def oracle_action(self) -> str:
        # the mirror replays the valid actions since the last call on the same engine (a policy that never asks
        # the oracle never pays for its searches)
        session = self._mirror.session
        for action in self._mirror_behind:
            session.act(action)
        self._mirror_behind.clear()
        return self._mirror.oracle_action()

    def _extra_info(self) -> dict[str, Any]:
        if not self._view:
            return {}
        keys = list(dict.fromkeys(k for k in self._view["keys"] if k != "search"))
        return {"admissible_actions": ([SEARCH_TEMPLATE] if self._view["search"] else [])
                + [f"click[{k}]" for k in keys], "has_search_bar": self._view["search"]}

    @property
    def system_prompt(self) -> str:
        return SYSTEM_PROMPT

    def close(self) -> None:
        _stop_all(self._state)
        self._page = self._cdp = None
        super().close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _descendants(root: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live descendant of `root`, from /proc."""
    children: dict[int, list[int]] = {}
    cmds: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            if state == "Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmds[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [root]
    while stack:
        for c in children.get(stack.pop(), []):
            out.append((c, cmds.get(c, "")))
            stack.append(c)
    return out
