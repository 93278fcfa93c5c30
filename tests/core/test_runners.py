"""Env runners: every env lives on one executor (inline, a dedicated thread, a worker process), errors come back
typed, hung or crashed workers are killed with everything they started, and pools reuse healthy runners only."""

from __future__ import annotations

import functools
import os
import pickle
import threading
import time

import pytest
from runner_envs import (BlockingEnv, ExitingEnv, FailingInitEnv, HangingEnv, RaisingEnv, ThreadAffineEnv,
                         current_thread_and_pid, unpicklable_result)

from agentgym.registry import UnknownEnvError
from agentgym.runners import (EnvSpec, RunnerCallError, RunnerDied, RunnerPool, RunnerStartError, RunnerTimeout,
                              env_attr, env_oracle_action, env_reset, env_step, make_runner, wait)

KINDS = ["inline", "thread", "process"]


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan whose reaper has not come by yet is as good as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _gone(pid: int, within: float = 10.0) -> bool:
    """SIGKILL is asynchronous: give the kernel a moment to tear the process down."""
    deadline = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _read_pid(path: str, within: float = 10.0) -> int:
    deadline = time.monotonic() + within
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"the env never wrote {path}"
        time.sleep(0.01)
    with open(path) as f:
        return int(f.read())


# -- 1. thread affinity -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_thread_affine_env_sees_one_thread_for_every_call(kind, tmp_path):
    runner = make_runner(functools.partial(ThreadAffineEnv, str(tmp_path)), kind)
    try:
        obs, info = runner.call(env_reset, 7, None)
        assert obs == "start seed=7"
        owner = info["thread"]
        for turn in range(1, 21):
            obs, reward, terminated, truncated, info = runner.call(env_step, "north")
            assert (obs, reward, terminated, truncated) == (f"north #{turn}", float(turn), False, False)
            assert info["thread"] == owner
            assert runner.call(env_oracle_action) == f"go {turn}"
        assert runner.call(env_attr, "turn") == 20
        assert runner.call(env_attr, "no_such_attribute") is None
        thread, pid = runner.call(current_thread_and_pid)
        assert thread == owner
        if kind == "inline":
            assert (owner, pid, runner.pid) == (threading.get_ident(), os.getpid(), None)
        elif kind == "thread":
            assert owner != threading.get_ident() and (pid, runner.pid) == (os.getpid(), None)
        else:
            assert pid == runner.pid and pid != os.getpid()
    finally:
        runner.close()
    # close() ran on the env's own thread too: the env writes its marker only after checking that.
    assert [p.read_text() for p in tmp_path.iterdir()] == ["20"]
    assert not runner.alive


def test_thread_affine_env_breaks_when_called_from_another_thread_inline():
    # Why the thread kind exists: the same env driven inline from a second thread fails.
    runner = make_runner(ThreadAffineEnv, "inline")
    errors = []
    t = threading.Thread(target=lambda: errors.append(pytest.raises(RunnerCallError, runner.call, env_reset, 0, None)))
    t.start()
    t.join()
    assert errors[0].value.exc_type == "RuntimeError"
    assert "belongs to thread" in errors[0].value.message
    runner.close()


# -- 2. errors inside a call ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_env_error_comes_back_typed_and_pool_replaces_the_runner(kind):
    with RunnerPool(functools.partial(RaisingEnv, fail_on=2), kind=kind) as pool:
        (runner,) = pool.acquire(1)
        runner.call(env_reset, 0, None)
        assert runner.call(env_step, "a")[0] == "a #1"
        runner.submit(env_step, "b")
        with pytest.raises(RunnerCallError) as err:
            runner.result()
        assert err.value.exc_type == "ValueError"
        assert err.value.message == "cannot step 'b' on turn 2"
        assert str(err.value) == "ValueError: cannot step 'b' on turn 2"
        assert "runner_envs.py" in err.value.traceback and "raise ValueError" in err.value.traceback
        assert runner.alive  # usable, but callers discard it
        pool.discard(runner)
        assert not runner.alive
        (fresh,) = pool.acquire(1)
        assert fresh is not runner
        assert (pool.created, pool.discarded) == (2, 1)
        pool.release(fresh)
        assert pool.acquire(1) == [fresh]  # the broken one is never handed out again


