"""Ctrl-C and SIGTERM while a long command runs (an eval, a training run): one handler for both, for the duration."""

from __future__ import annotations

import contextlib
import signal
from typing import Any, Callable, Iterator


@contextlib.contextmanager
def on_interrupt(handler: Callable[[int, Any], None]) -> Iterator[bool]:
    """Call `handler(signum, frame)` on SIGINT and SIGTERM (what `kill`, a scheduler or `docker stop` sends) while
    the block runs; the previous handlers come back after it. SIGINT is installed explicitly: a process started in
    the background of a non-interactive shell inherits SIGINT ignored, and would never see Ctrl-C otherwise. Yields
    False, installing nothing, outside the main thread (Python delivers signals to the main thread only)."""
    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread
        yield False
        return
    try:
        yield True
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    """A handler that makes SIGTERM (and an inherited-ignored SIGINT) a KeyboardInterrupt, like Ctrl-C."""
    raise KeyboardInterrupt
