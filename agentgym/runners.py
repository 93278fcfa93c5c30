"""Env runners: the executor an env instance lives on, from construction to close.

Every env instance is created, reset, stepped, asked for its oracle action and closed on ONE executor, because many
envs are bound to where they were made: Playwright's sync API must see every call from the thread that started it,
a browser or a container belongs to the process that launched it, C extensions keep per-thread or per-process state.
The rollout engine never touches the live env object; it sends module-level functions `fn(env, *args)` to the env's
runner and gets their results back. Three kinds share one small interface (submit, done, result, close, kill), which
a Ray actor can implement later:

    inline   the calling thread. No overhead; for cheap pure-Python envs.
    thread   one dedicated daemon thread per env, which creates the env and runs every call on it.
    process  one worker process per env (its own process group), for envs holding a browser, a container or C state,
             and for envs that must be killable: a hung or crashed env is SIGKILLed with everything it started.

Process workers start with multiprocessing's "forkserver" method (or "spawn" where there is no forkserver), never
"fork": the trainer may hold torch/CUDA threads, and a forked child of a multi-threaded process can deadlock on a
lock some other thread held. The fork server is a fresh single-threaded Python that imports this module (gymnasium,
numpy, agentgym) once; every worker is forked from it, so a worker is up with its TextAdventure env built in 20-35 ms,
against 100-200 ms for a spawned interpreter that imports it all again (2-core machine, benchmarks/runner_overhead.py
--spawn): 16 workers start in 0.35 s instead of 3.3 s. The fork server is shared by the whole process and reads its
preload list when it starts; if other code started it first, workers import these modules themselves (spawn's cost).

Calls cost ~0.04-0.06 ms per step on top of the env when 8-32 process runners step as a batch (submit to all, then
wait()), ~0.1 ms for a lone runner's round trip: one pickle each way over a multiprocessing Connection, no helper
threads per call.

A runner whose env raised or timed out is discarded and replaced, never reused: after an exception an env's state is
unknown. `RunnerPool` keeps runners alive across rollouts for a whole training run and does the replacing.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection as mpc
import multiprocessing.util
import os
import pickle
import queue
import signal
import threading
import time
import traceback
from abc import ABC, abstractmethod
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, InvalidStateError
from concurrent.futures import TimeoutError as _FutureTimeout  # not the builtin TimeoutError before Python 3.11
from concurrent.futures import wait as _futures_wait
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import gymnasium as gym

__all__ = [
    "RunnerKind", "RunnerCallError", "RunnerStartError", "RunnerTimeout", "RunnerDied", "EnvSpec", "EnvRunner",
    "InlineRunner", "ThreadRunner", "ProcessRunner", "make_runner", "wait", "RunnerPool",
    "env_reset", "env_step", "env_oracle_action", "env_attr", "process_start_method",
]

RunnerKind = Literal["inline", "thread", "process"]
RUNNER_KINDS: tuple[str, ...] = ("inline", "thread", "process")

_log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------------
class RunnerCallError(Exception):
    """The env raised inside a call on its executor.

    The same strings for every kind, so callers need not care where the env ran: `exc_type` (the exception's class
    name, e.g. "ValueError"), `message` (str(exception)) and `traceback` (formatted where it happened, in the worker
    for process runners). Inline and thread runners also chain the original exception as __cause__.
    """

    def __init__(self, exc_type: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{exc_type}: {message}" if message else exc_type)
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback

    def __reduce__(self):  # keep the three attributes across pickling (a Ray actor will send these)
        return (type(self), (self.exc_type, self.message, self.traceback))


class RunnerStartError(RunnerCallError):
    """The env's constructor raised on the runner's executor; the message names the env and the worker's traceback."""


class RunnerTimeout(Exception):
    """result(timeout) ran out before the call finished. The runner is left as it is: the caller kills it."""


class RunnerDied(Exception):
    """The runner's executor is gone: its worker process exited or crashed, or the runner was killed or closed."""


def _error_reply(e: BaseException) -> tuple[str, str, str, str]:
    return ("err", type(e).__name__, str(e), traceback.format_exc())


def _call_error(e: BaseException) -> RunnerCallError:
    err = RunnerCallError(type(e).__name__, str(e), "".join(traceback.format_exception(type(e), e, e.__traceback__)))
    err.__cause__ = e
    return err


def _start_error(factory: Callable[..., Any], e: BaseException) -> RunnerStartError:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    err = RunnerStartError(type(e).__name__, f"env {_describe(factory)} failed to start: {type(e).__name__}: {e}", tb)
    err.__cause__ = e
    return err


