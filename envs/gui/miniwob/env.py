"""agentgym/MiniWoB-<task>-v0: MiniWoB++'s own task pages in a real Chromium, BrowserGym's protocol."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, text_space, visual_observation_space
from agentgym.envs.gui.browser import BrowserCrashed, release, shared_browser
from agentgym.envs.gui.miniwob import assets, page_js
from agentgym.envs.gui.miniwob.actions import Action, parse_action
from agentgym.envs.gui.miniwob.oracle import oracle_js
from agentgym.envs.gui.miniwob.tasks import build_suite

ObservationMode = Literal["screenshot", "text"]
VIEWPORT = {"width": 160, "height": 210}
"""MiniWoB++'s task area: the 160 x 50 query above the 160 x 160 area."""
SCALE = 2.0
"""Device scale factor of the screenshot: 320 x 420 pixels."""
ACTION_TIMEOUT_MS = 5000
"""How long an action may wait for its element (Playwright's actionability checks): long enough for a loaded machine."""


class MiniWoBEnv(AgentEnv):
    """A MiniWoB++ task (Shi et al. 2017; Liu et al. 2018), its page and reward from the `miniwob` package's files.

    Task:
        The utterance at the top of the page ("Click on the \\"ok\\" button.", "Enter the username \\"kanesha\\" and
        the password ...", "Select Yyo, mYZ and click Submit."). One env id per task page: agentgym/MiniWoB-<task>-v0
        for the tasks in miniwob.tasks.TASKS (click-test, click-button, click-link, click-dialog(-2), enter-text(-2),
        enter-password, login-user, focus-text(-2), click-checkboxes, click-option, choose-list, click-tab(-2),
        click-widget, click-button-sequence, click-collapsible-nodelay, click-color, unicode-test,
        use-autocomplete-nodelay, click-test-2).

    Observation:
        observation="screenshot" (default): {"text": the utterance and a numbered list of the page's elements,
        "images": [the 160 x 210 CSS px task area at device scale 2: a 420 x 320 x 3 screenshot]}. observation="text":
        the text alone. Each element line reads `[ID] tag(type) "text" value=".." checked options=[..]`; the IDs are
        what the actions address (data-wob-id attributes set in the page each turn). info["admissible_actions"]
        lists click[ID] for every element (what a random baseline draws from).

    Actions:
        click[ID], type[ID][TEXT], select[ID][OPTION], click(X, Y) (screenshot pixels), scroll[up|down], key[KEY]
        (miniwob.actions has the grammar). An action that does not parse, names no element, or that the browser
        cannot perform within 5 s returns feedback with info["valid_action"] = False; the page is unchanged.

    Reward:
        The page's own: when the page ends the episode (WOB_DONE_GLOBAL), reward = 1.0 if its raw reward
        WOB_RAW_REWARD_GLOBAL > 0 else 0.0, as BrowserGym scores MiniWoB; 0 on every other step. info["raw_reward"]
        is the page's raw reward (in [-1, 1]), info["reward_reason"] its reason. info["progress"] is 1.0 on success,
        else 0.0 (the pages expose no subgoals).

    Episode end:
        Terminated when the page says done (success or failure). Truncated at max_turns (default 10, BrowserGym's
        agent default). MiniWoB's own 10 s timer is set to 1000 s (BrowserGym's episode_max_time), so wall time
        never ends an episode.

    Arguments:
        task: the MiniWoB task name (set by the registered id).
        observation: "screenshot" | "text".
        max_turns, split ("train"; also "heldout").

    Dependencies:
        Extra `gui` (Playwright, psutil); Debian's Chromium (/usr/bin/chromium). The task pages come from the
        `miniwob` 1.1.0 wheel, fetched by scripts/setup.sh --dev with `pip download --no-deps` into
        ~/.cache/agentgym/miniwob and unpacked there; it is not a pip dependency because it pins a gymnasium that
        clashes with nle's.

    Departures from the original:
        Pages load from file:// (MiniWoB++ supports it), not from an HTTP server. The human display (reward box,
        timer) stays in the page but outside the 160 x 210 viewport instead of being removed (BrowserGym removes
        it); the screenshot is the task area at scale 2 instead of BrowserGym's 500 x 320 window zoomed 1.4. The
        element list is ours (BrowserGym shows an accessibility tree or the DOM). Binary reward as BrowserGym
        computes it; MiniWoB's time-decayed reward is WOB_REWARD_GLOBAL and not used.

    Version history:
        v0: first version (miniwob 1.1.0 pages).
    """

    default_max_turns = 10

    def __init__(self, *, task: str, observation: ObservationMode = "screenshot", max_turns: int | None = None,
                 split: str | None = None, render_mode: str | None = None):
        if observation not in ("screenshot", "text"):
            raise ValueError(f"observation must be 'screenshot' or 'text', got {observation!r}")
        self.suite = build_suite(task)
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.task_name = task
        self.observation_mode: ObservationMode = observation
        self.observation_space = visual_observation_space(max_images=1) if observation == "screenshot" \
            else text_space()
        self.url = assets.task_url(task)
        self._oracle = oracle_js(task)
        self.browser = shared_browser()
        self._context: Any = None
        self.page: Any = None
        self._elements: list[dict[str, Any]] = []
        self._utterance = ""
        self._pixels: np.ndarray | None = None
        self._closed = False

    # -- browser plumbing ----------------------------------------------------------------------------------------------
    def _fresh_page(self) -> None:
        self._close_context()
        self._context = self.browser.context(viewport=dict(VIEWPORT), device_scale_factor=SCALE,
                                             reduced_motion="reduce")
        self._context.set_default_timeout(ACTION_TIMEOUT_MS * 5)
        self.page = self._context.new_page()

    def _close_context(self) -> None:
        if self._context is not None:
            try:
                self._context.close()
            except Exception:
                pass  # a dead browser took it with it
        self._context = self.page = None

    def _guard(self, what: str, fn):
        """Run a browser call; a dead browser becomes BrowserCrashed (the rollout records it as an env error)."""
        try:
            return fn()
        except BrowserCrashed:
            raise
        except Exception as e:
            if not self.browser.alive:
                self._close_context()
                raise BrowserCrashed(f"Chromium died during {what} of {self.task_name}: {e}") from e
            raise

    # -- hooks ---------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        def start() -> None:
            self._fresh_page()
            self.page.goto(self.url, wait_until="load")
            self.page.evaluate(page_js.START_EPISODE, {"seed": int(task.seed), "max_ms": 1_000_000})
            self.page.wait_for_function("() => WOB_TASK_READY")

        self._guard("reset", start)
        return self._observe()

    def _observe(self) -> str:
        def read() -> None:
            self._elements = self.page.evaluate(page_js.LIST_ELEMENTS)
            state = self.page.evaluate(page_js.READ_STATE)
            self._utterance = state[6]
            if self.observation_mode == "screenshot":
                from agentgym.types import decode_png

                self._pixels = decode_png(self.page.screenshot(type="png", caret="hide", animations="disabled"))

        self._guard("observation", read)
        return f"Task: {self._utterance}\nElements:\n" + "\n".join(_element_line(e) for e in self._elements)

    def _state(self) -> tuple[bool, float, Any]:
        r = self._guard("reading the reward", lambda: self.page.evaluate(page_js.READ_STATE))
        return bool(r[3]), float(r[1]), r[2]

    def _act(self, action: str) -> StepOutcome:
        parsed = parse_action(action)
        problem = None
        if parsed is None:
            problem = ("Unknown action. Use click[ID], type[ID][TEXT], select[ID][OPTION], click(X, Y), "
                       "scroll[up|down] or key[KEY].")
        else:
            problem = self._guard("an action", lambda: self._perform(parsed))
        done, raw, reason = self._state()
        text = self._observe() if not done else f"Task: {self._utterance}\nThe episode is over."
        if problem:
            text = problem + "\n" + text
        success = done and raw > 0
        return StepOutcome(observation=text, reward=1.0 if success else 0.0, terminated=done,
                           valid_action=problem is None, success=success, progress=1.0 if success else 0.0,
                           info={"raw_reward": raw, "reward_reason": reason, "utterance": self._utterance})

    def _perform(self, a: Action) -> str | None:
        """Do the action in the page; a reason in words when it cannot be done."""
        page = self.page
        try:
            if a.kind in ("click", "type", "select"):
                if not any(e["id"] == a.target for e in self._elements):
                    return f"There is no element [{a.target}] on the page."
                loc = page.locator(f'[data-wob-id="{a.target}"]')
                if a.kind == "click":
                    loc.click(timeout=ACTION_TIMEOUT_MS)
                elif a.kind == "type":
                    loc.fill("", timeout=ACTION_TIMEOUT_MS)
                    loc.press_sequentially(a.text or "", timeout=ACTION_TIMEOUT_MS)
                else:
                    loc.select_option(label=a.text, timeout=ACTION_TIMEOUT_MS)
            elif a.kind == "point":
                x, y = a.x / SCALE, a.y / SCALE  # type: ignore[operator]
                if not (0 <= x < VIEWPORT["width"] and 0 <= y < VIEWPORT["height"]):
                    return f"click({a.x}, {a.y}) is outside the {int(VIEWPORT['width'] * SCALE)}x" \
                           f"{int(VIEWPORT['height'] * SCALE)} screenshot."
                page.mouse.click(x, y)
            elif a.kind == "scroll":
                page.mouse.wheel(0, -100 if a.text.lower() == "up" else 100)  # type: ignore[union-attr]
            elif a.kind == "key":
                page.keyboard.press(a.text)
        except Exception as e:
            if not self.browser.alive:
                raise
            return f"Could not {a.kind} there: {str(e).splitlines()[0][:200]}"
        # let handlers that run after the event (jQuery UI menus; autocomplete searches on a timer after keystrokes)
        # finish before the page is read
        page.evaluate(f"() => new Promise((r) => setTimeout(r, {50 if a.kind in ('type', 'key') else 0}))")
        return None

    def oracle_action(self) -> str:
        if self.page is None:
            raise RuntimeError("call reset() before oracle_action()")
        self._guard("the oracle", lambda: self.page.evaluate(page_js.LIST_ELEMENTS))
        return str(self._guard("the oracle", lambda: self.page.evaluate(self._oracle)))

    def _extra_info(self) -> dict[str, Any]:
        return {"admissible_actions": [f"click[{e['id']}]" for e in self._elements]}

    @property
    def system_prompt(self) -> str:
        return ("You operate a web page to do the task shown. Reply with one action per turn: click[ID], "
                "type[ID][TEXT], select[ID][OPTION], click(X, Y), scroll[up|down] or key[KEY], where ID is an "
                "element number from the list.")

    def _wrap_obs(self, text: str) -> Any:
        if self.observation_mode == "text":
            return text
        return {"text": text, "images": [self._pixels] if self._pixels is not None else []}

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close_context()
            release(self.browser)
        super().close()


def _element_line(e: dict[str, Any]) -> str:
    head = e["tag"] + (f"({e['type']})" if e.get("type") and e["tag"] in ("input", "button") else "")
    parts = [f"[{e['id']}] {head}"]
    if e.get("text"):
        parts.append(f'"{e["text"]}"')
    if "value" in e and e["tag"] in ("input", "textarea"):
        parts.append(f'value="{e["value"]}"')
    if e.get("checked"):
        parts.append("checked")
    if e.get("options"):
        parts.append("options=[" + " | ".join(e["options"]) + "]")
    if e.get("color"):
        parts.append(f"color={e['color']}")
    if e.get("focused"):
        parts.append("focused")
    return " ".join(parts)
