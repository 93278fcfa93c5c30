"""Toy envs for tests/core/test_runners.py, in a module of their own so that worker processes can import them by
module path (process runners pickle their factory by reference; a worker imports this module to rebuild it).

Plain gymnasium envs with text observations: each misbehaves in one way a real env can (bound to its thread, raises,
hangs with a child process, kills its own process, fails to build).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid

import gymnasium as gym
from gymnasium import spaces


class _TextEnv(gym.Env):
    def __init__(self) -> None:
        self.observation_space = spaces.Text(max_length=1000)
        self.action_space = spaces.Text(max_length=1000)
        self.turn = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.turn = 0
        return f"start seed={seed}", {"pid": os.getpid()}

    def step(self, action):
        self.turn += 1
        return f"{action} #{self.turn}", float(self.turn), False, False, {"pid": os.getpid()}


class ThreadAffineEnv(_TextEnv):
    """Like Playwright's sync API: every call must come from the thread that created the env, or it raises.

    close() writes a marker file into `marker_dir` (when given), proving it ran, and ran on the right thread.
    """

    def __init__(self, marker_dir: str | None = None) -> None:
        super().__init__()
        self.owner = threading.get_ident()
        self.marker_dir = marker_dir

    def _check(self, what: str) -> None:
        here = threading.get_ident()
        if here != self.owner:
            raise RuntimeError(f"{what}() called from thread {here}; this env belongs to thread {self.owner}")

    def reset(self, *, seed=None, options=None):
        self._check("reset")
        obs, info = super().reset(seed=seed, options=options)
        return obs, {**info, "thread": threading.get_ident()}

    def step(self, action):
        self._check("step")
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, reward, terminated, truncated, {**info, "thread": threading.get_ident()}

    def oracle_action(self) -> str:
        self._check("oracle_action")
        return f"go {self.turn}"

    def close(self) -> None:
        self._check("close")
        if self.marker_dir is not None:
            with open(os.path.join(self.marker_dir, f"closed-{os.getpid()}-{uuid.uuid4().hex}"), "w") as f:
                f.write(str(self.turn))


class RaisingEnv(_TextEnv):
    """Raises ValueError inside step on turn `fail_on`."""

    def __init__(self, fail_on: int = 2) -> None:
        super().__init__()
        self.fail_on = fail_on

    def step(self, action):
        if self.turn + 1 == self.fail_on:
            raise ValueError(f"cannot step {action!r} on turn {self.fail_on}")
        return super().step(action)


class HangingEnv(_TextEnv):
    """step() starts a child process (a browser, say), writes its pid to `pid_file`, then blocks forever."""

    def __init__(self, pid_file: str) -> None:
        super().__init__()
        self.pid_file = pid_file

    def step(self, action):
        child = subprocess.Popen(["sleep", "300"])
        tmp = self.pid_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(child.pid))
        os.replace(tmp, self.pid_file)  # the test never reads a half-written file
        while True:
            time.sleep(60)


class ExitingEnv(_TextEnv):
    """The worker process dies inside step (a segfault in C code, say): os._exit(3)."""

    def step(self, action):
        os._exit(3)


class BlockingEnv(_TextEnv):
    """step() blocks forever when `block` is set; otherwise it returns at once."""

    def __init__(self, block: bool) -> None:
        super().__init__()
        self.block = block

    def step(self, action):
        while self.block:
            time.sleep(60)
        return super().step(action)


class FailingInitEnv(_TextEnv):
    """The constructor writes the worker's pid into `pid_dir`, then raises (a missing browser binary, say)."""

    def __init__(self, pid_dir: str) -> None:
        with open(os.path.join(pid_dir, str(os.getpid())), "w"):
            pass
        raise FileNotFoundError("browser binary not found at /opt/chrome")


# Module-level ops to send to runners (process runners pickle them by reference).
def current_thread_and_pid(env) -> tuple[int, int]:
    return threading.get_ident(), os.getpid()


def unpicklable_result(env):
    return lambda: None