# ---------------------------------------------------------------------------------------------------------------------
# Factories and the ops the rollout sends
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EnvSpec:
    """A picklable env factory: calling it returns `agentgym.registry.make(env_id, **kwargs)`.

    Process runners pickle their factory to the worker, and lambdas or closures do not pickle; an EnvSpec (or a
    functools.partial of a module-level function) does. Not hashable (kwargs is a dict).
    """

    env_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    registration: Any = None
    """gymnasium's registry entry for env_id, taken in the parent. A worker process starts from a fresh interpreter,
    so an env registered at run time (agentgym.register with a class, in a script or a test) is unknown there until
    this entry is registered again; entry points that are "module:Class" strings or importable classes travel."""

    def __call__(self) -> gym.Env:
        from agentgym.registry import list_envs, make

        if self.registration is not None and self.env_id not in gym.registry:
            list_envs()  # load the built-ins and plugins first, so only an env that is really missing is added
            if self.env_id not in gym.registry:
                gym.registry[self.env_id] = self.registration

        return make(self.env_id, **self.kwargs)


def env_reset(env: gym.Env, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
    """env.reset(seed=seed, options=options) -> (observation, info)."""
    return env.reset(seed=seed, options=options)


def env_step(env: gym.Env, action: Any) -> tuple[Any, float, bool, bool, dict]:
    """env.step(action) -> gymnasium's (observation, reward, terminated, truncated, info)."""
    return env.step(action)


def env_oracle_action(env: gym.Env) -> str:
    """The expert's next action: env.unwrapped.oracle_action()."""
    return env.unwrapped.oracle_action()


def env_attr(env: gym.Env, name: str) -> Any:
    """getattr(env.unwrapped, name, None): system_prompt, suite sizes, and the like. The value must pickle."""
    return getattr(env.unwrapped, name, None)


def _describe(factory: Callable[[], Any]) -> str:
    """A name for error messages: the env id, or the factory's qualified name."""
    if isinstance(factory, EnvSpec):
        return repr(factory.env_id)
    func = getattr(factory, "func", factory)  # functools.partial
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{getattr(func, '__module__', '?')}.{name}"


# ---------------------------------------------------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------------------------------------------------
class EnvRunner(ABC):
    """One env on one executor. One call in flight at a time: submit(fn, *args) starts fn(env, *args), result()
    takes its value. The public methods keep the bookkeeping; each kind implements the underscore hooks."""

    kind: str = ""

    def __init__(self, factory: Callable[[], gym.Env]) -> None:
        self.factory = factory
        self._busy = False  # a call was submitted and its result not yet taken
        self._dead = False  # killed, closed, or its executor died

    # -- public interface ---------------------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start fn(env, *args) on this runner's executor. One call in flight at a time: a second submit before its
        result is taken raises RuntimeError. For process runners fn and args must pickle (module-level functions)."""
        if self._dead:
            raise RunnerDied(f"{self!r} is dead (killed, closed or crashed); discard it and use another runner")
        if self._busy:
            raise RuntimeError(f"{self!r} already has a call in flight; take its result() before submitting another")
        self._submit(fn, args)
        self._busy = True

    def done(self) -> bool:
        """True when the in-flight call has finished (or the runner died), so result() will not block. False when
        no call is in flight."""
        if not self._busy:
            return False
        return self._dead or self._done()

    def result(self, timeout: float | None = None) -> Any:
        """The in-flight call's return value. Raises RunnerCallError if the env raised (the runner stays usable, but
        callers discard it), RunnerTimeout if the call has not finished within `timeout` seconds (still in flight),
        RunnerDied if the executor died."""
        if not self._busy:
            raise RuntimeError(f"{self!r} has no call in flight; submit() one first")
        if self._dead:
            self._busy = False
            raise RunnerDied(f"{self!r} was killed or closed with a call in flight")
        try:
            value = self._result(timeout)
        except RunnerTimeout:
            raise  # still in flight
        except RunnerDied:
            self._busy = False
            self.kill()  # reap the worker and whatever it left in its process group
            raise
        except BaseException:
            self._busy = False
            raise
        self._busy = False
        return value

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """submit(fn, *args), then result(timeout)."""
        self.submit(fn, *args)
        return self.result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """env.close() on the env's own executor (bounded by `timeout`), then stop the executor; kill() if that
        hangs. Idempotent; never raises."""
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            self._begin_close()
        except BaseException:  # close never raises; the deadline-bound finish or kill() cleans up
            _log.debug("runner %r: close request failed", self, exc_info=True)
        self._finish_close(deadline)

    def kill(self) -> None:
        """Stop at once, without the env's cooperation. Idempotent. See each kind for what that can mean."""
        self._mark_dead()
        try:
            self._kill()
        except BaseException:
            _log.warning("runner %r: kill failed", self, exc_info=True)

    @property
    def alive(self) -> bool:
        """False once the runner was killed or closed, or its executor died."""
        return not self._dead and self._alive()

    @property
    def pid(self) -> int | None:
        """The worker process's pid (process runners); None for the other kinds."""
        return None

    def __repr__(self) -> str:
        state = "dead" if self._dead else ("busy" if self._busy else "idle")
        return f"<{type(self).__name__} {_describe(self.factory)} {state}>"

    # -- hooks --------------------------------------------------------------------------------------------------------
    @abstractmethod
    def _submit(self, fn: Callable[..., Any], args: tuple) -> None: ...

    @abstractmethod
    def _done(self) -> bool: ...

    @abstractmethod
    def _result(self, timeout: float | None) -> Any: ...

    @abstractmethod
    def _kill(self) -> None: ...

    def _begin_close(self) -> None:
        """Ask the executor to close the env and stop (non-blocking), so a pool can close many runners at once."""

    def _finish_close(self, deadline: float) -> None:
        """Wait until `deadline` for _begin_close to complete; kill() if it has not. Never raises."""
        self.kill()

    def _alive(self) -> bool:
        return True

    def _mark_dead(self) -> None:
        self._dead = True

    def _wait_ready(self, deadline: float | None) -> None:
        """Block until the env is constructed; raise RunnerStartError if its constructor raised."""


