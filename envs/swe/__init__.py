"""The SWE sandbox: bug-fixing tasks on real PyPI projects, graded by their own tests as SWE-bench grades.

Registered in agentgym/envs/__init__.py as agentgym/SWESandbox-v0 (string entry point; nothing heavy imported here).
"""
