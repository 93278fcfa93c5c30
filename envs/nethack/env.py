"""agentgym/MiniHack-<Task>-v0 and agentgym/NetHack-v0: NetHack (NLE 1.3.0) and MiniHack in words."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite
from agentgym.envs.nethack import actions as A
from agentgym.envs.nethack import language as L
from agentgym.envs.nethack import levels, tasks
from agentgym.envs.nethack.engine import minihack, nethack, nle_envs
from agentgym.envs.nethack.progress import Progression

MORE, ESC = 13, 27
KEYS = tuple(range(256))
"""The engine's action set: every key code, so action index == key (letters for inventory prompts included)."""
OBS_KEYS = ("glyphs", "chars", "colors", "specials", "blstats", "message", "inv_glyphs", "inv_letters", "inv_oclasses",
            "inv_strs", "screen_descriptions", "tty_chars", "tty_colors", "tty_cursor")
MAX_AUTO_KEYS = 64
"""Most keys the env presses on its own in one turn (dismissing --More--, closing menus, cancelling questions)."""


@dataclass
class View:
    """What the planners read: the current screen as NLE reports it."""

    glyphs: np.ndarray
    x: int
    y: int
    blstats: np.ndarray
    inventory: list[str]
    message: str
    task: str


class _NetHackLanguageEnv(AgentEnv):
    """Shared machinery: one NLE engine per env, seeded per episode, keys pressed and --More-- handled."""

    game_name = "NetHack"
    # The goal is in the system prompt and the first observation is only the first screen: a windowed prompt that
    # kept it would show the stairs where they were at the start next to where they are now.
    window_head = "system"

    def __init__(self, *, show_map: bool = False, show_stats: bool = True, show_inventory: bool = True,
                 max_turns: int | None = None, split: str | None = None, render_mode: str | None = None):
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.show_map, self.show_stats, self.show_inventory = show_map, show_stats, show_inventory
        self._fixed_max_turns = max_turns
        self._engine: Any = None
        self._engine_des: str | None = None
        self._u: Any = None
        self._engine_step: Any = None
        self._planner: Any = None
        self._ended = False

    # -- engine -------------------------------------------------------------------------------------------------------
    def _engine_spec(self, task: Task) -> tuple[str, dict[str, Any], str | None]:
        """(gym id, extra kwargs, des-file text or None) of the engine that plays `task`."""
        raise NotImplementedError

    def _ensure_engine(self, task: Task) -> None:
        import gymnasium as gym

        gym_id, kwargs, des = self._engine_spec(task)
        if self._engine is None:
            if gym_id.startswith("MiniHack"):
                # MiniHack's own observation dict is not read (the env reads NLE's arrays); asking it for the
                # bottom line only spares it cropping and padding four arrays on every step
                kwargs = {"observation_keys": ("blstats",), **kwargs}
            self._engine = gym.make(gym_id, actions=KEYS, allow_all_modes=True, allow_all_yn_questions=True,
                                    savedir=None, save_ttyrec_every=0, fix_moon_phase=True, **kwargs)
            self._u = self._engine.unwrapped
            # the turn limit is ours (one turn = one command); gym.make would keep max_episode_steps for its own
            # TimeLimit wrapper instead of passing it on, so lift NLE's limit on the engine itself
            self._u._max_episode_steps = 10**9
            self._index = {k: i for i, k in enumerate(self._u._observation_keys)}
            self._engine_des = None
            self._engine_step = self._step_function()
        if des is not None and des != self._engine_des:
            self._u.update(des)  # MiniHack compiles the des file into this engine's own copy of the game data
            self._engine_des = des

    def _raw(self, key: str) -> np.ndarray:
        return self._u.last_observation[self._index[key]]

    def _step_function(self) -> Any:
        """The engine's step, chosen once per engine (not on every key)."""
        mh = minihack() if self._u.__class__.__module__.startswith("minihack") else None
        if mh is not None and isinstance(self._u, mh.envs.keyroom.MiniHackKeyDoor):
            # MiniHack's KeyRoom turns a bare "apply" into a scripted unlock that can loop forever next to a diagonal
            # door; the agent's own keys (apply <letter> <direction> y) do the same thing, so use the plain step.
            return functools.partial(mh.MiniHack.step, self._u)
        return self._u.step

    def _press(self, key: int) -> tuple[float, bool, dict[str, Any]]:
        _, reward, term, trunc, info = self._engine_step(key)
        return float(reward), bool(term or trunc), info

    @contextlib.contextmanager
    def _free_keys(self):
        """Keys the env presses by itself cost no step penalty (MiniHack charges one for keys that take no time)."""
        penalty = getattr(self._u, "penalty_step", None)
        if penalty is not None:
            self._u.penalty_step = 0.0
        try:
            yield
        finally:
            if penalty is not None:
                self._u.penalty_step = penalty

    def _pending(self) -> tuple[bool, bool, bool]:
        """(a --More-- waits, a menu or text window is open, a question is asked) on the current screen."""
        more, menu = L.screen_state(self._raw("tty_chars"))
        if "internal" not in self._index:
            return more, menu, False
        _, yn, getlin, xwaitforspace = self._raw("internal")[:4].tolist()
        return more or bool(xwaitforspace), menu, bool(yn or getlin)

    def _settle(self, messages: list[str], notes: list[str]) -> tuple[float, bool, dict[str, Any]]:
        """Dismiss --More--, close menus and cancel pending questions until the game is back in its main loop."""
        total, done, info = 0.0, False, {}
        if not any(self._pending()):
            return total, done, info  # most turns: nothing to dismiss, so no penalty to lift either
        with self._free_keys():
            for _ in range(MAX_AUTO_KEYS):
                more, menu, asking = self._pending()
                if not (more or menu or asking):
                    break
                tty = self._raw("tty_chars")
                text = L.tty_message(tty)
                if more:
                    key = MORE
                elif menu or asking:
                    key = ESC
                    if asking:
                        notes.append(f"The game asked {text!r}; the question was cancelled (answer it in the same "
                                     "action, e.g. 'eat f', 'apply g west y').")
                else:
                    break
                if text:
                    messages.append(text)
                r, done, info = self._press(key)
                total += r
                if done:
                    break
        return total, done, info

    # -- AgentEnv hooks -----------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        self._ensure_engine(task)
        core, disp = (int(v) for v in rng.integers(1, 2**31 - 1, size=2))
        self._u.seed(core, disp, reseed=False, lgen=int(task.seed))
        self._u.reset()
        self.max_turns = self._fixed_max_turns or int(task.params.get("max_turns", self.default_max_turns))
        self._ended = False
        self._after_reset(task)
        messages: list[str] = []
        self._settle(messages, [])
        messages.append(L.tty_message(self._raw("tty_chars")))
        return self._observation(messages, [])

    def _after_reset(self, task: Task) -> None:
        from agentgym.envs.nethack.oracle import Planner

        self._planner = Planner(task.params.get("task", "NetHack"))

    def _act(self, action: str) -> StepOutcome:
        parsed = A.parse(action, self.action_names)
        if parsed.name is None:
            return StepOutcome(observation=self._observation([], [f"{parsed.problem}. The actions are: "
                                                                  + ", ".join(self.action_names) + "."]),
                               valid_action=False, progress=self._progress, info=self._game_info({}))
        messages, notes = [], []
        reward, done, info = 0.0, False, {}
        for key in parsed.keys:
            r, done, info = self._press(key)
            reward += r
            if done:
                break
            if key != parsed.keys[-1] and self._waiting_for_space():
                r, done, info = self._settle(messages, notes)  # a --More-- between the keys of one command
                reward += r
                if done:
                    break
        if not done:
            r, done, info = self._settle(messages, notes)
            reward += r
        if not done:
            messages.append(L.tty_message(self._raw("tty_chars")))
        self._ended = done
        success = bool(done and self._won(info))
        return StepOutcome(observation=self._observation(messages, notes), reward=reward, terminated=done,
                           valid_action=not notes, success=success, progress=self._measure(success),
                           info=self._game_info(info))

    def _waiting_for_space(self) -> bool:
        return "internal" in self._index and bool(self._raw("internal")[3])

    def _won(self, info: dict[str, Any]) -> bool:
        return False

    def _measure(self, success: bool) -> float:
        return 1.0 if success else 0.0

    def _game_info(self, info: dict[str, Any]) -> dict[str, Any]:
        status = info.get("end_status")
        return {"end_status": None if status is None else getattr(status, "name", str(status))}

    def _extra_info(self) -> dict[str, Any]:
        return {"admissible_actions": list(self.action_names)}

    def oracle_action(self) -> str:
        if self._planner is None or self._u is None:
            raise RuntimeError("call reset() before oracle_action()")
        return self._planner.next_action(self.view())

    # -- observation --------------------------------------------------------------------------------------------------
    def view(self) -> View:
        b = self._raw("blstats")
        return View(glyphs=self._raw("glyphs"), x=int(b[0]), y=int(b[1]), blstats=b,
                    inventory=L.inventory_lines(self._raw("inv_letters"), self._raw("inv_strs")),
                    message=L.tty_message(self._raw("tty_chars")), task=self._planner.task if self._planner else "")

    def _observation(self, messages: list[str], notes: list[str]) -> str:
        msgs = [m for m in dict.fromkeys(m.strip() for m in messages) if m]
        parts = list(notes)
        parts.append("Message: " + (" ".join(msgs) if msgs else "(none)"))
        if self._u is not None and not self._ended:
            b = self._raw("blstats")
            x, y = b[:2].tolist()
            parts.append("You see:\n" + ("\n".join(L.describe_map(self._raw("glyphs"), x, y)) or "nothing"))
            if self.show_stats:
                parts.append("Status: " + L.stats_line(b))
            if self.show_inventory:
                inv = L.inventory_lines(self._raw("inv_letters"), self._raw("inv_strs"))
                parts.append("Inventory:\n" + ("\n".join(inv) if inv else "empty"))
            if self.show_map:
                parts.append("Map:\n" + L.ascii_map(self._raw("tty_chars")))
        elif self._ended:
            parts.append("The episode is over.")
        return "\n".join(parts)

    @property
    def action_names(self) -> tuple[str, ...]:
        return A.NETHACK_FULL

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()  # NLE removes its temporary game directory
            self._engine = self._u = self._engine_step = None
        super().close()