# ---------------------------------------------------------------------------------------------------------------------
# inline
# ---------------------------------------------------------------------------------------------------------------------
class InlineRunner(EnvRunner):
    """Runs every call at once in the calling thread. The env is created at construction, in the caller's thread;
    thread-bound envs then work only when every call comes from that thread. kill() just drops the env (a call that
    hangs inline hangs the caller: nothing can time it out)."""

    kind = "inline"

    def __init__(self, factory: Callable[[], gym.Env]) -> None:
        super().__init__(factory)
        try:
            self._env: gym.Env | None = factory()
        except Exception as e:
            raise _start_error(factory, e) from e
        self._value: Any = None
        self._error: RunnerCallError | None = None

    def _submit(self, fn, args):
        self._value, self._error = None, None
        try:
            self._value = fn(self._env, *args)
        except Exception as e:  # KeyboardInterrupt and the like belong to the caller: let them through
            self._error = _call_error(e)

    def _done(self) -> bool:
        return True

    def _result(self, timeout):
        value, error = self._value, self._error
        self._value, self._error = None, None
        if error is not None:
            raise error
        return value

    def _begin_close(self) -> None:
        env, self._env = self._env, None
        if env is not None and not self._dead:
            try:
                env.close()
            except Exception:
                _log.warning("runner %r: env.close() raised", self, exc_info=True)

    def _finish_close(self, deadline: float) -> None:
        self._mark_dead()

    def _kill(self) -> None:
        self._env = None


# ---------------------------------------------------------------------------------------------------------------------
# thread
# ---------------------------------------------------------------------------------------------------------------------
_STOP = object()


def _settle(fut: Future, value: Any = None, error: BaseException | None = None) -> None:
    """Complete a future unless kill() already did (it sets RunnerDied on the in-flight call)."""
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(value)
    except InvalidStateError:
        pass


