"""The batched multi-turn rollout engine: env runners <-> policy -> Trajectory, keeping token ids and logprobs.

One loop: gather every live episode whose env is ready -> one batched `policy.act` -> start those envs' steps on
their runners (agentgym.runners: inline, a dedicated thread, or a worker process per env) -> collect the steps and
append the env's reply as a token delta. Episodes that end leave the batch and queued ones join to keep it full. An
env whose step blocks does not stall the batch: each loop waits at most `step_wait_s` for steps to finish, and the
episodes still stepping rejoin a later batch; a step past `step_timeout_s` kills its runner.

Results do not depend on timing or batch composition: every episode samples from its own stream (the policy keys
it by the episode's seed and turn, see agentgym.policies.base), so the same seed gives the same trajectories with any
batch size, runner kind or step timing.

Failures are data. Anything an env, the policy or the prompt building raises ends that episode, and only that one,
with a typed error on the trajectory (never a silent reward of 0): a policy call that fails for a batch is retried
for each conversation alone once; an env that raised or timed out has its runner discarded, never reused.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Sequence

import gymnasium as gym

from agentgym.core import Task
from agentgym.policies.base import ContextLimitExceeded, Conversation, Policy
from agentgym.runners import (EnvRunner, RunnerCallError, RunnerDied, RunnerKind, RunnerPool, RunnerTimeout,
                              wait)
from agentgym.types import Completion, HistoryMode, Message, Observation, Trajectory, Turn, TurnError, WindowHead

EnvFactory = Callable[[], gym.Env]


@dataclass
class _Episode:
    job: int
    task: Task | str
    group: int
    seed: int
    traj: Trajectory
    runner: EnvRunner | None = None
    messages: list[Message] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    observation: Observation = field(default_factory=lambda: Observation(""))
    tokens: Any = None
    """agentgym.chat.EpisodeTokens for token-level policies, else None."""
    next_prompt_ids: list[int] | None = None
    """Mask-0 ids to put before the next completion (the first prompt, then each env reply as a delta)."""
    max_new_tokens: int | None = None
    """The room left under the context limit for the next completion (None: no limit)."""
    pending: str | None = None
    """"reset" or "step" while a call runs on the runner."""
    pending_since: float = 0.0
    completion: Completion | None = None
    """The completion whose step is running."""
    started: float = 0.0
    history: HistoryMode = "full"
    window_turns: int = 2
    window_head: WindowHead = "task"
    """What windowed prompts keep before the last turns; the env's `window_head`, read at reset."""


