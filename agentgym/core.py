"""The environment contract: `AgentEnv` (a gymnasium.Env with text actions), `Task` and `TaskSuite`.

An env subclass implements three hooks and inherits the contract:

    _start(task, rng) -> observation text                 (set up the episode for `task`)
    _act(action)      -> StepOutcome                      (parse and execute one action; never raise on bad input)
    oracle_action()   -> str                              (the expert's next action from the true state)

The base class handles task selection (`options={"task": ..., "split": ...}`), seeding, the turn limit (truncation,
never termination), and the `info` keys every env must carry: task_id, turn, valid_action, success, progress, and
answer where the task has one.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from agentgym.types import WindowHead

MAX_TEXT_LENGTH = 100_000

# What UnicodeText.sample() draws from: printable ASCII plus letters, symbols and emoji from other scripts, so fuzzing
# exercises non-ASCII input too. Membership (contains) accepts every Unicode character, not only these.
SAMPLE_CHARSET = string.printable + "àéîõüßçñøåæœÀÉÎÕÜ€£¥©°±µ¶·×÷ΓΔΘΛΞΠΣΦΨΩαβγδεζηθλμπσφψωЖИЙЛПФЦЧШЩЪЫЬЭЮЯжийлп" \
    "אבגדهوزح日本語中文字한국어ひらがなカタカナ→←↑↓∑∏√∞≈≠≤≥■□▲△●○★☆♠♣♥♦✓✗🙂🚀🐍💡\u200b\u00a0"


class UnicodeText(spaces.Text):
    """gymnasium's Text space for any Unicode string: product titles, source code and game messages keep every
    character. gymnasium's Text needs an explicit charset and listing all 1.1M code points is wasteful, so
    `contains` accepts any str within the length bounds, while `sample` draws from SAMPLE_CHARSET (ASCII and
    non-ASCII). gymnasium's env checker and ours accept it as a Text space."""

    def __init__(self, max_length: int = MAX_TEXT_LENGTH, *, min_length: int = 0, seed: Any = None):
        # gymnasium indexes its charset as a tuple and a set; they must agree, so no character may repeat.
        super().__init__(max_length=max_length, min_length=min_length, charset="".join(dict.fromkeys(SAMPLE_CHARSET)),
                         seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    @property
    def is_np_flattenable(self) -> bool:
        return False  # flattening indexes characters in the charset, which does not hold every character

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, UnicodeText) and self.min_length == other.min_length
                and self.max_length == other.max_length)


def text_space(max_length: int = MAX_TEXT_LENGTH) -> UnicodeText:
    """The space of an env's text observations and actions: any Unicode string of at most max_length characters."""
    return UnicodeText(max_length)


class ImageList(spaces.Space):
    """A list of RGB images (H x W x 3 uint8 arrays, any size up to the bounds): the "images" of a visual
    observation {"text": str, "images": [arrays]}. gymnasium's Sequence space wants tuples of one fixed shape; screens
    and crops come in many sizes."""

    def __init__(self, max_images: int = 8, max_height: int = 4096, max_width: int = 4096, seed: Any = None):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.max_images, self.max_height, self.max_width = max_images, max_height, max_width

    def contains(self, x: Any) -> bool:
        if not isinstance(x, (list, tuple)) or len(x) > self.max_images:
            return False
        return all(isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3
                   and 0 < a.shape[0] <= self.max_height and 0 < a.shape[1] <= self.max_width for a in x)

    def sample(self, mask: Any = None, probability: Any = None) -> list[np.ndarray]:
        n = int(self.np_random.integers(0, self.max_images + 1))
        return [self.np_random.integers(0, 256, size=(int(self.np_random.integers(1, 65)),
                                                      int(self.np_random.integers(1, 65)), 3), dtype=np.uint8)
                for _ in range(n)]

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"ImageList(max_images={self.max_images}, max_height={self.max_height}, max_width={self.max_width})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, ImageList) and (self.max_images, self.max_height, self.max_width) == (
            other.max_images, other.max_height, other.max_width)


def visual_observation_space(max_images: int = 8, max_height: int = 4096, max_width: int = 4096) -> spaces.Dict:
    """The observation space of visual envs: {"text": UnicodeText, "images": ImageList}."""
    return spaces.Dict({"text": text_space(), "images": ImageList(max_images, max_height, max_width)})