def test_call_error_pickles_with_its_fields():
    err = pickle.loads(pickle.dumps(RunnerCallError("KeyError", "'x'", "Traceback ...")))
    assert (err.exc_type, err.message, err.traceback) == ("KeyError", "'x'", "Traceback ...")


@pytest.mark.parametrize("kind", KINDS)
def test_one_call_in_flight_at_a_time(kind):
    runner = make_runner(ThreadAffineEnv, kind)
    try:
        runner.submit(env_reset, 0, None)
        with pytest.raises(RuntimeError, match="already has a call in flight"):
            runner.submit(env_reset, 0, None)
        obs, info = runner.result(timeout=10)
        assert obs == "start seed=0" and info["pid"] == (runner.pid or os.getpid())
    finally:
        runner.close()


def test_unpicklable_result_is_an_error_and_the_worker_keeps_serving():
    runner = make_runner(ThreadAffineEnv, "process")
    try:
        with pytest.raises(RunnerCallError, match="does not pickle") as err:
            runner.call(unpicklable_result)
        assert err.value.exc_type in ("PicklingError", "AttributeError")
        assert runner.call(env_reset, 1, None)[0] == "start seed=1"
    finally:
        runner.close()


def test_unpicklable_call_raises_at_submit_with_nothing_in_flight():
    runner = make_runner(ThreadAffineEnv, "process")
    try:
        with pytest.raises(TypeError, match="module-level function"):
            runner.submit(lambda env: None)
        assert runner.call(env_reset, 2, None)[0] == "start seed=2"
    finally:
        runner.close()


# -- 3. hung worker with a child process ------------------------------------------------------------------------------
def test_hung_process_runner_times_out_and_kill_takes_its_children(tmp_path):
    pid_file = str(tmp_path / "child.pid")
    runner = make_runner(functools.partial(HangingEnv, pid_file), "process")
    worker = runner.pid
    runner.call(env_reset, 0, None)
    runner.submit(env_step, "open browser")
    with pytest.raises(RunnerTimeout):
        runner.result(timeout=0.5)
    child = _read_pid(pid_file)
    assert _running(worker) and _running(child)
    assert not runner.done() and runner.alive  # left as it is: the caller decides
    runner.kill()
    assert not runner.alive
    assert _gone(worker) and _gone(child)
    with pytest.raises(RunnerDied):
        runner.result()
    runner.kill()  # idempotent
    runner.close()


def test_close_of_a_hung_process_runner_falls_back_to_kill(tmp_path):
    pid_file = str(tmp_path / "child.pid")
    runner = make_runner(functools.partial(HangingEnv, pid_file), "process")
    runner.call(env_reset, 0, None)
    runner.submit(env_step, "open browser")
    child = _read_pid(pid_file)
    runner.close(timeout=0.2)
    assert not runner.alive and _gone(runner.pid) and _gone(child)


def test_pool_discard_kills_a_hung_process_runner(tmp_path):
    pid_file = str(tmp_path / "child.pid")
    with RunnerPool(functools.partial(HangingEnv, pid_file), kind="process") as pool:
        (runner,) = pool.acquire(1)
        runner.call(env_reset, 0, None)
        runner.submit(env_step, "open browser")
        with pytest.raises(RunnerTimeout):
            runner.result(timeout=0.2)
        child = _read_pid(pid_file)
        pool.discard(runner)
        assert (pool.created, pool.discarded, len(pool)) == (1, 1, 0)
        assert not runner.alive and _gone(runner.pid) and _gone(child)


