"""Shared pieces of the SWE sandbox tests: which backends can run here, and a play loop."""

from __future__ import annotations

import os

import pytest

from agentgym.envs.swe.sandbox import DEFAULT_IMAGE, bwrap_path, docker_client


def docker_ready() -> str | None:
    """None when the engine answers and the sandbox image exists, else why not."""
    try:
        client = docker_client()
        client.images.get(DEFAULT_IMAGE)
        return None
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def require_docker() -> None:
    """Skip outside CI when there is no engine; in CI (where .ci/run starts dockerd and builds the image) a missing
    engine is a failure, so the docker backend is always tested for real there."""
    why = docker_ready()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must test the docker backend, but: {why}")
    pytest.skip(f"no docker engine or image here ({why}); .ci/run starts dockerd and builds the image")


def require_bwrap() -> None:
    if bwrap_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test the local sandbox with bubblewrap (scripts/setup.sh --dev installs it)")
        pytest.skip("bubblewrap is not installed")


def backend_param():
    return pytest.mark.parametrize("backend", ["local", "docker"])


def require(backend: str) -> None:
    if backend == "docker":
        require_docker()
    else:
        require_bwrap()


def play(env, task, choose, *, max_steps: int = 60):
    obs, info = env.reset(options={"task": task})
    total = 0.0
    for _ in range(max_steps):
        obs, r, term, trunc, info = env.step(choose(env, info))
        total += r
        if term or trunc:
            break
    return total, info, obs