# ---------------------------------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One task instance. `params` must be JSON-typed: it is how the env rebuilds the task."""

    id: str
    """Unique within its suite, stable across versions of the split (e.g. "adventure/train/00042")."""
    split: str
    seed: int = 0
    """Seed of the task's procedural generation (not of the episode's sampling)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Env-specific settings: difficulty knobs, layout family, hidden object, ..."""
    answer: str | None = None
    """Ground truth where the task has one (the hidden object in 20 questions); envs put it in info["answer"]."""
    family: str | None = None
    """Layout or quest family; a held-out split may hold families never seen in training."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "split": self.split, "seed": self.seed, "params": dict(self.params),
                "answer": self.answer, "family": self.family}


class TaskSuite:
    """Named, versioned splits of tasks. Held-out splits must not share a task (by id or by content) with training."""

    def __init__(self, name: str, version: str, splits: Mapping[str, Iterable[Task]],
                 train_splits: Iterable[str] = ("train",)) -> None:
        self.name = name
        self.version = version
        self._splits: dict[str, list[Task]] = {k: list(v) for k, v in splits.items()}
        self.train_splits = tuple(train_splits)
        for s in self.train_splits:
            if s not in self._splits:
                raise ValueError(f"suite {name!r}: train split {s!r} is not one of its splits {self.split_names}")
        self._by_id: dict[str, Task] = {}
        for split, tasks in self._splits.items():
            for t in tasks:
                if t.split != split:
                    raise ValueError(f"suite {name!r}: task {t.id!r} says split {t.split!r} but sits in {split!r}")
                if t.id in self._by_id:
                    raise ValueError(f"suite {name!r}: task id {t.id!r} appears twice")
                self._by_id[t.id] = t

    @property
    def split_names(self) -> list[str]:
        return list(self._splits)

    @property
    def heldout_splits(self) -> list[str]:
        return [s for s in self._splits if s not in self.train_splits]

    def split(self, name: str) -> list[Task]:
        if name not in self._splits:
            raise KeyError(f"suite {self.name!r} has no split {name!r}; its splits are {self.split_names}")
        return list(self._splits[name])

    def get(self, task_id: str) -> Task:
        try:
            return self._by_id[task_id]
        except KeyError:
            raise KeyError(f"suite {self.name!r} has no task {task_id!r}") from None

    def __iter__(self) -> Iterator[Task]:
        for tasks in self._splits.values():
            yield from tasks

    def __len__(self) -> int:
        return len(self._by_id)

    def overlaps(self) -> list[str]:
        """Every way a held-out split leaks into a training split (same content), in words. Empty means disjoint."""
        problems = []
        train = {_content_key(t): t for s in self.train_splits for t in self._splits[s]}
        for s in self.heldout_splits:
            for t in self._splits[s]:
                other = train.get(_content_key(t))
                if other is not None:
                    problems.append(f"held-out task {t.id!r} ({s}) is the same task as {other.id!r} ({other.split})")
        return problems

    def describe(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)}" for k, v in self._splits.items())
        return f"{self.name} v{self.version} ({sizes})"


def _content_key(t: Task) -> str:
    import json

    return json.dumps({"seed": t.seed, "params": dict(t.params), "answer": t.answer}, sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------------------------------------
# The env
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class StepOutcome:
    """What an env's `_act` reports for one action."""

    observation: str
    reward: float = 0.0
    terminated: bool = False
    valid_action: bool = True
    success: bool = False
    progress: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    """Extra env-specific info (admissible_actions, score, ...). The contract keys are filled by the base class."""


