"""Policies without a model: scripted (for tests and demos), oracle (the env's expert), random, human."""

from __future__ import annotations

import random
from typing import Any, Callable, Sequence

from agentgym.policies.base import Conversation, episode_stream_seed
from agentgym.types import Completion


class ScriptedPolicy:
    """Maps a conversation to a canned reply: `fn(conversation) -> str`, or a fixed list of replies played in order
    (the same list for every episode; the turn index picks the reply, the last one repeats)."""

    tokenizer = None

    def __init__(self, script: Callable[[Conversation], str] | Sequence[str]):
        if callable(script):
            self._fn = script
        else:
            replies = list(script)
            if not replies:
                raise ValueError("ScriptedPolicy needs at least one reply, got an empty list")
            self._fn = lambda conv: replies[min(sum(m.role == "assistant" for m in conv.messages), len(replies) - 1)]

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        return [Completion(text=self._fn(c), finish_reason="stop") for c in conversations]


class OraclePolicy:
    """The env's expert: asks each episode's env runner for `oracle_action()` (privileged access to the true state,
    computed on the env's own executor). The calls to every runner of the batch are started before any is awaited,
    so worker-process envs compute their oracle actions in parallel."""

    tokenizer = None

    def __init__(self, timeout_s: float | None = 600.0):
        self.timeout_s = timeout_s

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        from agentgym.runners import env_oracle_action

        for c in conversations:
            if c.runner is None:
                raise TypeError("OraclePolicy needs the episode's env runner on the conversation (the rollout engine "
                                "passes it); got runner=None")
        for c in conversations:
            c.runner.submit(env_oracle_action)
        texts: list[Any] = []
        first_error: Exception | None = None
        for c in conversations:  # collect every result, so no runner is left with a call in flight
            try:
                texts.append(c.runner.result(timeout=self.timeout_s))
            except Exception as e:
                texts.append(None)
                first_error = first_error or e
        if first_error is not None:
            raise first_error
        return [Completion(text=str(t), finish_reason="stop") for t in texts]


class RandomPolicy:
    """Picks uniformly among info["admissible_actions"] when the env lists them, else a random lowercase string.

    Each episode draws from its own stream (keyed by the conversation's seed and turn, and this policy's seed), so
    what it plays does not depend on the batch; outside a rollout (seed None) one shared stream is used."""

    tokenizer = None

    def __init__(self, seed: int = 0, max_length: int = 20):
        self.seed = seed
        self._rng = random.Random(seed)
        self._max_length = max_length

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        out = []
        for c in conversations:
            rng = random.Random(episode_stream_seed(c.seed, c.turn, self.seed)) if c.seed is not None else self._rng
            actions = c.info.get("admissible_actions")
            if actions:
                text = rng.choice(list(actions))
            else:
                n = rng.randint(1, self._max_length)
                text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(n)).strip() or "look"
            out.append(Completion(text=text, finish_reason="stop"))
        return out


class HumanPolicy:
    """A person at the terminal: shows the latest observation, reads one line per turn. Plays one episode at a time.

    Typing QUIT_COMMAND ends the game the way Ctrl-D does (EOFError), so that a word like "quit" stays an action the
    env may understand."""

    QUIT_COMMAND = "/quit"

    tokenizer = None

    def __init__(self, input_fn: Callable[[str], str] = input, print_fn: Callable[[str], Any] = print):
        self._input = input_fn
        self._print = print_fn

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        out = []
        for c in conversations:
            if sum(m.role == "user" for m in c.messages) == 1 and c.messages[0].role == "system":
                self._print(c.messages[0].text)  # the instructions, once, before the first observation
                self._print(f"(type {self.QUIT_COMMAND} or press Ctrl-D to stop)")
            self._print("\n" + c.messages[-1].text)
            actions = c.info.get("admissible_actions")
            if actions:
                self._print("  [valid: " + ", ".join(actions[:12]) + (" ..." if len(actions) > 12 else "") + "]")
            line = self._input("> ")
            if line.strip() == self.QUIT_COMMAND:
                raise EOFError(self.QUIT_COMMAND)
            out.append(Completion(text=line, finish_reason="stop"))
        return out