class ThreadRunner(EnvRunner):
    """One dedicated daemon thread per env: it creates the env and runs every call on it, so thread-bound libraries
    (Playwright's sync API, some C extensions) always see the creating thread.

    kill() cannot stop a Python thread: it marks the runner dead, fails the in-flight call with RunnerDied and
    abandons the thread. If the hung call ever returns, the thread closes the env and exits; if it never does, the
    daemon thread stays blocked until the interpreter exits. Use the process kind for envs that can hang for real.
    """

    kind = "thread"
    _count = 0

    def __init__(self, factory: Callable[[], gym.Env], *, _wait: bool = True) -> None:
        super().__init__(factory)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._ready: Future = Future()
        self._future: Future | None = None
        self._closed: Future = Future()
        ThreadRunner._count += 1
        self._thread = threading.Thread(target=self._loop, name=f"agentgym-env-{ThreadRunner._count}", daemon=True)
        self._thread.start()
        if _wait:
            self._wait_ready(None)

    def _loop(self) -> None:
        try:
            env = self.factory()
        except BaseException as e:
            _settle(self._ready, error=_start_error(self.factory, e))
            _settle(self._closed)
            return
        _settle(self._ready)
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            fn, args, fut = item
            try:
                value = fn(env, *args)
            except BaseException as e:  # a dying thread would leave its future pending forever
                _settle(fut, error=_call_error(e))
            else:
                _settle(fut, value)
            del item, fn, args, fut
        try:
            env.close()
        except BaseException:
            _log.warning("runner %r: env.close() raised", self, exc_info=True)
        _settle(self._closed)

    def _wait_ready(self, deadline: float | None) -> None:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            self._ready.result(timeout)
        except _FutureTimeout:
            self.kill()
            raise RunnerTimeout(f"env {_describe(self.factory)} was not constructed within the start timeout") from None
        except RunnerStartError:
            self._mark_dead()
            raise

    def _submit(self, fn, args):
        self._future = Future()
        self._queue.put((fn, args, self._future))

    def _done(self) -> bool:
        return self._future is not None and self._future.done()

    def _result(self, timeout):
        fut = self._future
        try:
            value = fut.result(timeout)
        except _FutureTimeout:
            raise RunnerTimeout(f"{self!r}: the call did not finish within {timeout} s") from None
        self._future = None
        return value

    def _begin_close(self) -> None:
        if not self._dead:
            self._queue.put(_STOP)  # runs after a call still in flight: the env closes once it is free

    def _finish_close(self, deadline: float) -> None:
        if self._dead:
            return
        try:
            self._closed.result(max(0.0, deadline - time.monotonic()))
        except _FutureTimeout:
            self.kill()
            return
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._mark_dead()

    def _mark_dead(self) -> None:
        self._dead = True
        if self._future is not None:  # wake anyone waiting on the in-flight call
            _settle(self._future, error=RunnerDied(f"{self!r} was killed with a call in flight"))

    def _kill(self) -> None:
        self._queue.put(_STOP)  # if the hung call ever returns, close the env and end the thread

    def _alive(self) -> bool:
        return self._thread.is_alive()


# ---------------------------------------------------------------------------------------------------------------------
# process
# ---------------------------------------------------------------------------------------------------------------------
_CONTEXT: multiprocessing.context.BaseContext | None = None
_CONTEXT_LOCK = threading.Lock()


def process_start_method() -> str:
    """The multiprocessing start method process runners use: "forkserver" where the platform has it, else "spawn"."""
    return _mp_context().get_start_method()


def _mp_context() -> multiprocessing.context.BaseContext:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                # The fork server imports these once and every worker inherits them. The preload list is global to
                # the process and only read when the server starts: add to it rather than replace someone else's.
                from multiprocessing import forkserver

                current = list(getattr(forkserver._forkserver, "_preload_modules", None) or [])
                if __name__ not in current:
                    ctx.set_forkserver_preload(current + [__name__])
            else:
                ctx = multiprocessing.get_context("spawn")
            _CONTEXT = ctx
        return _CONTEXT


def _watch_parent(sentinel: int) -> None:
    """Worker-side: when the parent dies (or drops this worker's handle), kill this worker's whole process group, so
    an env stuck in a call cannot outlive the trainer with its browser."""
    try:
        mpc.wait([sentinel])
    finally:
        try:
            os.killpg(0, signal.SIGKILL)
        except OSError:
            os._exit(1)


def _worker_main(conn: mpc.Connection, factory_bytes: bytes) -> None:
    """The worker process: own process group, build the env, report ready, then serve calls until told to close."""
    # Its own session and process group: kill() SIGKILLs the group, taking along whatever the env started (a browser,
    # a container client), and a Ctrl-C in the trainer's terminal reaches the trainer, not every env at once.
    try:
        os.setsid()
    except OSError:
        pass
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_watch_parent, args=(parent.sentinel,), daemon=True, name="agentgym-parent").start()
    try:
        env = pickle.loads(factory_bytes)()
    except BaseException as e:
        conn.send(_error_reply(e))
        return
    conn.send(("ready", os.getpid()))
    recv_bytes, send_bytes, dumps, loads = conn.recv_bytes, conn.send_bytes, pickle.dumps, pickle.loads
    protocol = pickle.HIGHEST_PROTOCOL
    try:
        while True:
            try:
                data = recv_bytes()
            except (EOFError, OSError):  # the parent closed its end or died
                break
            try:
                msg = loads(data)
                if msg is None:  # close request
                    break
                fn, args = msg
                reply = ("ok", fn(env, *args))
            except Exception as e:  # the env's error is the call's result; the worker keeps serving
                reply = _error_reply(e)
            try:
                out = dumps(reply, protocol)
            except Exception as e:
                out = dumps(("err", type(e).__name__, f"the call's result does not pickle: {e}",
                             traceback.format_exc()), protocol)
            send_bytes(out)
    finally:
        try:
            env.close()
        except BaseException:
            traceback.print_exc()
        try:
            conn.send(("closed", None))
        except (OSError, ValueError):
            pass


