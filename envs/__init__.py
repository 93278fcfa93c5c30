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
    "agentgym/SWESandbox-v0",
    "agentgym.envs.swe.env:SWESandboxEnv",
    description="Fix SWE-smith-style bugs in 10 real PyPI projects, graded by their own tests as SWE-bench grades "
                "(docker or a bubblewrap sandbox; extra: swe).",
)

DEFAULT_ENV = "agentgym/TextAdventure-v0"
"""The embedded default environment: the demo trains on it and `agentgym eval` examples use it."""