def test_killed_thread_runner_wakes_its_waiters():
    runner = make_runner(functools.partial(BlockingEnv, True), "thread")
    runner.call(env_reset, 0, None)
    runner.submit(env_step, "x")
    with pytest.raises(RunnerTimeout):
        runner.result(timeout=0.05)
    runner.kill()  # the thread stays blocked (abandoned); the runner is dead
    assert wait([runner], timeout=10) == [runner]
    with pytest.raises(RunnerDied):
        runner.result()
    with pytest.raises(RunnerDied):
        runner.submit(env_step, "y")
    assert not runner.alive


# -- 4. worker death --------------------------------------------------------------------------------------------------
def test_worker_that_exits_gives_runner_died():
    runner = make_runner(ExitingEnv, "process")
    runner.call(env_reset, 0, None)
    runner.submit(env_step, "boom")
    assert wait([runner], timeout=30) == [runner]
    with pytest.raises(RunnerDied, match="exit code 3"):
        runner.result(timeout=30)
    assert not runner.alive
    with pytest.raises(RunnerDied):
        runner.submit(env_step, "again")
    runner.close()


# -- 5. wait ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kinds", [("process", "process"), ("thread", "thread"), ("thread", "process"),
                                   ("process", "thread")])
def test_wait_first_returns_the_runner_that_finished(kinds):
    slow = make_runner(functools.partial(BlockingEnv, True), kinds[0])
    fast = make_runner(functools.partial(BlockingEnv, False), kinds[1])
    try:
        for r in (slow, fast):
            r.call(env_reset, 0, None)
        slow.submit(env_step, "wait")
        fast.submit(env_step, "go")
        assert wait([slow, fast], return_when="first") == [fast]
        assert wait([slow, fast], timeout=0.05) == [fast]  # "all" ran out of time: it reports the one that is done
        assert fast.result() == ("go #1", 1.0, False, False, {"pid": fast.pid or os.getpid()})
        assert wait([slow, fast], timeout=0.05) == []  # fast has nothing in flight, slow is still blocked
    finally:
        slow.kill()
        fast.close()


def test_wait_all_over_a_batch_of_process_runners():
    runners = [make_runner(functools.partial(RaisingEnv, fail_on=3), "process") for _ in range(3)]
    try:
        for i, r in enumerate(runners):
            r.submit(env_reset, i, None)
        assert wait(runners) == runners
        assert [r.result() for r in runners] == [(f"start seed={i}", {"pid": r.pid}) for i, r in enumerate(runners)]
        assert wait(runners, timeout=0) == []  # nothing in flight
    finally:
        for r in runners:
            r.close()


def test_wait_rejects_a_bad_return_when():
    with pytest.raises(ValueError, match="return_when"):
        wait([], return_when="any")


# -- 6. pools ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_pool_reuses_runners_across_rollouts_and_closes_every_env(kind, tmp_path):
    pool = RunnerPool(functools.partial(ThreadAffineEnv, str(tmp_path)), kind=kind)
    first = pool.acquire(3)
    for rollout in range(2):
        runners = first if rollout == 0 else pool.acquire(3)
        assert {id(r) for r in runners} == {id(r) for r in first}
        for r in runners:
            r.submit(env_reset, rollout, None)
        assert wait(runners) == runners
        assert [r.result()[0] for r in runners] == [f"start seed={rollout}"] * 3
        for r in runners:
            r.submit(env_step, "look")
        wait(runners)
        assert [r.result()[0] for r in runners] == ["look #1"] * 3
        pool.release(runners[0])
        pool.release(runners[1])
        if rollout == 0:
            pool.release(runners[2])
    assert (pool.created, pool.discarded, len(pool)) == (3, 0, 3)
    pids = [r.pid for r in first]
    pool.close()  # closes the two free runners and the one still acquired
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["1", "1", "1"]
    assert not any(r.alive for r in first)
    if kind == "process":
        assert all(_gone(pid) for pid in pids)
    pool.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        pool.acquire(1)