class ProcessRunner(EnvRunner):
    """One worker process per env, in its own process group (the worker calls os.setsid() first thing).

    Calls travel as pickles over a multiprocessing Connection; the env's exceptions come back as RunnerCallError and
    the worker keeps serving. kill() SIGKILLs the worker's whole process group (so a browser or subprocess the env
    started dies with it) and reaps the worker. If the trainer dies, a watchdog thread in the worker kills the group.
    The factory, fn, args and results must pickle.
    """

    kind = "process"

    def __init__(self, factory: Callable[[], gym.Env], *, _wait: bool = True) -> None:
        super().__init__(factory)
        try:
            factory_bytes = pickle.dumps(factory, pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise ValueError(_unpicklable_message(factory, e)) from e
        ctx = _mp_context()
        self._conn, child_conn = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(target=_worker_main, args=(child_conn, factory_bytes),
                                 name=f"agentgym-env[{_describe(factory)}]", daemon=False)
        # Not a daemon: daemonic processes may not start multiprocessing children, and an env may. The finalizer
        # below kills workers a caller forgot to close, so the interpreter's exit never waits on them.
        self._proc.start()
        child_conn.close()  # only the worker holds its end now, so its death reads as EOF here
        self._pid: int | None = self._proc.pid
        self._sentinel = self._proc.sentinel
        self._handles = [self._conn, self._sentinel]
        self._reaped = False
        self._exitcode: int | None = None
        # Kills the worker's group if this runner is dropped without close(), and at interpreter exit: exitpriority
        # runs it inside multiprocessing's exit hook before that hook joins every non-daemon child, which would wait
        # forever on a worker nobody closed.
        self._finalizer = multiprocessing.util.Finalize(self, _kill_group, args=(self._pid, self._proc),
                                                        exitpriority=10)
        if _wait:
            self._wait_ready(None)

    @property
    def pid(self) -> int | None:
        return self._pid

    # -- start-up -----------------------------------------------------------------------------------------------------
    def _wait_ready(self, deadline: float | None) -> None:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not mpc.wait(self._handles, timeout):
            self.kill()
            raise RunnerTimeout(f"the worker for env {_describe(self.factory)} did not report ready in time")
        self._take_ready()

    def _take_ready(self) -> None:
        """Read the worker's first message (ready, or the constructor's error); raise RunnerStartError on error."""
        try:
            msg = self._conn.recv()
        except (EOFError, OSError):
            self.kill()
            code = self._exitcode
            raise RunnerStartError(
                "WorkerExited", f"the worker for env {_describe(self.factory)} exited with code {code} before its "
                "env was built (see its stderr above; a factory that does not import in a fresh process fails so)"
            ) from None
        if msg[0] == "ready":
            return
        self.kill()
        _, exc_type, message, tb = msg
        raise RunnerStartError(exc_type, f"env {_describe(self.factory)} failed to start in its worker process: "
                                         f"{exc_type}: {message}\n--- worker traceback ---\n{tb}", tb)

    # -- calls --------------------------------------------------------------------------------------------------------
    def _submit(self, fn, args):
        try:
            data = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise TypeError(f"{self!r}: cannot send {getattr(fn, '__qualname__', fn)!r} and its args to the worker "
                            f"process ({type(e).__name__}: {e}); use a module-level function and picklable "
                            "arguments") from e
        try:
            self._conn.send_bytes(data)
        except (OSError, ValueError):  # broken pipe: the worker is gone; result() will say so
            pass

    def _done(self) -> bool:
        return bool(mpc.wait(self._handles, 0))

    def _result(self, timeout):
        if not mpc.wait(self._handles, timeout):
            raise RunnerTimeout(f"{self!r}: the call did not finish within {timeout} s")
        try:
            msg = self._conn.recv()
        except (EOFError, OSError):
            code = self._reap(1.0)
            raise RunnerDied(f"the worker process of {self!r} (pid {self._pid}) died during the call "
                             f"(exit code {code}; negative: killed by that signal)") from None
        if msg[0] == "ok":
            return msg[1]
        if msg[0] == "err":
            _, exc_type, message, tb = msg
            raise RunnerCallError(exc_type, message, tb)
        # ("closed", None): the env ended the worker itself (sys.exit inside a call)
        raise RunnerDied(f"the worker process of {self!r} (pid {self._pid}) exited during the call")

    # -- shutdown -----------------------------------------------------------------------------------------------------
    def _begin_close(self) -> None:
        if not self._dead:
            self._conn.send(None)

    def _finish_close(self, deadline: float) -> None:
        if self._reaped:
            return
        if not self._dead:
            # The worker closes its env and exits; a reply to a call nobody took may come first, so skip to EOF.
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not mpc.wait([self._conn], remaining):
                    break
                try:
                    if self._conn.recv()[0] == "closed":
                        break
                except (EOFError, OSError):
                    break
            self._proc.join(max(0.0, deadline - time.monotonic()))
        # Always finish with the group kill: it stops a worker that hung in env.close() and anything the env left.
        self.kill()

    def _kill(self) -> None:
        if self._reaped:
            return
        _kill_group(self._pid, self._proc)
        self._reap(10.0)

    def _reap(self, timeout: float) -> int | None:
        """Join the worker (it is dead or dying) and release its pipe and sentinel."""
        if self._reaped:
            return self._exitcode
        self._proc.join(timeout)
        code = self._proc.exitcode
        if code is None:
            _log.warning("worker %s of %r did not exit after SIGKILL within %.0f s", self._pid, self, timeout)
            return None
        self._reaped = True
        self._dead = True
        self._exitcode = code
        self._finalizer.cancel()
        try:
            self._conn.close()
        except OSError:
            pass
        try:
            self._proc.close()  # frees its sentinel; a pool replaces runners for days
        except ValueError:
            pass
        return code

    def _alive(self) -> bool:
        return not self._reaped and self._proc.exitcode is None

    def __repr__(self) -> str:
        state = "dead" if self._dead else ("busy" if self._busy else "idle")
        return f"<ProcessRunner {_describe(self.factory)} pid={self._pid} {state}>"


def _kill_group(pid: int | None, proc: multiprocessing.process.BaseProcess) -> None:
    """SIGKILL a worker's process group, then the worker itself in case it had not reached setsid() yet."""
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)  # pgid == pid after the worker's setsid()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        running = proc.exitcode is None
    except ValueError:  # closed: already reaped
        running = False
    if running:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _unpicklable_message(factory: Any, e: BaseException) -> str:
    return (f"process runners send the env factory to a worker process, and {factory!r} does not pickle "
            f"({type(e).__name__}: {e}). Pass a registered env id (RunnerPool('agentgym/TextAdventure-v0', "
            "kind='process', env_kwargs={...})) or a module-level picklable callable: an EnvSpec(env_id, kwargs), "
            "an env class, or functools.partial of a module-level function; not a lambda or a nested function.")


