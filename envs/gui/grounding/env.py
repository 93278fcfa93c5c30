"""agentgym/GUIGrounding-v0: find the element an instruction names on a screenshot (ScreenSpot's task)."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any, Literal

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite, visual_observation_space
from agentgym.envs.gui.grounding import tasks as grounding_tasks
from agentgym.envs.gui.grounding.actions import parse_grounding
from agentgym.envs.gui.grounding.oracle import oracle_click
from agentgym.envs.gui.grounding.rewards import GUI_G2_ALPHA, score

RewardName = Literal["point_in_box", "gui_g2"]
SCREENSPOT_SPLIT = "screenspot"


class GUIGroundingEnv(AgentEnv):
    """GUI grounding on screens rendered in a real Chromium: one instruction, one answer.

    Task:
        Point at the element an instruction names ("Click the \\"Save changes\\" button.", "Open the settings.") on a
        screenshot of an app or web page. Screens are generated from HTML templates (navigation bars, forms, tables,
        settings panes, menus; held out: modal dialogs over a page and an editor with an icon toolbar), with random
        themes, fonts, densities, viewports (phone 390x844, laptop 1280x800, desktop 1920x1080 CSS px) and device
        scale factors; targets are text elements and icon buttons (tasks.py has the splits). With
        `screenspot=PATH` the env also serves a real ScreenSpot v1/v2 or ScreenSpot-Pro annotation file as the
        split "screenspot".

    Observation:
        {"text": the instruction and the answer format, "images": [the screenshot, H x W x 3 uint8]}. The image is
        the screenshot at full resolution (device pixels), or shrunk to at most `max_pixels` pixels; coordinates
        are in the pixels of the image shown.

    Actions:
        One answer: a point `click(x, y)` (also `(x, y)` or `[x, y]`) or a box `[x1, y1, x2, y2]` (corners). The last
        answer in the text counts. Anything else is a miss with info["valid_action"] = False.

    Reward:
        reward="point_in_box" (default): 1 when the point (a box: its centre) lies in the target box, edges included
        (ScreenSpot's metric), else 0. reward="gui_g2": GUI-G2's Gaussian rewards (Tang et al. 2025), point reward
        exp(-1/2 (dx^2/sx^2 + dy^2/sy^2)) with sigma = alpha x the target's width and height (alpha = 0.5), plus for
        a box the coverage reward exp(-Bhattacharyya distance) between its Gaussian and the target's; total in
        [0, 2] (rewards.py has the formulas). Unparseable answers get 0 under both. info["success"] is always the
        point-in-box hit; info also has "point_reward", "coverage_reward", "target_box" (pixels of the image shown),
        "prediction", "ui_type" and "instruction".

    Episode end:
        Terminated after the one answer. There is no truncation (max_turns is 1).

    Arguments:
        reward: "point_in_box" | "gui_g2".
        alpha: GUI-G2's sigma scale (0.5).
        max_pixels: shrink screenshots above this many pixels (keeping the aspect ratio) before showing them;
            None shows them at full resolution.
        cache_dir: where rendered screens are cached (default $AGENTGYM_CACHE/gui or ~/.cache/agentgym/gui).
        screens_per_split: resets without a task sample only from the first N screens of the split (a quick
            conformance check or a small training pool); None uses every screen.
        screenspot, image_root: a ScreenSpot v1/v2 or ScreenSpot-Pro annotation file (and the folder its
            img_filename entries are relative to), served as split "screenspot".
        split: the default split ("train"; also "heldout").

    Dependencies:
        Extra `gui` (Playwright, psutil); Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`,
        done by scripts/setup.sh --dev). No Playwright browser download.

    Departures from the original:
        ScreenSpot's and ScreenSpot-Pro's images cannot be downloaded here, so the default suite is generated in
        their schema (loader for the real files included). Generated instructions are templated phrasings of labels
        and icon purposes, not human-written. Our ui_type/group fields mean text|icon and the template family. GUI-G2's
        rewards are not rounded to 3 decimals and use no covariance epsilon (see rewards.py), and a point answer has
        no coverage term. ScreenSpot images are shown at full resolution unless max_pixels says otherwise (models
        resize them in their own processors).

    Version history:
        v0: first version (suite "gui-grounding" v1, generator v1).
    """

    suite = grounding_tasks.SUITE
    default_max_turns = 1

    def __init__(self, *, reward: RewardName = "point_in_box", alpha: float = GUI_G2_ALPHA,
                 max_pixels: int | None = None, cache_dir: str | os.PathLike | None = None,
                 screens_per_split: int | None = None, screenspot: str | os.PathLike | None = None,
                 image_root: str | os.PathLike | None = None, max_turns: int | None = None,
                 split: str | None = None, render_mode: str | None = None):
        if reward not in ("point_in_box", "gui_g2"):
            raise ValueError(f"reward must be 'point_in_box' or 'gui_g2', got {reward!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        if max_pixels is not None and max_pixels < 64 * 64:
            raise ValueError(f"max_pixels must be at least 4096 (64 x 64) or None, got {max_pixels}")
        if screens_per_split is not None and screens_per_split < 1:
            raise ValueError(f"screens_per_split must be >= 1 or None, got {screens_per_split}")
        if max_turns not in (None, 1):
            raise ValueError(f"GUIGrounding episodes are one answer long: max_turns must be 1 or None, got {max_turns}")
        self._samples = []
        if screenspot is not None:
            from agentgym.envs.gui.grounding.screenspot import load_screenspot

            self._samples = load_screenspot(screenspot, image_root=image_root)
            base = grounding_tasks.SUITE
            extra = [Task(id=f"{SCREENSPOT_SPLIT}/{s.id}", split=SCREENSPOT_SPLIT, params={"sample": i},
                          family=s.group or s.platform) for i, s in enumerate(self._samples)]
            self.suite = TaskSuite(base.name, base.version, {**{n: base.split(n) for n in base.split_names},
                                                             SCREENSPOT_SPLIT: extra})
        super().__init__(max_turns=1, split=split, render_mode=render_mode)
        self.reward_name: RewardName = reward
        self.alpha = alpha
        self.max_pixels = max_pixels
        self.screens_per_split = screens_per_split
        self.observation_space = visual_observation_space(max_images=1)
        from agentgym.envs.gui.grounding.generator import ScreenRenderer

        self.renderer = ScreenRenderer(cache_dir)
        self._pixels: np.ndarray | None = None
        self._target: tuple[float, float, float, float] | None = None
        self._scale = 1.0
        self._instruction = ""
        self._ui_type = "text"

    # -- tasks ---------------------------------------------------------------------------------------------------------
    def tasks(self, split: str) -> list[Task]:
        tasks = self.suite.split(split)
        if self.screens_per_split is None or split == SCREENSPOT_SPLIT:
            return tasks
        slots = grounding_tasks.SPLITS.get(split, (0, 1))[1]
        return tasks[: self.screens_per_split * slots]

    # -- hooks ---------------------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        if "sample" in task.params:
            pixels, target, instruction, ui_type = self._load_sample(task)
        else:
            spec = grounding_tasks.spec_from_params(dict(task.params))
            screen, pixels = self.renderer.load(spec)
            if not screen.elements:
                raise RuntimeError(f"screen of task {task.id!r} has no usable element (spec {asdict(spec)})")
            el = screen.elements[int(task.params["slot"]) % len(screen.elements)]
            target = tuple(float(v) for v in el.box)
            instruction = grounding_tasks.instruction_for(el, int(task.params["phrasing"]), spec.viewport)
            ui_type = el.ui_type
        self._pixels, self._scale = _shrink(pixels, self.max_pixels)
        self._target = target  # type: ignore[assignment]
        self._instruction, self._ui_type = instruction, ui_type
        h, w = self._pixels.shape[:2]
        return (f"Instruction: {instruction}\nThe screenshot is {w}x{h} pixels. Answer with click(x, y) or a box "
                "[x1, y1, x2, y2] in its pixels.")

    def _load_sample(self, task: Task):
        from agentgym.types import read_png

        s = self._samples[int(task.params["sample"])]
        pixels = read_png(s.image_path)
        return pixels, s.box, s.instruction, s.ui_type

    def _act(self, action: str) -> StepOutcome:
        assert self._target is not None
        pred = parse_grounding(action)
        shown_target = tuple(v * self._scale for v in self._target)
        info: dict[str, Any] = {"target_box": [round(v, 3) for v in shown_target], "instruction": self._instruction,
                                "ui_type": self._ui_type, "prediction": None, "point_reward": 0.0,
                                "coverage_reward": 0.0}
        if pred is None:
            return StepOutcome(observation="No answer found: reply with click(x, y) or [x1, y1, x2, y2].",
                               reward=0.0, terminated=True, valid_action=False, info=info)
        # score in screenshot pixels: predictions are in the pixels of the image shown
        s = score(tuple(v / self._scale for v in pred), self._target, alpha=self.alpha)
        info.update(prediction=list(pred), point_reward=s.point, coverage_reward=s.coverage)
        verdict = "inside" if s.hit else "outside"
        return StepOutcome(observation=f"Your answer {list(pred)} is {verdict} the target.",
                           reward=s.reward(self.reward_name), terminated=True, valid_action=True, success=s.hit,
                           progress=1.0 if s.hit else 0.0, info=info)

    def oracle_action(self) -> str:
        if self._target is None:
            raise RuntimeError("call reset() before oracle_action()")
        return oracle_click(self._target, self._scale)

    @property
    def system_prompt(self) -> str:
        return ("You are a GUI agent. You see a screenshot and an instruction; answer with the position of the "
                "element it names, as click(x, y) or as a box [x1, y1, x2, y2], in the screenshot's pixels.")

    def _wrap_obs(self, text: str) -> Any:
        on_reset = self.turn == 0 and self._pixels is not None
        return {"text": text, "images": [self._pixels] if on_reset else []}

    def close(self) -> None:
        self.renderer.close()
        super().close()


def _shrink(pixels: np.ndarray, max_pixels: int | None) -> tuple[np.ndarray, float]:
    """The image shrunk to at most max_pixels (Pillow's bicubic resize), and the scale applied."""
    h, w = pixels.shape[:2]
    if max_pixels is None or h * w <= max_pixels:
        return pixels, 1.0
    f = (max_pixels / (h * w)) ** 0.5
    nw, nh = max(1, int(w * f)), max(1, int(h * f))
    from PIL import Image as PILImage

    small = np.asarray(PILImage.fromarray(pixels).resize((nw, nh), PILImage.Resampling.BICUBIC), dtype=np.uint8)
    return small, nw / w


def export_screenspot_pro(env: GUIGroundingEnv, split: str, out_dir: str | os.PathLike) -> str:
    """Write a split's screens and targets as a ScreenSpot-Pro dataset: `<out_dir>/images/*.png` and
    `<out_dir>/annotations/generated_<split>.json`. Returns the annotation file's path."""
    import shutil
    from pathlib import Path

    from agentgym.envs.gui.grounding.screenspot import write_screenspot_pro

    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for task in env.unwrapped.suite.split(split):
        spec = grounding_tasks.spec_from_params(dict(task.params))
        screen, _ = env.renderer.load(spec)
        if not screen.elements:
            continue
        el = screen.elements[int(task.params["slot"]) % len(screen.elements)]
        name = f"{spec.key()}.png"
        if not (out / "images" / name).exists():
            shutil.copyfile(screen.image_path, out / "images" / name)
        records.append({"img_filename": name, "bbox": list(el.box),
                        "instruction": grounding_tasks.instruction_for(el, int(task.params["phrasing"]), spec.viewport),
                        "id": task.id, "application": spec.template, "platform": spec.viewport,
                        "img_size": list(screen.size), "ui_type": el.ui_type, "group": f"generated/{split}"})
    path = out / "annotations" / f"generated_{split}.json"
    write_screenspot_pro(records, path)
    return str(path)
