"""The Policy protocol: a batch of conversations in, one Completion per conversation out.

Token-level policies (transformers, vLLM) generate from `Conversation.prompt_ids`, the exact ids the rollout built
(see agentgym.chat), and return the generated ids and their logprobs. Message-level policies (an OpenAI-compatible
server, scripted, human) read `Conversation.messages`.

Sampling is per episode: a policy that samples draws from a stream keyed by `Conversation.seed` and
`Conversation.turn`, never from one generator shared by the batch, so an episode's tokens do not depend on which
other episodes share its batch, on the batch size, or on the timing of env steps (DESIGN.md, "Rollout engine").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

from agentgym.types import Completion, Message


DEFAULT_MAX_NEW_TOKENS = 64
"""Every backend's default limit on the tokens of one reply (hf: max_new_tokens, vllm: SamplingParams.max_tokens,
openai: the request's max_tokens), so no backend generates without bound unless told."""



class ContextLimitExceeded(Exception):
    """The conversation no longer fits the model's context (a server's "maximum context length" error, say). The
    rollout ends the episode as a context-limit truncation, as its own max_context_tokens would, not as an error."""


@dataclass
class Conversation:
    """One live episode as a policy sees it."""

    messages: list[Message]
    """The conversation as text: system, then alternating user (observations) and assistant (actions)."""
    prompt_ids: list[int] | None = None
    """Exact token ids so far, ending with the generation prompt (token-level policies generate from these)."""
    info: dict[str, Any] = field(default_factory=dict)
    """The env's latest info (admissible_actions, valid_action, ...)."""
    seed: int | None = None
    """The episode's sampling seed. With `turn` it keys the episode's own random stream; None outside a rollout."""
    turn: int = 0
    """Index of the turn this completion is for (0 for the first action)."""
    max_new_tokens: int | None = None
    """A cap on this completion's length (the room left under the rollout's context limit); None: the policy's own
    limit. Policies generate at most min(this, their own max_new_tokens) tokens."""
    runner: Any = None
    """The episode's env runner (agentgym.runners.EnvRunner). Only privileged policies use it, to ask the env on its
    own executor: the oracle (runner.call(env_oracle_action)). The live env never crosses into a policy."""


@runtime_checkable
class Policy(Protocol):
    tokenizer: Any
    """A transformers tokenizer for token-level policies; None for message-level ones."""

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        """One completion per conversation, in order. May raise: the rollout then retries each conversation alone
        once and records the error on the episodes that fail again."""
        ...


def episode_stream_seed(seed: int, turn: int, *salt: int) -> int:
    """A 63-bit seed for the random stream of (episode seed, turn[, salt...]): what every sampling policy uses, so
    the same episode samples the same way whatever else is in its batch."""
    import numpy as np

    words = [int(seed) & 0xFFFFFFFFFFFFFFFF, int(turn), *(int(s) for s in salt)]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0]) >> 1