class MiniHackEnv(_NetHackLanguageEnv):
    """MiniHack tasks in words: reach the stairs down in rooms, corridors, mazes, behind a locked door, across lava,
    or past boulders.

    Task:
        One of six MiniHack tasks, fixed by the env id (`task` argument): Room (MiniHack-Room-Random-5x5: a lit 5x5
        room, random start and stairs), Corridor (MiniHack-Corridor-R2: two rooms joined by dark corridors), MazeWalk
        (MiniHack-MazeWalk-9x9: a dark maze), KeyRoom (MiniHack-KeyRoom-S5: pick up a key, unlock a door, enter the
        small room with the stairs), Lava (a lit room crossed by lava rivers with one dry crossing each; built here
        with MiniHack's LevelGenerator) and Boulder (Sokoban-like, built with the LevelGenerator: a wall's only gap is
        plugged by a boulder that must be pushed through). Every task ends on the stairs down (MiniHack's goal).

    Observation:
        Text, BALROG's language observation in pure Python from NLE's arrays (language.py): "Message: ..." (every
        message of the turn, --More-- dismissed automatically), "You see:" and one line per thing, e.g. "stairs down
        near eastsoutheast", "horizontal walls adjacent north and northeast" (distances: adjacent 1, very near 2, near
        3-5, far 6-19, very far 20+ squares, Chebyshev), "Status: ..." (the bottom line in words), "Inventory:" (one
        line per item, "a: a +0 short sword (weapon in hand)") and, with show_map=True, "Map:" and the ASCII map.
        A line naming a cancelled question or an unknown action comes first when there is one.

    Actions:
        The task's MiniHack action set by name: north, east, south, west, northeast, southeast, southwest, northwest
        (also n, e, s, w, ne, se, sw, nw); KeyRoom adds pickup and apply; Corridor adds search and kick (see
        Departures). A command carries its arguments: "apply g west y" presses apply, the key's inventory letter, the
        direction and answers the "Unlock it?" question. An unknown
        action presses nothing: it returns feedback listing the actions and info["valid_action"] = False. A question
        the game still asks after the given keys is cancelled (Escape) and also marks the action invalid.
        info["admissible_actions"] lists the names.

    Reward:
        MiniHack's, unchanged: +1 (reward_win) on reaching the stairs down, 0 on death (reward_lose), plus -0.01
        (penalty_step) for every key the agent pressed that took no game time (walking into a wall, a cancelled
        question). Keys the env presses itself (--More--, Escape) are free. progress = 1 on success, else 0 (BALROG's
        MiniHack progression).

    Episode end:
        Terminated on the stairs (success) or on death (e.g. in lava). Truncated at the turn limit: MiniHack's episode
        limit for the task (Room 100, Corridor 1000, MazeWalk 200, KeyRoom 200, Lava 100, Boulder 100), unless
        max_turns overrides it. One turn is one command, however many keys it presses.

    Arguments:
        task: "Room" | "Corridor" | "MazeWalk" | "KeyRoom" | "Lava" | "Boulder" (set by the env id).
        show_map: add the ASCII map to every observation (BALROG's "hybrid" prompt). Default False.
        show_stats, show_inventory: include the bottom line and the inventory. Default True.
        max_turns: override the task's turn limit. split: default split ("train"; also "heldout").

    Dependencies:
        The `nethack` extra: nle==1.3.0 (a manylinux wheel, no Debian packages) and minihack (which needs setuptools'
        pkg_resources, so setuptools<81). Runs in-process; close() removes NLE's temporary game directory.

    Departures from the original:
        The language layer is our Python port of BALROG's (nle-language-wrapper) with the bottom line in one line;
        --More-- is dismissed by the env and its messages kept (BALROG's AutoMore); the engine takes every key (so
        commands can carry inventory letters) while the prompt offers MiniHack's action names; KeyRoom's scripted
        "apply" is replaced by the real key presses; Corridor's action set gains search and kick, because NetHack hides
        one corridor square in a hundred and one door in eight and locks some doors, and a level with a hidden or
        locked connection cannot be solved by moves alone; Lava and Boulder are generated here (Boulder stands in for
        MiniHack's Boxoban, whose maps are downloaded and cannot be fetched here); episodes are seeded (level seed =
        the task, dynamics seed = the reset seed).

    Version history:
        v0: first version (suites minihack-<task> v1: 500 train and 50 held-out level seeds per task).
    """

    game_name = "MiniHack"

    def __init__(self, *, task: str = "Room", **kwargs: Any):
        if task not in tasks.MINIHACK_TASKS:
            raise ValueError(f"task must be one of {list(tasks.MINIHACK_TASKS)}, got {task!r}")
        self.spec_task = tasks.MINIHACK_TASKS[task]
        self.suite: TaskSuite = _suite(task)
        self.default_max_turns = self.spec_task.max_turns
        super().__init__(**kwargs)
        self._layout: levels.Layout | None = None

    @property
    def action_names(self) -> tuple[str, ...]:
        return self.spec_task.actions

    def _engine_spec(self, task: Task) -> tuple[str, dict[str, Any], str | None]:
        minihack()
        spec = tasks.MINIHACK_TASKS[task.params.get("task", self.spec_task.name)]
        if spec.generator is None:
            self._layout = None
            return spec.gym_id, {}, None
        self._layout = layout_for(spec.generator, int(task.seed))
        return "MiniHack-Navigation-Custom-v0", {"des_file": self._layout.des()}, self._layout.des()

    def _after_reset(self, task: Task) -> None:
        super()._after_reset(task)
        if self._layout is not None:
            b = self._raw("blstats")
            self._planner.set_layout(self._layout, (int(b[0]), int(b[1])))

    def _won(self, info: dict[str, Any]) -> bool:
        return int(info.get("end_status", 0)) == 2  # MiniHack's StepStatus.TASK_SUCCESSFUL

    @property
    def system_prompt(self) -> str:
        return (f"You are playing MiniHack (NetHack). {self.spec_task.goal} Each turn you read what you see (things "
                "with their distance and compass direction from you) and reply with exactly one action.\nActions:\n"
                + A.describe(self.action_names))


