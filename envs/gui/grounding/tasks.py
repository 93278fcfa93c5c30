"""GUIGrounding-v0's task suite: generated screens, a target slot on each, and the instruction's phrasing.

A task is (screen spec, slot, phrasing): the screen is rendered (or read from the cache) when an episode starts,
and the slot picks one of its usable elements (slot k -> element k mod n, n = number of usable elements). Splits:

- train: 400 screens x 5 slots, templates navbar/form/table/settings/menu, themes light/dark/ocean/sand, icon set
  "line";
- heldout: 30 screens x 4 slots, templates dialog/editor, themes solarized/contrast, icon sets solid/glyph: every
  one of the three never seen in training.

Viewports (phone, laptop, desktop) with their device scale factors, fonts, densities and base font sizes are drawn
per screen in both splits. Seeds of held-out screens are offset by 1_000_000.
"""

from __future__ import annotations

import random
from dataclasses import asdict

from agentgym.core import Task, TaskSuite
from agentgym.envs.gui.grounding.generator import Element, ScreenSpec
from agentgym.envs.gui.grounding.icons import HELDOUT_ICON_SETS, PURPOSE, TRAIN_ICON_SETS
from agentgym.envs.gui.grounding.templates import (
    DENSITIES, FONTS, HELDOUT_TEMPLATES, HELDOUT_THEMES, TRAIN_TEMPLATES, TRAIN_THEMES, VIEWPORTS,
)

SUITE_NAME = "gui-grounding"
SUITE_VERSION = "1"
SPLITS = {"train": (400, 5), "heldout": (30, 4)}
"""split: (screens, slots per screen)."""
SEED_BASE = {"train": 0, "heldout": 1_000_000}
SPLIT_KINDS = {"train": (TRAIN_TEMPLATES, TRAIN_THEMES, TRAIN_ICON_SETS),
               "heldout": (HELDOUT_TEMPLATES, HELDOUT_THEMES, HELDOUT_ICON_SETS)}

TEXT_PHRASINGS = ("Click the \"{label}\" {role}.", "{verb} {label}.", "Select the {role} labelled \"{label}\".",
                  "Where is \"{label}\"?")
ICON_PHRASINGS = ("Click the {label} icon.", "{purpose}.", "Find the button that would {purpose_lc}.",
                  "{verb} the {label} button.")
NUM_PHRASINGS = 4


def instruction_for(el: Element, phrasing: int, viewport: str) -> str:
    """The instruction naming `el`, in one of NUM_PHRASINGS phrasings ("Tap" on phones, "Click" elsewhere)."""
    verb = "Tap" if viewport == "phone" else "Click"
    if el.ui_type == "icon":
        purpose = PURPOSE.get(el.label, el.label)
        t = ICON_PHRASINGS[phrasing % len(ICON_PHRASINGS)]
        return t.format(label=el.label, purpose=purpose[0].upper() + purpose[1:], purpose_lc=purpose, verb=verb)
    t = TEXT_PHRASINGS[phrasing % len(TEXT_PHRASINGS)]
    return t.format(label=el.label, role=el.role, verb=verb)


def screen_spec(split: str, i: int) -> ScreenSpec:
    templates, themes, icon_sets = SPLIT_KINDS[split]
    rng = random.Random(f"{SUITE_NAME}-v{SUITE_VERSION}-{split}-{i}")
    viewport = rng.choice(sorted(VIEWPORTS))
    return ScreenSpec(template=templates[i % len(templates)], theme=rng.choice(themes), font=rng.choice(FONTS),
                      density=rng.choice(sorted(DENSITIES)), icon_set=rng.choice(icon_sets),
                      font_px=rng.randint(13, 18), viewport=viewport, scale=rng.choice(VIEWPORTS[viewport][2]),
                      seed=SEED_BASE[split] + rng.randrange(1_000_000))


def spec_from_params(params: dict) -> ScreenSpec:
    return ScreenSpec(**params["screen"])


def build_split(split: str) -> list[Task]:
    screens, slots = SPLITS[split]
    tasks = []
    for i in range(screens):
        spec = screen_spec(split, i)
        for k in range(slots):
            tasks.append(Task(id=f"{SUITE_NAME}/{split}/{i:04d}-{k}", split=split, seed=spec.seed,
                              params={"screen": asdict(spec), "slot": k, "phrasing": (i + k) % NUM_PHRASINGS},
                              family=spec.template))
    return tasks


def build_suite() -> TaskSuite:
    return TaskSuite(SUITE_NAME, SUITE_VERSION, {s: build_split(s) for s in SPLITS})


SUITE = build_suite()
