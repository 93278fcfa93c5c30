"""One warm Chromium per worker (process and thread), a fresh browser context per episode.

Playwright's sync API belongs to the thread that started it, so the warm browser is kept per (process, thread):
envs on the same worker share it, and each env episode gets its own `BrowserContext` (cookies, storage and pages
start empty). The browser is reference-counted: the last env to `release()` it closes Chromium and Playwright's
driver, so nothing is left running after `env.close()`. When Chromium dies (crash, OOM kill), the next `context()`
call starts a fresh one; the episode that was running raises `BrowserCrashed`, which the rollout records on the
trajectory as an env error.

Chromium is Debian's (`/usr/bin/chromium`, apt-get install chromium; scripts/setup.sh --dev does it), headless,
with --no-sandbox (containers and CI run as root, where Chromium's sandbox cannot start). Playwright's own browser
download is not used. `AGENTGYM_CHROMIUM` overrides the path.
"""

from __future__ import annotations

import os
import shutil
import threading
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none",
               "--hide-scrollbars", "--mute-audio")


class BrowserCrashed(RuntimeError):
    """Chromium died (or its connection broke) during an episode; the browser is restarted on the next reset."""


def chromium_path() -> str:
    path = os.environ.get("AGENTGYM_CHROMIUM") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        found = shutil.which("chromium") or shutil.which("chromium-browser")
        if found is None:
            raise FileNotFoundError(
                f"no Chromium at {path!r}: the GUI envs drive Debian's Chromium. Install it with "
                "`apt-get install -y chromium` (scripts/setup.sh --dev does), or point AGENTGYM_CHROMIUM at one.")
        path = found
    return path


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise ImportError("the GUI envs need Playwright: install it with `pip install 'agentgym[gui]'`") from e
    return sync_playwright


class WarmBrowser:
    """A Chromium kept running across episodes. Use `shared_browser()` to get the one of the current worker."""

    def __init__(self) -> None:
        self._pw: Any = None
        self._browser: Any = None
        self.restarts = 0
        """How many times Chromium was started again after it died."""
        self.pids: set[int] = set()
        """Processes this browser started (Playwright's driver, Chromium and its helpers), for leak checks."""
        self._users = 0

    # -- life -----------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        import psutil

        me = psutil.Process()
        before = {p.pid for p in me.children(recursive=True)}
        if self._pw is None:
            self._pw = _sync_playwright()().start()
        self._browser = self._pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=list(LAUNCH_ARGS))
        self.pids |= {p.pid for p in me.children(recursive=True)} - before

    @property
    def alive(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    def context(self, **options: Any) -> Any:
        """A fresh BrowserContext (viewport, device_scale_factor, ... as Playwright takes them). Starts Chromium, or
        starts it again when it died since the last call."""
        if self._browser is not None and not self._browser.is_connected():
            self._discard()
            self.restarts += 1
        if self._browser is None:
            self._start()
        try:
            return self._browser.new_context(**options)
        except Exception as e:  # the connection broke between the check and the call
            if self._browser.is_connected():
                raise
            raise BrowserCrashed(f"Chromium died while opening a context: {e}") from e

    def _discard(self) -> None:
        """Forget a dead browser; kill whatever of its processes is left."""
        try:
            if self._browser is not None:
                self._browser.close()
        except Exception:
            pass  # already gone: the point is to drop it
        self._browser = None
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        import psutil

        for pid in list(self.pids):
            try:
                p = psutil.Process(pid)
                if p.name() and p.status() != psutil.STATUS_ZOMBIE and "chrom" in p.name().lower():
                    p.kill()
            except psutil.Error:
                pass

    def close(self) -> None:
        """Close Chromium and Playwright's driver; nothing this browser started keeps running."""
        self._discard()
        if self._pw is not None:
            try:
                self._pw.stop()
            except Exception:
                pass
            self._pw = None
        import psutil

        # Playwright waits for its driver; Chromium's helpers go with the browser. Reap any straggler we started.
        for pid in list(self.pids):
            try:
                psutil.Process(pid).wait(timeout=5)
            except psutil.TimeoutExpired:
                try:
                    psutil.Process(pid).kill()
                except psutil.Error:
                    pass
            except psutil.Error:
                pass

    def chromium_pids(self) -> list[int]:
        """Live Chromium processes of this browser (for tests that kill it or check it is gone)."""
        import psutil

        out = []
        for pid in self.pids:
            try:
                p = psutil.Process(pid)
                if "chrom" in p.name().lower() and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.Error:
                pass
        return sorted(out)


_SHARED: dict[tuple[int, int], WarmBrowser] = {}
_LOCK = threading.Lock()


def shared_browser() -> WarmBrowser:
    """The warm browser of this worker (process and thread), counted as one more user until `release()`."""
    key = (os.getpid(), threading.get_ident())
    with _LOCK:
        b = _SHARED.get(key)
        if b is None:
            b = _SHARED[key] = WarmBrowser()
        b._users += 1
    return b


def release(browser: WarmBrowser) -> None:
    """One user fewer; the last one closes the browser."""
    with _LOCK:
        browser._users -= 1
        last = browser._users <= 0
        if last:
            for k, v in list(_SHARED.items()):
                if v is browser:
                    del _SHARED[k]
    if last:
        browser.close()