# ---------------------------------------------------------------------------------------------------------------------
# Construction and waiting
# ---------------------------------------------------------------------------------------------------------------------
_KINDS: dict[str, type[EnvRunner]] = {"inline": InlineRunner, "thread": ThreadRunner, "process": ProcessRunner}


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"runner kind must be one of {list(_KINDS)}, got {kind!r}")


def make_runner(factory: Callable[[], gym.Env], kind: RunnerKind) -> EnvRunner:
    """A runner of `kind` whose executor builds its env with factory(); returns once the env is built. Raises
    RunnerStartError if the constructor raised (its traceback included), ValueError for a process runner whose
    factory does not pickle."""
    _check_kind(kind)
    return _KINDS[kind](factory)


def _create_many(factory: Callable[[], gym.Env], kind: str, n: int, timeout: float | None = None) -> list[EnvRunner]:
    """n runners built concurrently: start every executor, then wait for all to report ready. If any constructor
    fails, kill the rest and raise its error."""
    if kind == "inline" or n == 0:
        return [InlineRunner(factory) for _ in range(n)]
    cls = _KINDS[kind]
    runners: list[EnvRunner] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        for _ in range(n):
            runners.append(cls(factory, _wait=False))
        if kind == "process":
            # Take each ready message as it arrives instead of in order, in one wait() over all pipes.
            pending = {r._conn: r for r in runners}
            while pending:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready = mpc.wait(list(pending), remaining)
                if not ready:
                    raise RunnerTimeout(f"{len(pending)} workers for env {_describe(factory)} did not report ready "
                                        f"within {timeout} s")
                for conn in ready:
                    pending.pop(conn)._take_ready()
        else:
            for r in runners:
                r._wait_ready(deadline)
    except BaseException:
        for r in runners:
            r.kill()
        raise
    return runners