def rollout(env: str | EnvFactory | RunnerPool, policy: Policy, tasks: Sequence[Task | str], *, group_size: int = 1,
            max_turns: int | None = None, max_context_tokens: int | None = None, batch_size: int = 32,
            executor: RunnerKind = "inline", seed: int = 0, split: str | None = None, progress: bool = False,
            env_kwargs: dict[str, Any] | None = None, step_wait_s: float = 1.0,
            step_timeout_s: float | None = 600.0, history: HistoryMode = "full",
            window_turns: int = 2, on_episode: Callable[[Trajectory], None] | None = None,
            skip_jobs: Collection[int] = ()) -> list[Trajectory]:
    """Play every task `group_size` times with `policy`; return trajectories ordered by task, then group member.

    env: a registered id, a factory returning a fresh env, or a RunnerPool (its runners persist across calls: a
    trainer or an eval holds one pool for the whole run; the caller closes it). tasks: Task objects or task ids of
    the env's suite. max_turns: a turn limit on top of the env's own (truncation). max_context_tokens: token-level
    policies only; each completion is capped to the room left, and an episode with no room left is truncated
    (reason "context_limit" on its last turn). batch_size: most episodes live at once. executor: where each env lives
    when env is not a pool ("inline", "thread": a dedicated thread per env, "process": a worker process per env).
    seed: episode i (in task, then group order) gets seed + i, which seeds both its env reset and its sampling.
    step_wait_s: the longest a loop waits for slow env steps before generating for the ready episodes.
    step_timeout_s: a reset or step still running after this long kills its runner and ends the episode with a
    "timeout" error.
    history: "full" (each turn is prompted with the whole episode so far, one growing token sequence) or "window"
    (each turn is prompted with the system prompt, the task and the last `window_turns` turns, rendered afresh;
    agentgym.chat.window_messages). Message-level policies get the same windowed messages.
    on_episode: called with each trajectory as soon as its episode ends (in the order they end): an eval streams
    them to disk with it. skip_jobs: episode indices (in task, then group order; episode i has seed `seed + i`) not to
    play, because an earlier, interrupted run already has them; they are missing from the result.
    """
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_turns is not None and max_turns < 1:
        raise ValueError(f"max_turns must be >= 1 or None, got {max_turns}")
    if history not in ("full", "window"):
        raise ValueError(f"history must be 'full' or 'window', got {history!r}")
    if window_turns < 0:
        raise ValueError(f"window_turns must be >= 0, got {window_turns}")
    if max_context_tokens is not None and max_context_tokens < 1:
        raise ValueError(f"max_context_tokens must be >= 1 or None, got {max_context_tokens}")
    pool, owned = _pool_for(env, executor, env_kwargs)
    env_id = _env_label(pool.factory)
    chat = _chat_for(policy)

    jobs = [(t, i, g) for i, t in enumerate(tasks) for g in range(group_size)]
    results: list[Trajectory | None] = [None] * len(jobs)
    skipped = set(skip_jobs)
    queue = [j for j in range(len(jobs)) if j not in skipped][::-1]  # pop() from the end keeps task order
    live: list[_Episode] = []
    bar = _progress_bar(len(queue), progress)

    def finish(ep: _Episode, *, healthy: bool = True) -> None:
        ep.traj.metadata["seconds"] = time.time() - ep.started
        results[ep.job] = ep.traj
        live.remove(ep)
        if ep.runner is not None:
            # A runner whose env raised, died or hung is never handed to another episode.
            pool.release(ep.runner) if healthy else pool.discard(ep.runner)
            ep.runner = None
        if bar is not None:
            bar.update(1)
        if on_episode is not None:
            on_episode(ep.traj)

    def fail(ep: _Episode, err: TurnError, *, healthy: bool = True) -> None:
        ep.traj.error = err
        ep.traj.success = False
        finish(ep, healthy=healthy)

    try:
        while queue or live:
            fresh: list[_Episode] = []  # episodes whose reset or step was started since the last collect

            # START: new episodes take runners (free ones first) and begin their resets.
            starting = []
            while queue and len(live) + len(starting) < batch_size:
                starting.append(_new_episode(queue.pop(), jobs, seed, env_id, history, window_turns))
            if starting:
                live += starting
                try:
                    runners = pool.acquire(len(starting))
                except Exception as e:  # the env could not be built: these episodes fail, others go on
                    err = TurnError("env_error", f"could not start the env: {type(e).__name__}: {e}",
                                    traceback.format_exc())
                    for ep in starting:
                        fail(ep, err)
                    runners = []
                options = {} if split is None else {"split": split}
                for ep, runner in zip(starting, runners):
                    ep.runner = runner
                    _submit(ep, "reset", _reset_episode, ep.seed, dict(options, task=ep.task))
                    fresh.append(ep)

            # CONTEXT LIMIT: truncation, not an error; the next completion gets at most the room left.
            ready = [ep for ep in live if not ep.pending]
            if max_context_tokens is not None and chat is not None:
                for ep in list(ready):
                    room = max_context_tokens - len(ep.tokens.ids)
                    if room <= 0:
                        ready.remove(ep)
                        _truncate(ep, "context_limit")
                        finish(ep)
                    else:
                        ep.max_new_tokens = room

            # ACT: one batched call to the policy for every ready episode, then their steps start.
            if ready:
                for ep, comp in zip(ready, _act(policy, ready)):
                    if isinstance(comp, TurnError) and comp.kind == "context_limit":
                        _truncate(ep, "context_limit")  # the server's context is full: a limit, not a failure
                        ep.traj.metadata["context_limit_message"] = comp.message
                        finish(ep)
                        continue
                    if isinstance(comp, TurnError):
                        ep.traj.turns.append(_turn(ep, Completion(text=""), error=comp))
                        fail(ep, comp)
                        continue
                    ep.completion = comp
                    _submit(ep, "step", _step_episode, comp.text)
                    fresh.append(ep)

            # COLLECT: wait (at most step_wait_s) for the calls just started, so a normal turn stays one batch; an
            # env already known to be slow holds nobody up. With nothing else to do, wait for the first to finish.
            pending = [ep for ep in live if ep.pending]
            if fresh:
                wait([ep.runner for ep in fresh], timeout=step_wait_s, return_when="all")
            elif pending:
                wait([ep.runner for ep in pending], timeout=step_wait_s, return_when="first")
            now = time.time()
            for ep in pending:
                if ep.runner.done():
                    _collect(ep, chat, max_turns, finish, fail)
                elif step_timeout_s is not None and now - ep.pending_since > step_timeout_s:
                    what, ep.pending = ep.pending, None
                    err = TurnError("timeout", f"env {what} did not return within {step_timeout_s} s; its runner "
                                               "was killed")
                    if what == "step":
                        ep.traj.turns.append(_turn(ep, ep.completion or Completion(text=""), error=err))
                    fail(ep, err, healthy=False)
    finally:
        if bar is not None:
            bar.close()
        for ep in list(live):  # an exception (or Ctrl-C) mid-rollout: no runner may stay acquired
            if ep.runner is not None:
                pool.discard(ep.runner)
                ep.runner = None
        if owned:
            pool.close()
    return [r for r in results if r is not None]