class NetHackEnv(_NetHackLanguageEnv):
    """The full game of NetHack 3.6 (NLE) in words, scored by BALROG's progression metric.

    Task:
        Play NetHack from the first level: descend as deep and gain as many experience levels as you can. A task is a
        dungeon seed (NLE's level-generation seed); the character is chosen at random ("@", as BALROG plays it) by the
        episode's seed.

    Observation:
        As MiniHack-<Task>-v0: the message(s), "You see:" lines in BALROG's distance buckets and directions, the
        bottom line in words, the inventory, and optionally the ASCII map (show_map=True).

    Actions:
        NLE's useful commands by BALROG's names, each with a one-line description in the system prompt (moves and
        "far" moves, up, down, search, pickup, eat, quaff, read, wear, wield, apply, zap, throw, fire, open, kick,
        fight, pray, travel, ...). Commands carry their arguments: "eat f", "apply g west y", "zap h north",
        "travel >" (walk to the stairs down). Unknown names: feedback and info["valid_action"] = False; a question
        left unanswered is cancelled and also marks the action invalid.

    Reward:
        NLE's NetHackScore reward: the change of the in-game score, plus -0.01 for every key that took no game time.
        info["progress"] = BALROG's progression: the largest value of the achievement table
        (data/balrog_achievements.json) over the dungeon levels and experience levels reached (e.g. Dlvl:2 = 0.0154,
        Xp:2 = 0.0185); info["achievement"] names it. info["success"] is True only on ascension.

    Episode end:
        Terminated when the hero dies (or ascends). Truncated at the turn limit (default 1000 commands; BALROG allows
        100,000 steps).

    Arguments:
        show_map, show_stats, show_inventory, max_turns, split: as for MiniHack-<Task>-v0.

    Dependencies:
        The `nethack` extra (nle==1.3.0). Runs in-process.

    Departures from the original:
        BALROG plays NetHackChallenge-v0, which forbids seeding; this env plays NLE's NetHackScore-v0 (same game and
        score reward) so that a seed reproduces an episode. The turn limit is 1000 by default. The language layer is
        our Python port of BALROG's.

    Version history:
        v0: first version (suite nethack v1: 1000 train and 50 held-out dungeon seeds).
    """

    default_max_turns = 1000

    def __init__(self, **kwargs: Any):
        self.suite = _nethack_suite()
        super().__init__(**kwargs)
        self._progression = Progression()

    def _engine_spec(self, task: Task) -> tuple[str, dict[str, Any], str | None]:
        nle_envs()
        return "NetHackScore-v0", {"character": "@"}, None

    def _after_reset(self, task: Task) -> None:
        super()._after_reset(task)
        self._progression = Progression()
        self._progression.update(self._raw("blstats"))

    def _measure(self, success: bool) -> float:
        if not self._ended:
            self._progression.update(self._raw("blstats"))
        return self._progression.progression

    def _won(self, info: dict[str, Any]) -> bool:
        return bool(info.get("is_ascended", False))

    def _game_info(self, info: dict[str, Any]) -> dict[str, Any]:
        out = super()._game_info(info)
        out["achievement"] = self._progression.highest_achievement
        b = self._raw("blstats") if self._u is not None else None
        if b is not None:
            out["depth"], out["experience_level"] = int(b[12]), int(b[18])
        return out

    @property
    def system_prompt(self) -> str:
        return ("You are playing NetHack. Explore, fight, and descend the stairs (down) as deep as you can. Each turn "
                "you read the messages, what you see (with distance and compass direction), your status and "
                "inventory, and reply with exactly one action, with its arguments where it takes them.\nActions:\n"
                + A.describe(self.action_names))


_SUITES: dict[str, TaskSuite] = {}


def _suite(name: str) -> TaskSuite:
    if name not in _SUITES:
        _SUITES[name] = tasks.minihack_suite(name)
    return _SUITES[name]


def _nethack_suite() -> TaskSuite:
    if "NetHack" not in _SUITES:
        _SUITES["NetHack"] = tasks.nethack_suite()
    return _SUITES["NetHack"]


_LAYOUTS: dict[tuple[str, int], levels.Layout] = {}


def layout_for(generator: str, seed: int) -> levels.Layout:
    """The generated layout of a Lava or Boulder task (cached: generation plans the boulder pushes)."""
    key = (generator, seed)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = levels.lava_layout(seed) if generator == "lava" else levels.boulder_layout(seed)
    return _LAYOUTS[key]
