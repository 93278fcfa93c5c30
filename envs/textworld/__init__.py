"""Microsoft TextWorld adapter (agentgym/TextWorld-v0): task suite, game making and caching, env. Needs the
`textworld` extra only when an env is built or a game is made."""
