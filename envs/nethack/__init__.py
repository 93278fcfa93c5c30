"""NetHack and MiniHack in words: a pure-Python language layer over NLE, MiniHack task suites, BALROG's progression
metric, and planners that solve the MiniHack tasks. The envs register in agentgym/envs/__init__.py; importing this
package imports neither NLE nor MiniHack."""
