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

DEFAULT_ENV = "agentgym/TextAdventure-v0"
"""The embedded default environment: the demo trains on it and `agentgym eval` examples use it."""
