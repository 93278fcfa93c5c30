"""OpenAIPolicy: any OpenAI-compatible chat server (`vllm serve`, SGLang, an API) as a message-level policy."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agentgym.policies.base import Conversation, episode_stream_seed
from agentgym.types import Completion, ImagePart, Message

_TOKEN_ID = re.compile(r"^token_id:(\d+)$")


class OpenAIPolicy:
    """Sends each conversation's messages to `chat.completions.create`, one request per conversation, concurrently.

    model: the served model name. base_url: e.g. "http://localhost:8000/v1". api_key: this argument, else
    $OPENAI_API_KEY, else "EMPTY" (what local servers accept). create_kwargs go to every request unchanged
    (temperature, max_tokens, logprobs=True, extra_body={...}); max_workers bounds concurrent requests, and
    max_retries / timeout go to the client.

    Completion.text is the reply. When the request asked for logprobs (logprobs=True) the Completion carries them,
    and token ids too when the server names tokens by id: vLLM does with
    extra_body={"return_tokens_as_token_ids": True} ("token_id:123" strings). Server errors raise (the rollout records
    them on the episode); so does a reply without content (None), rather than passing "" to the env as an action.
    """

    tokenizer = None

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 max_workers: int = 16, max_retries: int = 2, timeout: float | None = 600.0, **create_kwargs: Any):
        try:
            import openai
        except ImportError as e:
            raise ImportError("OpenAIPolicy needs the openai client: `pip install 'agentgym[openai]'`") from e
        self.model = model
        self.base_url = base_url
        self.create_kwargs = create_kwargs
        self.max_workers = max_workers
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
                                    max_retries=max_retries, timeout=timeout)

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIPolicy(model={self.model!r}, base_url={self.base_url!r})"

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        if len(conversations) <= 1:
            return [self._one(c) for c in conversations]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(conversations))) as pool:
            # map keeps the order and re-raises the first failure.
            return list(pool.map(self._one, conversations))

    def _one(self, conversation: Conversation) -> Completion:
        kwargs = dict(self.create_kwargs)
        if conversation.seed is not None and "seed" not in kwargs:
            # Servers that honour `seed` (vLLM, llama.cpp, OpenAI's best effort) then sample per episode and turn.
            kwargs["seed"] = episode_stream_seed(conversation.seed, conversation.turn) % (1 << 31)
        if conversation.max_new_tokens is not None:
            limit = kwargs.get("max_tokens")
            kwargs["max_tokens"] = min(conversation.max_new_tokens, limit) if limit else conversation.max_new_tokens
        response = self.client.chat.completions.create(
            model=self.model, messages=[openai_message(m) for m in conversation.messages], **kwargs)
        if not response.choices:
            raise RuntimeError(f"server at {self.base_url} returned no choices for model {self.model!r}")
        choice = response.choices[0]
        text = choice.message.content
        if text is None:
            raise RuntimeError(f"server at {self.base_url} returned no message content (finish_reason="
                               f"{choice.finish_reason!r}) for model {self.model!r}")
        token_ids, logprobs = None, None
        content = choice.logprobs.content if choice.logprobs is not None else None
        if content:
            logprobs = [float(t.logprob) for t in content]
            ids = [_TOKEN_ID.match(t.token) for t in content]
            if all(ids):
                token_ids = [int(m.group(1)) for m in ids]  # type: ignore[union-attr]
        return Completion(text=text, token_ids=token_ids, logprobs=logprobs, finish_reason=choice.finish_reason)


def openai_message(m: Message) -> dict[str, Any]:
    """A message in the OpenAI chat format: text content as a str; images as base64 PNG data URLs in image_url
    parts (what OpenAI-compatible vision servers take)."""
    if isinstance(m.content, str):
        return {"role": m.role, "content": m.content}
    parts: list[dict[str, Any]] = []
    for p in m.content:
        if isinstance(p, ImagePart):
            parts.append({"type": "image_url", "image_url": {"url": p.image.data_url()}})
        else:
            parts.append({"type": "text", "text": p.text})
    return {"role": m.role, "content": parts}
