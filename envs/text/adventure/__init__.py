"""A procedural text adventure (agentgym/TextAdventure-v0): the project's default, embedded environment."""