def wait(runners: Sequence[EnvRunner], timeout: float | None = None, *,
         return_when: Literal["first", "all"] = "all") -> list[EnvRunner]:
    """Block until all (or, with return_when="first", the first) of the runners' in-flight calls finish, or until
    `timeout` seconds pass; return the runners whose calls are done, in the order given.

    Runners with no call in flight are neither waited on nor returned. A dead runner counts as done (its result()
    raises RunnerDied at once). Process runners are waited on with one multiprocessing.connection.wait over their
    pipes and process sentinels (a crashed worker wakes it too); thread runners through their call's Future. A mix of
    the two kinds shares one wait: thread calls that finish write to a pipe that wait also watches.
    """
    if return_when not in ("first", "all"):
        raise ValueError(f"return_when must be 'first' or 'all', got {return_when!r}")
    busy = [r for r in runners if r._busy]
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    finished: set[int] = set()
    handles: dict[Any, EnvRunner] = {}  # process runners: conn and sentinel -> runner
    futures: dict[Future, EnvRunner] = {}  # thread runners
    others: list[EnvRunner] = []  # kinds with neither (a future Ray runner): polled with done()
    for r in busy:
        if r.done():
            finished.add(id(r))
        elif isinstance(r, ProcessRunner):
            handles[r._conn] = r
            handles[r._sentinel] = r
        elif isinstance(r, ThreadRunner) and r._future is not None:
            futures[r._future] = r
        else:
            others.append(r)

    def complete() -> bool:
        if return_when == "first":
            return bool(finished) or not busy
        return len(finished) == len(busy)

    def remaining() -> float | None:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    if not complete():
        if futures and not handles and not others:
            done_futs, _ = _futures_wait(list(futures), remaining(),
                                         FIRST_COMPLETED if return_when == "first" else ALL_COMPLETED)
            finished.update(id(futures[f]) for f in done_futs)
        elif return_when == "all" and handles and not futures and not others:
            # Waiting for all: one runner at a time is as fast as any order, and each wait watches two fds instead
            # of re-registering every pending pipe after each wake-up (quadratic in the batch).
            timed_out = False
            for r in {id(r): r for r in handles.values()}.values():
                if mpc.wait(r._handles, 0 if timed_out else remaining()):
                    finished.add(id(r))
                else:
                    timed_out = True  # report the others that are done, without waiting for them
        else:
            _wait_handles(handles, futures, others, finished, complete, remaining)
    return [r for r in busy if id(r) in finished]


def _wait_handles(handles: dict, futures: dict, others: list, finished: set, complete: Callable[[], bool],
                  remaining: Callable[[], float | None]) -> None:
    wake_r = wake_w = None
    lock = threading.Lock()
    if futures:
        wake_r, wake_w = os.pipe()

        def ping(_f: Future) -> None:
            with lock:
                if wake_w is not None:
                    os.write(wake_w, b"x")

        for f in futures:
            f.add_done_callback(ping)
    try:
        while not complete():
            left = remaining()
            if left == 0.0:
                break
            if others:  # nothing to block on for these: look again every 5 ms
                left = 0.005 if left is None else min(left, 0.005)
            objs = list(handles) + ([wake_r] if wake_r is not None else [])
            ready = mpc.wait(objs, left) if objs else (time.sleep(left or 0.0) or [])
            for h in ready:
                if h == wake_r:
                    os.read(wake_r, 4096)
                    continue
                r = handles.pop(h, None)
                if r is not None:
                    finished.add(id(r))
            for h in [h for h, r in handles.items() if id(r) in finished]:
                del handles[h]  # its other handle
            for f in [f for f in futures if f.done()]:
                finished.add(id(futures.pop(f)))
            for r in [r for r in others if r.done()]:
                others.remove(r)
                finished.add(id(r))
    finally:
        if wake_r is not None:
            with lock:
                os.close(wake_w)
                wake_w = None  # noqa: F841 (read by ping through the closure)
            os.close(wake_r)


