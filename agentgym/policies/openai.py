"""OpenAIPolicy: any OpenAI-compatible chat server (`vllm serve`, SGLang, an API) as a message-level policy."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agentgym.policies.base import DEFAULT_MAX_NEW_TOKENS, ContextLimitExceeded, Conversation, episode_stream_seed
from agentgym.types import Completion, ImagePart, Message

_TOKEN_ID = re.compile(r"^token_id:(\d+)$")
# How servers say a prompt is too long: vLLM and OpenAI ("maximum context length is 4096 tokens ... you requested
# 5035"), OpenAI's code context_length_exceeded, llama.cpp ("the request exceeds the available context size"), SGLang
# and TGI ("... longer than the model's context length", "exceeds the context window").
_CONTEXT_ERROR = re.compile(r"maximum context length|context_length_exceeded|exceeds the available context size|"
                            r"context length|context window", re.IGNORECASE)


class ServerError(RuntimeError):
    """A request to the server failed, or its answer is not a chat completion; the message names the server."""


def _status_message(e: Any) -> str:
    """The server's own error message of an HTTP error (OpenAI's {"error": {"message": ...}} body), else the
    client's."""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return _short(inner["message"])
    return _short(e.message)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class OpenAIPolicy:
    """Sends each conversation's messages to `chat.completions.create`, one request per conversation, concurrently.

    model: the served model name. base_url: e.g. "http://localhost:8000/v1". api_key: this argument, else
    $OPENAI_API_KEY, else "EMPTY" (what local servers accept). create_kwargs go to every request unchanged
    (temperature, max_tokens (default DEFAULT_MAX_NEW_TOKENS, 64), logprobs=True (top_logprobs=1 is then added unless
    given), extra_body={...}); max_workers bounds concurrent requests, and max_retries / timeout go to the client.
    served_models collects the model names the server reports in its replies.

    Completion.text is the reply. When the request asked for logprobs (logprobs=True) the Completion carries them,
    and token ids too when the server names tokens by id: vLLM does with
    extra_body={"return_tokens_as_token_ids": True} ("token_id:123" strings). Server errors raise (the rollout records
    them on the episode); so does a reply without content (None), rather than passing "" to the env as an action.
    """

    tokenizer = None

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 max_workers: int = 16, max_retries: int = 2, timeout: float | None = 60.0, **create_kwargs: Any):
        try:
            import openai
        except ImportError as e:
            raise ImportError("OpenAIPolicy needs the openai client: `pip install 'agentgym[openai]'`") from e
        self.model = model
        self.base_url = base_url
        # Bounded by default, like every backend: a server asked for no max_tokens may generate until its context ends.
        create_kwargs.setdefault("max_tokens", DEFAULT_MAX_NEW_TOKENS)
        if create_kwargs.get("logprobs"):
            # llama-cpp-python's server returns logprobs only when top_logprobs is set too (0.3.36 passes
            # `logprobs=top_logprobs if logprobs else None` to its sampler); 1 costs little elsewhere.
            create_kwargs.setdefault("top_logprobs", 1)
        self.create_kwargs = create_kwargs
        self.served_models: set[str] = set()
        """The model names the server reported in its replies (`response.model`), for the manifest."""
        self.max_workers = max_workers
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
                                    max_retries=max_retries, timeout=timeout)

    def generation_settings(self) -> dict[str, Any]:
        """What decides the replies (the request parameters; the key never), for the eval's printout."""
        return {k: v for k, v in self.create_kwargs.items() if k != "extra_headers"}

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
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=[openai_message(m) for m in conversation.messages], **kwargs)
        except openai.APITimeoutError:
            raise ServerError(f"server at {self.base_url} did not answer within {self.client.timeout} s "
                              f"({self.client.max_retries} retries); raise --request-timeout if it is just slow") from None
        except openai.APIConnectionError as e:
            raise ServerError(f"cannot reach the server at {self.base_url}: {e.__cause__ or e}") from None
        except openai.APIStatusError as e:
            if e.status_code in (400, 413) and _CONTEXT_ERROR.search(_status_message(e)):
                raise ContextLimitExceeded(f"server at {self.base_url}: {_status_message(e)}") from None
            raise ServerError(f"server at {self.base_url} answered HTTP {e.status_code}: {_status_message(e)}") from None
        except ValueError as e:  # json.JSONDecodeError: the body is not JSON
            raise ServerError(f"server at {self.base_url} returned a malformed response: {e}") from None
        try:
            choices = response.choices
        except AttributeError:  # the body parsed, but is not a chat completion (a bare string, say)
            raise ServerError(f"server at {self.base_url} returned a malformed response: "
                              f"{_short(repr(response))}") from None
        if not choices:
            raise ServerError(f"server at {self.base_url} returned no choices for model {self.model!r}")
        reported = getattr(response, "model", None)
        if isinstance(reported, str) and reported:
            self.served_models.add(reported)
        choice = choices[0]
        try:
            text = choice.message.content
        except AttributeError:
            raise ServerError(f"server at {self.base_url} returned a malformed response: a choice without a "
                              f"message ({_short(repr(choice))})") from None
        if text is None:
            raise ServerError(f"server at {self.base_url} returned no message content (finish_reason="
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