class AgentEnv(gym.Env):
    """Base class of every agentgym environment: text actions, text (or text+image) observations, multi-turn.

    Subclasses set `suite` (a TaskSuite) and implement `_start`, `_act` and `oracle_action`; they may override
    `system_prompt` and `observation_space` (visual envs use visual_observation_space(): "text" and "images").
    """

    metadata = {"render_modes": ["ansi"]}
    suite: TaskSuite
    default_max_turns: int = 50
    window_head: WindowHead = "task"
    """What windowed-history prompts keep before the last K turns: "task" (the system prompt and the first
    observation, which states the task) or "system" (the system prompt alone: envs whose first observation is only
    the first screen and whose system prompt states the goal)."""

    def __init__(self, *, max_turns: int | None = None, split: str | None = None, render_mode: str | None = None):
        if max_turns is not None and max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.max_turns = max_turns or self.default_max_turns
        self.default_split = split or self.suite.train_splits[0]
        self.suite.split(self.default_split)  # validates the name
        self.render_mode = render_mode
        self.observation_space = text_space()
        self.action_space = text_space(4096)
        self.task: Task | None = None
        self.turn = 0
        self._last_obs = ""
        self._done = False
        self._success = False
        self._progress = 0.0

    # -- hooks for subclasses -----------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        """Set up the episode for `task`; return the first observation text."""
        raise NotImplementedError

    def _act(self, action: str) -> StepOutcome:
        """Parse and execute one action. Unparseable input returns feedback with valid_action=False, never raises."""
        raise NotImplementedError

    def oracle_action(self) -> str:
        """The expert's next action from the true state of the current episode."""
        raise NotImplementedError

    def _extra_info(self) -> dict[str, Any]:
        """Env-specific info added on reset and on every step (e.g. admissible_actions)."""
        return {}

    @property
    def system_prompt(self) -> str:
        """Instructions shown to the agent before the first observation."""
        return "You are an agent acting in a text environment. Reply with one action per turn."

    # -- gymnasium API ------------------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        self.task = self._pick_task(options)
        self.turn = 0
        self._done = False
        self._success = False
        self._progress = 0.0
        obs = self._start(self.task, self.np_random)
        self._last_obs = obs
        info = self._info(valid_action=True)
        return self._wrap_obs(obs), info

    def step(self, action: str) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self.task is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._done:
            raise gym.error.ResetNeeded("the episode has ended; call reset() before step()")
        if not isinstance(action, str):
            raise TypeError(f"actions are text: step() takes a str, got {type(action).__name__}")
        out = self._act(action)
        self.turn += 1
        self._success = bool(out.success)
        self._progress = float(min(1.0, max(0.0, out.progress)))
        terminated = bool(out.terminated)
        truncated = (not terminated) and self.turn >= self.max_turns
        self._done = terminated or truncated
        obs = out.observation
        self._last_obs = obs
        info = self._info(valid_action=out.valid_action, extra=out.info)
        info["terminated_reason"] = "task_end" if terminated else ("turn_limit" if truncated else None)
        return self._wrap_obs(obs), float(out.reward), terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_obs
        return None

    # -- helpers ------------------------------------------------------------------------------------------------------
    def _wrap_obs(self, text: str) -> Any:
        """Text envs return the text; visual envs (observation_space = visual_observation_space()) override this to
        return {"text": text, "images": [RGB arrays of the current screen]}."""
        return text

    def _pick_task(self, options: dict[str, Any]) -> Task:
        return pick_task(self.suite, options, self.default_split, self.np_random, tasks_of=self.tasks)

    def _info(self, *, valid_action: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.task is not None
        info: dict[str, Any] = dict(self._extra_info())
        info.update(extra or {})
        info.update(task_id=self.task.id, turn=self.turn, valid_action=bool(valid_action),
                    success=self._success, progress=self._progress)
        if self.task.answer is not None:
            info["answer"] = self.task.answer
        return info

    def tasks(self, split: str) -> list[Task]:
        """The tasks of `split` this env instance plays: a plain reset samples from them and `agentgym eval` takes
        them in order. Envs with constructor filters (a difficulty level, say) override this."""
        return self.suite.split(split)


def pick_task(suite: TaskSuite, options: dict[str, Any], default_split: str, rng: np.random.Generator, *,
              tasks_of: Callable[[str], list[Task]] | None = None) -> Task:
    """The task a reset plays: options["task"] (a Task, or an id in `suite`), else one drawn with `rng` from
    options["split"] (default `default_split`). tasks_of: the env's own split filter (AgentEnv.tasks)."""
    task = options.get("task")
    if isinstance(task, Task):
        return task
    if isinstance(task, str):
        return suite.get(task)
    if task is not None:
        raise TypeError(f"options['task'] must be a task id (str) or a Task, got {type(task).__name__}")
    split = options.get("split", default_split)
    tasks = (tasks_of or suite.split)(split)
    if not tasks:
        raise ValueError(f"split {split!r} of {suite.name!r} is empty")
    return tasks[int(rng.integers(len(tasks)))]
