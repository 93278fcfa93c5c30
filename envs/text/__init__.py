"""Text worlds written for agentgym: a procedural adventure, an ALFWorld-like household, twenty questions.
(The Microsoft TextWorld adapter is its own family, agentgym.envs.textworld.)"""
