"""Built-in environments, registered with gymnasium's registry under the `agentgym/` namespace.

Entry points are strings: importing this package imports no env module, so nothing heavy loads before `make()`.
"""

from agentgym.registry import register

register(
    "agentgym/TextAdventure-v0",
    "agentgym.envs.text.adventure.env:TextAdventureEnv",
    description="Procedural text adventure: rooms, locked doors, keys, containers; a quest of k subgoals.",
)
register(
    "agentgym/Household-v0",
    "agentgym.envs.text.household.env:HouseholdEnv",
    description="ALFWorld-like household: six task types, ALFWorld's command grammar, seen/unseen layouts.",
)
register(
    "agentgym/TwentyQuestions-v0",
    "agentgym.envs.text.twenty_questions.env:TwentyQuestionsEnv",
    description="Ask yes/no questions about a hidden object, then guess it (LMRL-Gym's reward).",
)
register(
    "agentgym/TextWorld-v0",
    "agentgym.envs.textworld.env:TextWorldEnv",
    description="Microsoft TextWorld games made offline with tw-make (extra: textworld).",
)
register(
    "agentgym/WebShop-v0",
    "agentgym.envs.webshop.env:WebShopEnv",
    description="WebShop in text mode: search, pick options, buy; WebShop's reward (extra: web).",
)
register(
    "agentgym/WebShopBrowser-v0",
    "agentgym.envs.webshop.browser_env:WebShopBrowserEnv",
    description="WebShop as a local site driven by headless Chromium through Playwright (extra: web).",
)
register(
    "agentgym/GUIGrounding-v0",
    "agentgym.envs.gui.grounding.env:GUIGroundingEnv",
    description="Point at the element an instruction names on a Chromium-rendered screen (ScreenSpot; GUI-G2 "
                "rewards; extra: gui).",
)
for _task in ("choose-list", "click-button", "click-button-sequence", "click-checkboxes", "click-collapsible-nodelay",
              "click-color", "click-dialog", "click-dialog-2", "click-link", "click-option", "click-tab", "click-tab-2",
              "click-test", "click-test-2", "click-widget", "enter-password", "enter-text", "enter-text-2",
              "focus-text", "focus-text-2", "login-user", "unicode-test", "use-autocomplete-nodelay"):
    # the list is agentgym.envs.gui.miniwob.tasks.TASKS, written out so that importing this module imports no env
    register(
        f"agentgym/MiniWoB-{_task}-v0",
        "agentgym.envs.gui.miniwob.env:MiniWoBEnv",
        description=f"MiniWoB++ {_task}: the benchmark's own page in Chromium, its own reward (extra: gui).",
        kwargs={"task": _task},
    )

import agentgym.envs.games  # noqa: E402,F401  (registers the games; imports no game module)

# NetHack and MiniHack in words (extra: nethack). One id per MiniHack task; the class takes the task as an argument.
_MINIHACK_TASKS = {
    "Room": "a lit 5x5 room: reach the stairs down (MiniHack-Room-Random-5x5)",
    "Corridor": "two rooms joined by dark corridors: find the stairs (MiniHack-Corridor-R2)",
    "MazeWalk": "a dark 9x9 maze: find the stairs (MiniHack-MazeWalk-9x9)",
    "KeyRoom": "pick up a key, unlock a door, reach the stairs (MiniHack-KeyRoom-S5)",
    "Lava": "cross lava rivers at their one dry square (built with MiniHack's LevelGenerator)",
    "Boulder": "Sokoban-like: push the boulder out of the wall's gap (built with MiniHack's LevelGenerator)",
}
for _task, _what in _MINIHACK_TASKS.items():
    register(
        f"agentgym/MiniHack-{_task}-v0",
        "agentgym.envs.nethack.env:MiniHackEnv",
        description=f"MiniHack in words, {_what}.",
        kwargs={"task": _task},
    )
register(
    "agentgym/NetHack-v0",
    "agentgym.envs.nethack.env:NetHackEnv",
    description="Full NetHack (NLE) in words; info['progress'] is BALROG's progression metric (extra: nethack).",
)
register(
    "agentgym/SWESandbox-v0",
    "agentgym.envs.swe.env:SWESandboxEnv",
    description="Fix SWE-smith-style bugs in 10 real PyPI projects, graded by their own tests as SWE-bench grades "
                "(docker or a bubblewrap sandbox; extra: swe).",
)

DEFAULT_ENV = "agentgym/TextAdventure-v0"
"""The embedded default environment: the demo trains on it and `agentgym eval` examples use it."""
