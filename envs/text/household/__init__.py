"""ALFWorld-like household (agentgym/Household-v0): catalog, layouts and suite, world rules, oracle, env."""