# ---------------------------------------------------------------------------------------------------------------------
# what runs on the env's runner (module-level, so worker processes can receive them)
# ---------------------------------------------------------------------------------------------------------------------
def _reset_episode(env: gym.Env, seed: int, options: dict[str, Any]) -> tuple[Any, dict[str, Any], str | None,
                                                                              str | None, str]:
    """Reset, and read what the rollout needs from the env once: its system prompt, the task's answer and what a
    windowed prompt keeps as its head (agentgym.types.WindowHead)."""
    obs, info = env.reset(seed=seed, options=options)
    unwrapped = env.unwrapped
    task = getattr(unwrapped, "task", None)
    return (obs, info, getattr(unwrapped, "system_prompt", None), getattr(task, "answer", None),
            getattr(unwrapped, "window_head", "task"))


def _step_episode(env: gym.Env, action: str) -> tuple[Any, float, bool, bool, dict[str, Any]]:
    return env.step(action)


# ---------------------------------------------------------------------------------------------------------------------
# one episode's steps
# ---------------------------------------------------------------------------------------------------------------------
def _new_episode(job: int, jobs: list[tuple[Task | str, int, int]], seed: int, env_id: str, history: HistoryMode,
                 window_turns: int) -> _Episode:
    task, group, _ = jobs[job]
    ep_seed = seed + job
    task_id = task.id if isinstance(task, Task) else str(task)
    traj = Trajectory(env_id=env_id, task_id=task_id, seed=ep_seed, group=group, history=history)
    if history == "window":
        traj.metadata["window_turns"] = window_turns
    return _Episode(job=job, task=task, group=group, seed=ep_seed, traj=traj, started=time.time(), history=history,
                    window_turns=window_turns)


def _submit(ep: _Episode, what: str, fn: Callable[..., Any], *args: Any) -> None:
    ep.pending, ep.pending_since = what, time.time()
    ep.runner.submit(fn, *args)  # type: ignore[union-attr]


