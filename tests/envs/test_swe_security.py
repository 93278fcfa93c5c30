"""The SWE sandbox's security and cleanup, against both backends (docker for real in CI): no network, no writes
outside the task tree, fork bombs and memory hogs stopped by the limits, timeouts that kill every child, and nothing
left (process or container) after close, garbage collection, or the owning process being killed."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from agentgym.envs.swe.sandbox import (
    DockerSandbox, Limits, LocalSandbox, SandboxError, _uid_processes, docker_client, leftover_containers, tar_of,
)
from tests.envs._swe_helpers import require

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def template(tmp_path):
    t = tmp_path / "template"
    t.mkdir()
    (t / "hello.py").write_text("print('hello')\n")
    return t


def make(backend: str, template: Path, **limits):
    require(backend)
    lim = Limits(**{"timeout_s": 10.0, **limits})
    if backend == "local":
        return LocalSandbox(template, limits=lim)
    return DockerSandbox(tar_of(template, "repo"), limits=lim)


def leftovers(backend: str, sb) -> list:
    """What of the sandbox still runs: processes of its uid (local) or its container (docker)."""
    if backend == "local":
        return _uid_processes(sb.uid)
    return [c for c in leftover_containers() if c == sb.container_id]


def wait_gone(backend: str, sb, seconds: float = 15.0) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = leftovers(backend, sb)
        if not left:
            return []
        time.sleep(0.2)
    return leftovers(backend, sb)


BACKENDS = pytest.mark.parametrize("backend", ["local", "docker"])


@BACKENDS
def test_no_network_even_to_the_hosts_loopback(backend, template):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    with make(backend, template) as sb:
        res = sb.exec([sb.python, "-c", textwrap.dedent(f"""
            import socket
            print(sorted(n for _, n in socket.if_nameindex()))
            s = socket.socket(); s.settimeout(3)
            print("connect:", s.connect_ex(("127.0.0.1", {port})))
            try:
                socket.getaddrinfo("pypi.org", 443); print("dns: resolved")
            except OSError as e:
                print("dns: failed")
        """)])
    server.close()
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "['lo']"  # no interface but the sandbox's own loopback
    assert lines[1] != "connect: 0" and lines[2] == "dns: failed"
    assert accepted == []


@BACKENDS
def test_cannot_write_outside_the_task_tree(backend, template, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.chmod(outside, 0o777)  # even a folder anybody may write to on the host stays out of reach
    with make(backend, template) as sb:
        res = sb.shell(f"for p in /usr/x /etc/x /x {outside}/x $HOME/../x; do (echo no > $p) 2>/dev/null && "
                       "echo wrote $p; done; echo ok > inside.txt && cat inside.txt")
        assert res.output.strip().splitlines()[-1] == "ok" and "wrote /usr" not in res.output
        assert "wrote /etc" not in res.output and "wrote /x" not in res.output
        if backend == "local":
            assert (Path(sb.host_copy) / "inside.txt").read_text() == "ok\n"
    assert list(outside.iterdir()) == []


@BACKENDS
def test_fork_bomb_is_stopped_by_the_process_limit(backend, template):
    with make(backend, template, processes=48, timeout_s=4.0) as sb:
        t0 = time.monotonic()
        res = sb.shell(":(){ :|:& };:; sleep 2")  # the shell stays while the bomb grows into the limit
        assert time.monotonic() - t0 < 15
        if backend == "local":
            assert _uid_processes(sb.uid) == []
        after = sb.shell("echo alive")  # the sandbox survived it and nothing of the bomb runs on
        assert after.exit_code == 0 and after.output == "alive\n", after.output
        if backend == "docker":
            top = docker_client().api.top(sb.container_id)["Processes"]
            assert len(top) == 2, top  # only docker-init (PID 1, reaping orphans) and its `read`
    assert res.timed_out or "Resource temporarily unavailable" in res.output  # the limit is what stopped it


@BACKENDS
def test_memory_hog_is_stopped(backend, template):
    with make(backend, template, memory_mb=256) as sb:
        res = sb.exec([sb.python, "-c", "x = bytearray(1 << 30); print('allocated')"])
        assert res.exit_code != 0 and "allocated" not in res.output
        assert sb.shell("echo alive").output == "alive\n"


@BACKENDS
def test_timeout_kills_the_command_and_all_its_children(backend, template):
    with make(backend, template, timeout_s=1.0) as sb:
        res = sb.shell("sleep 300 & (sleep 301 &) ; setsid sleep 302 & sleep 303")
        assert res.timed_out and res.exit_code is None and res.seconds < 8
        if backend == "local":
            assert _uid_processes(sb.uid) == []
        else:
            top = docker_client().api.top(sb.container_id)["Processes"]
            assert not any("sleep" in " ".join(p) for p in top), top
        assert sb.shell("echo alive", timeout=5).output == "alive\n"


@BACKENDS
def test_nothing_is_left_after_close_and_after_garbage_collection(backend, template):
    sb = make(backend, template)
    sb.shell("sleep 300 > /dev/null 2>&1 &", timeout=5)
    sb.close()
    assert wait_gone(backend, sb) == []
    if backend == "local":
        assert not Path(sb.host_copy).exists()
    sb2 = make(backend, template)
    ident = sb2.uid if backend == "local" else sb2.container_id
    copy = sb2.host_copy if backend == "local" else None
    del sb2
    gc.collect()
    if backend == "local":
        assert _uid_processes(ident) == [] and not Path(copy).exists()
    else:
        deadline = time.monotonic() + 15
        while ident in leftover_containers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ident not in leftover_containers()


CHILD = """
import sys, time
from pathlib import Path
from agentgym.envs.swe.sandbox import DockerSandbox, LocalSandbox, Limits, tar_of
t = Path(sys.argv[2])
if sys.argv[1] == "local":
    sb = LocalSandbox(t, limits=Limits(timeout_s=600))
    print(sb.uid, flush=True)
