"""Render generated screens in Chromium and read their target boxes in the page.

A `ScreenSpec` (template, style, viewport, device scale factor, seed) fully determines a screen. Rendering it:
set the page's HTML (no network), read every `[data-gt]` element's box with getBoundingClientRect, keep those that
are visible (inside the viewport, at least 2 CSS px each way, not hidden or transparent) and not covered (the element
at the box centre, document.elementFromPoint, is the element itself or a descendant) and whose label is unique among
the visible ones (so the instruction names one element), scale boxes by the device scale factor to screenshot
pixels, and take the screenshot: Chromium's own Page.captureScreenshot over CDP with optimizeForSpeed (a faster
PNG compression level, the same pixels as Playwright's page.screenshot, which a test checks; about 2.5x faster).
The templates have no animation and focus no field, so there is no caret to hide.

Screens are cached on disk (`<cache>/screens/v<GENERATOR_VERSION>/<key>.png|.json`, key = hash of the spec) and in
memory, so an episode on a screen seen before costs a file read at most. The pixels are deterministic for one
Chromium build and font set; another machine may antialias text differently (the boxes do not change).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentgym.envs.gui.grounding.templates import VIEWPORTS, Style, page_html

GENERATOR_VERSION = 1
"""Bump when templates, styles or the element filter change: cached screens of other versions are ignored."""

_COLLECT_JS = r"""() => {
  const all = [...document.querySelectorAll('[data-gt]')];
  return all.map((el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    let visible = r.width >= 2 && r.height >= 2 && cs.visibility !== 'hidden' && cs.display !== 'none'
      && parseFloat(cs.opacity) > 0.05 && r.left >= 0 && r.top >= 0
      && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
    let covered = true;
    if (visible) {
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      covered = !(hit && (hit === el || el.contains(hit)));
    }
    return {kind: el.dataset.gt, label: el.dataset.label, role: el.dataset.role,
            box: [r.left, r.top, r.right, r.bottom], visible, covered};
  });
}"""


def default_cache_dir() -> Path:
    """$AGENTGYM_CACHE/gui, else ~/.cache/agentgym/gui."""
    root = os.environ.get("AGENTGYM_CACHE") or os.path.join(Path.home(), ".cache", "agentgym")
    return Path(root) / "gui"


@dataclass(frozen=True)
class ScreenSpec:
    template: str
    theme: str
    font: str
    density: str
    icon_set: str
    font_px: int
    viewport: str
    """"phone" | "laptop" | "desktop" (CSS sizes in templates.VIEWPORTS)."""
    scale: float
    """Device scale factor: screenshot pixels per CSS pixel."""
    seed: int

    def key(self) -> str:
        blob = json.dumps({"v": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    @property
    def style(self) -> Style:
        return Style(theme=self.theme, font=self.font, density=self.density, icon_set=self.icon_set,
                     font_px=self.font_px)


@dataclass(frozen=True)
class Element:
    """One target on a screen: its box in screenshot pixels (corners) and what it is."""

    box: tuple[int, int, int, int]
    label: str
    role: str
    ui_type: str
    """"text" or "icon" (ScreenSpot's two element types)."""


@dataclass
class Screen:
    spec: ScreenSpec
    image_path: Path
    size: tuple[int, int]
    """(width, height) of the screenshot in pixels."""
    elements: list[Element]
    background: tuple[int, int, int]
    """The page's background colour (RGB), for checks that a box holds something drawn."""
    render_ms: float = 0.0
    screenshot_ms: float = 0.0
    """Time to render and read the page, and to take the screenshot (0 when read from the cache)."""


def _hex_rgb(h: str) -> tuple[int, int, int]:
    h = h.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def select_elements(raw: list[dict[str, Any]], scale: float, size: tuple[int, int]) -> list[Element]:
    """The usable targets among the page's candidates: visible, uncovered, unambiguous; boxes in pixels."""
    counts: dict[tuple[str, str], int] = {}
    for r in raw:
        if r["visible"]:
            k = (r["kind"], r["label"].strip().lower())
            counts[k] = counts.get(k, 0) + 1
    out = []
    w, h = size
    for r in raw:
        if not r["visible"] or r["covered"] or counts[(r["kind"], r["label"].strip().lower())] != 1:
            continue
        x1, y1, x2, y2 = r["box"]
        box = (max(0, math.floor(x1 * scale)), max(0, math.floor(y1 * scale)), min(w, math.ceil(x2 * scale)),
               min(h, math.ceil(y2 * scale)))
        out.append(Element(box=box, label=r["label"].strip(), role=r["role"], ui_type=r["kind"]))
    return out


class ScreenRenderer:
    """Renders ScreenSpecs with a warm browser; one page per (viewport, scale) is reused across screens."""

    def __init__(self, cache_dir: str | os.PathLike | None = None, *, memory_items: int = 64):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._browser = None
        self._pages: dict[tuple[str, float], Any] = {}
        self._cdp: dict[tuple[str, float], Any] = {}
        self._memory: OrderedDict[str, tuple[Screen, np.ndarray]] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()

    # -- cache ----------------------------------------------------------------------------------------------------
    def _paths(self, spec: ScreenSpec) -> tuple[Path, Path]:
        d = self.cache_dir / "screens" / f"v{GENERATOR_VERSION}"
        return d / f"{spec.key()}.png", d / f"{spec.key()}.json"

    def load(self, spec: ScreenSpec) -> tuple[Screen, np.ndarray]:
        """The screen and its pixels: from memory, from the disk cache, or rendered now (and cached)."""
        key = spec.key()
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit
        png, meta = self._paths(spec)
        screen = None
        if png.exists() and meta.exists():
            try:
                screen = _screen_from_json(spec, png, json.loads(meta.read_text()))
                from agentgym.types import read_png

                pixels = read_png(str(png))
            except (ValueError, KeyError, OSError):
                screen = None  # a half-written or stale entry: render again
        if screen is None:
            screen, pixels = self.render(spec)
        with self._lock:
            self._memory[key] = (screen, pixels)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)
        return screen, pixels

    # -- rendering ------------------------------------------------------------------------------------------------
    def _page(self, viewport: str, scale: float) -> Any:
        from agentgym.envs.gui.browser import shared_browser

        if self._browser is None:
            self._browser = shared_browser()
        page = self._pages.get((viewport, scale))
        if page is None or page.is_closed() or not self._browser.alive:
            if not self._browser.alive:
                self._pages.clear()
            w, h, _ = VIEWPORTS[viewport]
            ctx = self._browser.context(viewport={"width": w, "height": h}, device_scale_factor=scale,
                                        java_script_enabled=True, reduced_motion="reduce")
            page = self._pages[(viewport, scale)] = ctx.new_page()
            self._cdp[(viewport, scale)] = ctx.new_cdp_session(page)
        return page

    def screenshot(self, viewport: str, scale: float) -> bytes:
        """PNG of the page of (viewport, scale) at device resolution, through CDP (see the module docstring)."""
        import base64

        w, h, _ = VIEWPORTS[viewport]
        shot = self._cdp[(viewport, scale)].send("Page.captureScreenshot", {
            "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": False,
            "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": scale}})
        return base64.b64decode(shot["data"])

    def render(self, spec: ScreenSpec) -> tuple[Screen, np.ndarray]:
        """Render `spec` now (ignoring the cache) and write it to the cache."""
        from agentgym.types import decode_png

        page = self._page(spec.viewport, spec.scale)
        t0 = time.perf_counter()
        page.set_content(page_html(spec.template, spec.style, spec.seed), wait_until="load")
        raw = page.evaluate(_COLLECT_JS)
        t1 = time.perf_counter()
        data = self.screenshot(spec.viewport, spec.scale)
        t2 = time.perf_counter()
        pixels = decode_png(data)
        size = (int(pixels.shape[1]), int(pixels.shape[0]))
        elements = select_elements(raw, spec.scale, size)
        png, meta = self._paths(spec)
        png.parent.mkdir(parents=True, exist_ok=True)
        bg = _hex_rgb(spec.style.colors["bg"])
        screen = Screen(spec=spec, image_path=png, size=size, elements=elements, background=bg,
                        render_ms=(t1 - t0) * 1000, screenshot_ms=(t2 - t1) * 1000)
        _atomic_write(png, data)
        _atomic_write(meta, json.dumps({"size": list(size), "background": list(bg),
                                        "elements": [asdict(e) for e in elements]}).encode())
        return screen, pixels

    def close(self) -> None:
        from agentgym.envs.gui.browser import release

        for page in self._pages.values():
            try:
                page.context.close()
            except Exception:
                pass  # the browser may be gone already; release() below cleans up either way
        self._pages.clear()
        self._cdp.clear()
        if self._browser is not None:
            release(self._browser)
            self._browser = None


def _screen_from_json(spec: ScreenSpec, png: Path, d: dict[str, Any]) -> Screen:
    return Screen(spec=spec, image_path=png, size=(int(d["size"][0]), int(d["size"][1])),
                  elements=[Element(box=tuple(e["box"]), label=e["label"], role=e["role"], ui_type=e["ui_type"])
                            for e in d["elements"]],
                  background=tuple(d["background"]))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