def _collect(ep: _Episode, chat: Any, max_turns: int | None, finish: Callable[..., None],
             fail: Callable[..., None]) -> None:
    """Take the finished reset or step of `ep` and carry the episode on; every failure is recorded on it."""
    what, ep.pending = ep.pending, None
    comp = ep.completion or Completion(text="")
    try:
        value = ep.runner.result(timeout=0)  # type: ignore[union-attr]
    except (RunnerCallError, RunnerDied, RunnerTimeout) as e:
        if isinstance(e, RunnerCallError):
            err = TurnError("env_error", f"{what} failed: {e.exc_type}: {e.message}", e.traceback)
        else:
            err = TurnError("env_error", f"the env's runner died during {what}: {e}")
        if what == "step":
            ep.traj.turns.append(_turn(ep, comp, error=err))
        fail(ep, err, healthy=False)
        return
    turns_before = len(ep.traj.turns)
    try:
        if what == "reset":
            _begin(ep, value, chat)
        else:
            _after_step(ep, comp, value, chat, max_turns, finish)
    except Exception as e:
        err = e.error if isinstance(e, _EpisodeError) else TurnError(
            "env_error", f"{what} returned something unusable: {type(e).__name__}: {e}", traceback.format_exc())
        if what == "step":
            if len(ep.traj.turns) > turns_before:
                ep.traj.turns[-1].error = err
            else:
                ep.traj.turns.append(_turn(ep, comp, error=err))
        fail(ep, err)


class _EpisodeError(Exception):
    """Raised inside one episode's processing: carries the typed error to record on it."""

    def __init__(self, error: TurnError):
        super().__init__(error.message)
        self.error = error