else:
    sb = DockerSandbox(tar_of(t, "repo"), limits=Limits(timeout_s=600))
    sb.shell("sleep 600 > /dev/null 2>&1 &")
    print(sb.container_id, flush=True)
sb.shell("sleep 600")   # the parent kills us (SIGKILL) while this runs
"""


@BACKENDS
def test_nothing_is_left_when_the_owning_process_is_killed(backend, template):
    require(backend)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, backend, str(template)], stdout=subprocess.PIPE, text=True,
                            cwd=REPO)
    try:
        ident = proc.stdout.readline().strip()
        assert ident, "the child did not start its sandbox"
        time.sleep(1.0)
        if backend == "local":
            assert _uid_processes(int(ident)), "the child's command should be running before the kill"
        else:
            assert ident in leftover_containers()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        left = _uid_processes(int(ident)) if backend == "local" else [c for c in leftover_containers() if c == ident]
        if not left:
            break
        time.sleep(0.2)
    assert left == []


def test_a_dead_container_is_an_error_not_a_zero_reward():
    require("docker")
    from agentgym.envs.swe.env import SWESandboxEnv
    from agentgym.policies.scripted import ScriptedPolicy
    from agentgym.rollout import rollout

    env = SWESandboxEnv(backend="docker")
    task = env.suite.split("heldout_repos")[0]
    env.reset(options={"task": task})
    docker_client().api.remove_container(env.sandbox.container_id, force=True)
    with pytest.raises(SandboxError):
        env.step('{"tool": "bash", "command": "ls"}')
    env.close()

    class KillingEnv(SWESandboxEnv):
        def _act(self, action):  # the container dies under the second command
            if self.turn == 1:
                docker_client().api.remove_container(self.sandbox.container_id, force=True)
            return super()._act(action)

    trajs = rollout(lambda: KillingEnv(backend="docker"), ScriptedPolicy(['{"tool": "bash", "command": "ls"}'] * 3),
                    [task])
    (traj,) = trajs
    assert traj.error is not None and traj.error.kind == "env_error" and "SandboxError" in traj.error.message
    assert traj.total_reward == 0.0 and not traj.success and leftover_containers() == []
