"""Small envs for testing the core: the example plugin's GuessNumber env, and envs that misbehave on purpose."""

from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "plugin_env", "src"))

from guessnum import GuessNumberEnv  # noqa: E402

__all__ = ["GuessNumberEnv", "SlowEnv", "CrashingEnv", "NoisyEnv", "RaisingOnBadInputEnv"]


class SlowEnv(GuessNumberEnv):
    """Steps on task 'guess/train/1' block for `delay` seconds; the others are instant."""

    delay = 1.5
    started = threading.Event()

    def _act(self, action):
        if self.task.id == "guess/train/1":
            time.sleep(self.delay)
        return super()._act(action)


class CrashingEnv(GuessNumberEnv):
    """Raises inside step on its second turn (a sandbox crash, say)."""

    def _act(self, action):
        if self.turn == 1:
            raise RuntimeError("sandbox died")
        return super()._act(action)


class NoisyEnv(GuessNumberEnv):
    """Not deterministic: draws from the global clock instead of self.np_random."""

    def _start(self, task, rng):
        super()._start(task, rng)
        return f"I am thinking of a number. (t={time.perf_counter_ns()})"


class RaisingOnBadInputEnv(GuessNumberEnv):
    """Breaks the contract: raises on actions it cannot parse."""

    def _act(self, action):
        if not action.strip().isdigit():
            raise ValueError(f"cannot parse {action!r}")
        return super()._act(action)


class ThreadAffineGuessEnv(GuessNumberEnv):
    """GuessNumber bound to the thread that built it, as Playwright's sync API is: any call from another thread
    raises. Under the rollout's thread and process runners it must still play normally."""

    def __init__(self, **kw):
        self._owner = threading.get_ident()
        super().__init__(**kw)

    def _check(self):
        if threading.get_ident() != self._owner:
            raise RuntimeError(f"called from thread {threading.get_ident()}, owned by thread {self._owner}")

    def reset(self, **kw):
        self._check()
        return super().reset(**kw)

    def step(self, action):
        self._check()
        return super().step(action)

    def oracle_action(self):
        self._check()
        return super().oracle_action()


class UnicodeImageEnv(GuessNumberEnv):
    """A visual GuessNumber: non-ASCII text and an image of the current interval in every observation.

    The image is 8 x 100 pixels; column c is lit (255, 0, 0) while c + 1 is still possible, so each step's picture
    differs from the last."""

    def __init__(self, **kw):
        super().__init__(**kw)
        from agentgym.core import visual_observation_space

        self.observation_space = visual_observation_space(max_images=2, max_height=8, max_width=100)

    def _start(self, task, rng):
        super()._start(task, rng)
        return "Je pense à un nombre — 日本語 🙂 — entre 1 et 100."

    def _wrap_obs(self, text):
        import numpy as np

        img = np.zeros((8, 100, 3), dtype=np.uint8)
        img[:, self.low - 1:self.high, 0] = 255
        return {"text": text, "images": [img]}
