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