# ---------------------------------------------------------------------------------------------------------------------
# The pool
# ---------------------------------------------------------------------------------------------------------------------
class RunnerPool:
    """Persistent runners for one env factory, reused across rollout() calls: a trainer or `agentgym eval` holds one
    pool for the whole run, so envs (and their browsers or workers) start once, not per rollout.

    acquire(n) hands out n idle runners (free ones first, the rest created concurrently); release() takes a healthy
    one back; discard() ends one whose env raised or timed out, which is never handed out again. close() ends all.

    env: a registered env id (with env_kwargs) or a factory returning a fresh env. For kind="process" the factory
    must pickle: a registered id, an EnvSpec, an env class or functools.partial of a module-level function.
    """

    def __init__(self, env: str | Callable[[], gym.Env], *, kind: RunnerKind = "inline",
                 env_kwargs: dict[str, Any] | None = None, start_timeout: float | None = None,
                 close_timeout: float = 10.0) -> None:
        _check_kind(kind)
        self.kind = kind
        if isinstance(env, str):
            _check_env_id(env)  # unknown ids fail here, in the caller, without building an env
            factory: Callable[[], gym.Env] = EnvSpec(env, dict(env_kwargs or {}), registration=gym.registry.get(env))
        elif callable(env):
            if env_kwargs:
                raise ValueError("env_kwargs apply to a registered env id; with a factory, bind them into it "
                                 f"(functools.partial(factory, **kwargs)); got env={env!r}, env_kwargs={env_kwargs!r}")
            factory = env
        else:
            raise TypeError(f"env must be a registered env id or a callable returning an env, got {env!r}")
        if kind == "process":
            try:
                pickle.dumps(factory)
            except Exception as e:
                raise ValueError(_unpicklable_message(factory, e)) from e
        self.factory = factory
        self.start_timeout = start_timeout
        self.close_timeout = close_timeout
        self._free: list[EnvRunner] = []
        self._in_use: dict[int, EnvRunner] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.created = 0
        self.discarded = 0

    def acquire(self, n: int) -> list[EnvRunner]:
        """n idle runners: free ones first, the rest created concurrently. Raises RunnerStartError (naming the env,
        with the worker's traceback) if a new env's constructor raised; the runners started for this call are
        killed first."""
        if n < 0:
            raise ValueError(f"acquire(n) needs n >= 0, got {n}")
        with self._lock:
            if self._closed:
                raise RuntimeError("this RunnerPool is closed; make a new one")
            out: list[EnvRunner] = []
            dead: list[EnvRunner] = []
            while self._free and len(out) < n:
                r = self._free.pop()
                (out if r.alive else dead).append(r)
            need = n - len(out)
        for r in dead:  # a worker that died while parked
            self._end(r)
        if need:
            try:
                new = _create_many(self.factory, self.kind, need, self.start_timeout)
            except BaseException:
                with self._lock:
                    self._free.extend(out)
                raise
            with self._lock:
                self.created += len(new)
            out.extend(new)
        with self._lock:
            for r in out:
                self._in_use[id(r)] = r
        return out

    def release(self, runner: EnvRunner) -> None:
        """Give back a runner acquired from this pool, alive and with no call in flight, for reuse."""
        if runner._busy:
            raise ValueError(f"release({runner!r}): it has a call in flight; take its result() first, or discard() "
                             "it if the call failed or timed out")
        if not runner.alive:
            raise ValueError(f"release({runner!r}): it is dead; discard() it instead")
        with self._lock:
            if self._in_use.pop(id(runner), None) is None:
                raise ValueError(f"release({runner!r}): not acquired from this pool (or already released)")
            if not self._closed:
                self._free.append(runner)
                return
        runner.close(self.close_timeout)

    def discard(self, runner: EnvRunner) -> None:
        """End a runner for good (its env raised, timed out or died): kill it if a call is still running, else close
        it. A later acquire() builds a new runner in its place."""
        with self._lock:
            self._in_use.pop(id(runner), None)
            if runner in self._free:
                self._free.remove(runner)
        self._end(runner)

    def _end(self, runner: EnvRunner) -> None:
        with self._lock:
            self.discarded += 1
        if runner._busy and not runner.done():
            runner.kill()
        else:
            runner.close(min(self.close_timeout, 2.0))

    def close(self) -> None:
        """Close every runner, free or acquired, all at once (each bounded by close_timeout, then killed).
        Idempotent."""
        with self._lock:
            self._closed = True
            runners = self._free + list(self._in_use.values())
            self._free, self._in_use = [], {}
        deadline = time.monotonic() + self.close_timeout
        for r in runners:  # ask them all first, so slow env.close() calls overlap
            try:
                r._begin_close()
            except BaseException:
                _log.debug("runner %r: close request failed", r, exc_info=True)
        for r in runners:
            r._finish_close(deadline)

    def __enter__(self) -> RunnerPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        """Runners the pool holds, free or acquired."""
        return len(self._free) + len(self._in_use)

    def __repr__(self) -> str:
        return (f"<RunnerPool {_describe(self.factory)} kind={self.kind} free={len(self._free)} "
                f"in_use={len(self._in_use)} created={self.created} discarded={self.discarded}>")


def _check_env_id(env_id: str) -> None:
    """Raise the registry's UnknownEnvError (with its nearest-match hint) for an unknown id, without building one."""
    from agentgym import registry

    registry.list_envs()  # loads the built-ins and plugins, as make() would
    if env_id not in gym.registry:
        registry.make(env_id)  # unknown: raises before constructing anything