def test_pool_release_refuses_busy_and_dead_runners():
    with RunnerPool(functools.partial(BlockingEnv, False), kind="thread") as pool:
        (r,) = pool.acquire(1)
        r.submit(env_reset, 0, None)
        with pytest.raises(ValueError, match="call in flight"):
            pool.release(r)
        r.result()
        r.kill()
        with pytest.raises(ValueError, match="discard"):
            pool.release(r)
        pool.discard(r)
        assert (pool.created, pool.discarded) == (1, 1)


def test_pool_start_failure_names_the_env_and_leaves_no_worker(tmp_path):
    factory = functools.partial(FailingInitEnv, str(tmp_path))
    with RunnerPool(factory, kind="process") as pool:
        with pytest.raises(RunnerStartError) as err:
            pool.acquire(3)
    assert err.value.exc_type == "FileNotFoundError"
    assert "runner_envs.FailingInitEnv" in str(err.value)
    assert "browser binary not found at /opt/chrome" in str(err.value)
    assert "runner_envs.py" in err.value.traceback
    assert pool.created == 0
    pids = [int(p.name) for p in tmp_path.iterdir()]
    assert pids and all(_gone(pid) for pid in pids)


@pytest.mark.parametrize("kind", ["inline", "thread"])
def test_start_failure_in_the_callers_process(kind, tmp_path):
    with pytest.raises(RunnerStartError, match="browser binary not found") as err:
        make_runner(functools.partial(FailingInitEnv, str(tmp_path)), kind)
    assert err.value.exc_type == "FileNotFoundError"
    assert isinstance(err.value.__cause__, FileNotFoundError)


# -- 7. bad factories and ids -----------------------------------------------------------------------------------------
def test_unpicklable_factory_for_process_kind_is_a_value_error():
    with pytest.raises(ValueError, match="does not pickle.*registered env id.*module-level picklable callable"):
        RunnerPool(lambda: ThreadAffineEnv(), kind="process")
    with pytest.raises(ValueError, match="does not pickle"):
        make_runner(lambda: ThreadAffineEnv(), "process")
    RunnerPool(lambda: ThreadAffineEnv(), kind="thread").close()  # fine where nothing is pickled


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_env_id_raises_the_registry_error(kind):
    with pytest.raises(UnknownEnvError, match=r"'agentgym/TextAdventure-v9'.*Did you mean 'agentgym/TextAdventure-v0'"):
        RunnerPool("agentgym/TextAdventure-v9", kind=kind)


def test_bad_kind_and_stray_env_kwargs():
    with pytest.raises(ValueError, match="'inline', 'thread', 'process'"):
        RunnerPool("agentgym/TextAdventure-v0", kind="ray")
    with pytest.raises(ValueError, match="functools.partial"):
        RunnerPool(ThreadAffineEnv, env_kwargs={"marker_dir": "/tmp"})


# -- 8. a registered env in a worker ----------------------------------------------------------------------------------
def test_registered_env_in_a_process_runner_matches_inline():
    def play(kind):
        with RunnerPool("agentgym/TextAdventure-v0", kind=kind, env_kwargs={"max_turns": 5}) as pool:
            (r,) = pool.acquire(1)
            obs, info = r.call(env_reset, 3, None)
            action = r.call(env_oracle_action)
            step = r.call(env_step, action)
            return obs, info, action, step, r.call(env_attr, "max_turns")

    inline, process = play("inline"), play("process")
    assert process == inline
    assert inline[4] == 5
    assert inline[1]["turn"] == 0 and inline[3][4]["turn"] == 1


def test_env_spec_pickles_and_builds():
    spec = pickle.loads(pickle.dumps(EnvSpec("agentgym/TextAdventure-v0", {"max_turns": 4})))
    assert spec == EnvSpec("agentgym/TextAdventure-v0", {"max_turns": 4})
    env = spec()
    assert env.unwrapped.max_turns == 4
    env.close()