def _guard(kind: str, what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as e:
        raise _EpisodeError(TurnError(kind, f"{what}: {type(e).__name__}: {e}", traceback.format_exc())) from e  # type: ignore[arg-type]


def _begin(ep: _Episode, value: Any, chat: Any) -> None:
    obs, info, system, answer, window_head = value
    if window_head not in ("task", "system"):
        raise _EpisodeError(TurnError("env_error", f"the env's window_head must be 'task' or 'system', got "
                                                   f"{window_head!r}"))
    ep.window_head = window_head
    if ep.history == "window":
        ep.traj.metadata["window_head"] = window_head  # tokenize_trajectory rebuilds the same prompts from it
    ep.observation = _guard("parse_error", "the env's first observation is not usable", lambda: Observation.parse(obs))
    ep.info = dict(info)
    ep.traj.answer = answer or info.get("answer")
    ep.traj.task_id = str(info.get("task_id", ep.traj.task_id))
    ep.messages = ([Message("system", system)] if system else []) + [Message("user", ep.observation.content())]
    ep.traj.messages = list(ep.messages)
    if chat is not None:
        from agentgym.chat import episode_tokens

        ep.tokens = _guard("policy_error", "rendering the first prompt with the chat template failed",
                           lambda: episode_tokens(chat, ep.messages, history=ep.history,
                                                  window_turns=ep.window_turns, window_head=ep.window_head))
        ep.next_prompt_ids = list(ep.tokens.ids)


def _after_step(ep: _Episode, comp: Completion, out: Any, chat: Any, max_turns: int | None,
                finish: Callable[..., None]) -> None:
    obs, reward, terminated, truncated, info = out
    if not terminated and not truncated and max_turns is not None and len(ep.traj.turns) + 1 >= max_turns:
        truncated = True
        info = dict(info, terminated_reason="turn_limit")
    turn = _turn(ep, comp, reward=float(reward), terminated=bool(terminated), truncated=bool(truncated), info=info)
    ep.traj.turns.append(turn)
    ep.messages.append(Message("assistant", comp.text))
    ep.traj.messages.append(Message("assistant", comp.text))
    if ep.tokens is not None and comp.token_ids is None:
        raise _EpisodeError(TurnError("policy_error", "a token-level policy returned a completion without token_ids"))
    observation = _guard("parse_error", f"the env's observation after turn {turn.index} is not usable",
                         lambda: Observation.parse(obs))
    reply = Message("user", observation.content())
    if terminated or truncated:
        ep.traj.terminated, ep.traj.truncated = bool(terminated), bool(truncated)
        ep.traj.success = bool(info.get("success", False))
        ep.traj.metadata["final_observation"] = observation.text
        ep.traj.final_images = list(observation.images)
        if truncated:
            ep.traj.metadata["truncated_reason"] = info.get("terminated_reason") or "env"
            if not terminated and ep.tokens is not None:
                # The state the limit cut, laid out as the next prompt would have been: its value bootstraps GAE.
                ep.traj.final_prompt_ids = _next_prompt_ids(ep, comp, reply, "the final observation")
        finish(ep)
        return
    ep.observation = observation
    ep.info = dict(info)
    ep.messages.append(reply)
    ep.traj.messages.append(reply)
    if ep.tokens is not None:
        ep.next_prompt_ids = _next_prompt_ids(ep, comp, reply, "the env's reply")


def _next_prompt_ids(ep: _Episode, comp: Completion, reply: Message, what: str) -> list[int]:
    """Append the completion's ids and the env's reply to the episode's tokens; return the ids the next turn's
    prompt starts with (a delta, or the whole windowed prompt)."""
    _guard("policy_error", "appending the completion's tokens failed", lambda: ep.tokens.add_completion(comp))
    return list(_guard("policy_error", f"rendering {what} with the chat template failed",
                       lambda: ep.tokens.add_messages([reply])))


def _truncate(ep: _Episode, reason: str) -> None:
    """End a live episode by a limit: truncated on the trajectory and on its last turn, with the reason."""
    ep.traj.truncated = True
    ep.traj.metadata["truncated_reason"] = reason
    ep.traj.metadata["final_observation"] = ep.observation.text
    ep.traj.final_images = list(ep.observation.images)
    if ep.traj.turns:
        if ep.tokens is not None:
            ep.traj.final_prompt_ids = list(ep.next_prompt_ids or [])  # the reply no turn got to act on
        last = ep.traj.turns[-1]
        last.truncated = True
        last.info = dict(last.info, terminated_reason=reason)


def _act(policy: Policy, batch: list[_Episode]) -> list[Completion | TurnError]:
    """One completion (or the error that stopped it) per episode. A failure of the batched call is retried for each
    conversation alone, so one poisoned conversation fails alone."""
    convs = [Conversation(messages=_shown_messages(ep), prompt_ids=list(ep.tokens.ids) if ep.tokens else None,
                          info={k: v for k, v in ep.info.items() if not k.startswith("_")}, seed=ep.seed,
                          turn=len(ep.traj.turns), max_new_tokens=ep.max_new_tokens, runner=ep.runner)
             for ep in batch]
    try:
        return _checked(policy.act(convs), len(convs))
    except Exception as e:
        if len(convs) == 1:
            return [_policy_error(e)]
    out: list[Completion | TurnError] = []
    for conv in convs:
        try:
            out += _checked(policy.act([conv]), 1)
        except Exception as e:
            out.append(_policy_error(e))
    return out


def _shown_messages(ep: _Episode) -> list[Message]:
    """The messages the policy is prompted with this turn: the whole conversation, or its window."""
    if ep.history == "window":
        from agentgym.chat import window_messages

        return window_messages(ep.messages, ep.window_turns, head=ep.window_head)
    return list(ep.messages)


def _checked(completions: Any, n: int) -> list[Completion | TurnError]:
    completions = list(completions)
    if len(completions) != n:
        raise RuntimeError(f"policy returned {len(completions)} completions for {n} conversations; act() must "
                           "return one per conversation, in order")
    for c in completions:
        if not isinstance(c, Completion) or not isinstance(c.text, str):
            raise TypeError(f"policy returned {c!r}; act() must return agentgym.types.Completion objects with text")
    return completions


def _policy_error(e: Exception) -> TurnError:
    if isinstance(e, ContextLimitExceeded):
        return TurnError("context_limit", str(e))
    return TurnError("policy_error", f"{type(e).__name__}: {e}",
                     "".join(traceback.format_exception(type(e), e, e.__traceback__)))


def _turn(ep: _Episode, comp: Completion, *, reward: float = 0.0, terminated: bool = False, truncated: bool = False,
          info: dict[str, Any] | None = None, error: TurnError | None = None) -> Turn:
    # Token ids and logprobs are kept whenever the policy returned them: always for token-level policies, and for
    # message-level ones when their server did (the prompt ids are then unknown).
    token_level = ep.tokens is not None
    return Turn(index=len(ep.traj.turns), observation=ep.observation.text, action=comp.text, reward=reward,
                terminated=terminated, truncated=truncated, info=_jsonable_info(info or {}),
                prompt_ids=list(ep.next_prompt_ids or []) if token_level else None,
                completion_ids=list(comp.token_ids) if comp.token_ids is not None else None,
                logprobs=list(comp.logprobs) if comp.logprobs is not None else None, error=error,
                images=list(ep.observation.images))


# ---------------------------------------------------------------------------------------------------------------------
# plumbing
# ---------------------------------------------------------------------------------------------------------------------
def _pool_for(env: str | EnvFactory | RunnerPool, executor: RunnerKind,
              env_kwargs: dict[str, Any] | None) -> tuple[RunnerPool, bool]:
    if isinstance(env, RunnerPool):
        if env_kwargs:
            raise ValueError("env_kwargs go to the RunnerPool when it is built, not to rollout(); got both")
        return env, False
    if isinstance(env, str):
        from agentgym.registry import spec

        spec(env)  # fail fast on an unknown id (the error names the nearest match) before any episode starts
    elif not callable(env):
        raise TypeError(f"env must be a registered id (str), a factory returning an env, or a RunnerPool, got "
                        f"{type(env).__name__}")
    return RunnerPool(env, kind=executor, env_kwargs=env_kwargs), True


def _env_label(factory: Any) -> str:
    """What trajectories record as env_id: the registered id, else the factory's name."""
    return str(getattr(factory, "env_id", None) or getattr(factory, "__name__", None) or type(factory).__name__)


def _chat_for(policy: Policy) -> Any:
    tok = getattr(policy, "tokenizer", None)
    if tok is None:
        return None
    from agentgym.chat import ChatTokenizer

    chat = getattr(policy, "chat", None)
    if isinstance(chat, ChatTokenizer) and chat.tokenizer is tok:
        return chat  # the policy's own (a vision-language policy's expands image tokens)
    return tok if isinstance(tok, ChatTokenizer) else ChatTokenizer(tok)


def _jsonable_info(info: dict[str, Any]) -> dict[str, Any]:
    # Images and other arrays stay out of stored info (observation images live on the Turn); JSON-typed values stay.
    return {k: v for k, v in info.items() if not k.startswith("_") and not hasattr(v, "shape")}


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="episodes", unit="ep")


def invalid_action_rate(trajectories: Sequence[Trajectory]) -> float:
    """Share of the turns played without error whose action the env could not parse or execute."""
    turns = [t for tr in trajectories for t in tr.turns if t.error is None]
    return sum(not t.info.get("valid_action", True) for t in turns) / len(turns) if turns else 0.0


def rollout_metrics(trajectories: Sequence[Trajectory]) -> dict[str, float]:
    """Namespaced summary of a batch of trajectories (rollout/...)."""
    n = len(trajectories)
    if n == 0:
        return {"rollout/episodes": 0.0}
    return {
        "rollout/episodes": float(n),
        "rollout/success_rate": sum(t.success for t in trajectories) / n,
        "rollout/mean_reward": sum(t.total_reward for t in trajectories) / n,
        "rollout/mean_turns": sum(t.num_turns for t in trajectories) / n,
        "rollout/mean_progress": sum(t.progress for t in trajectories) / n,
        "rollout/truncated_rate": sum(t.truncated for t in trajectories) / n,
        "rollout/errors": float(sum(t.error is not None for t in trajectories)),
        "rollout/invalid_action_rate": invalid_action_rate(trajectories),
    }
