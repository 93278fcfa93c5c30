"""HFPolicy: a transformers causal LM as a token-level policy (CPU or GPU), batched generation with left padding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentgym.chat import ChatTokenizer
from agentgym.policies.base import DEFAULT_MAX_NEW_TOKENS, Conversation, episode_stream_seed
from agentgym.types import Completion


class HFPolicy:
    """Generates from each conversation's exact `prompt_ids` and returns the generated ids with their logprobs.

    Completion.token_ids are the generated ids up to and including the first stop token (the chat template's
    end-of-turn, or the tokenizer's eos), no padding. Completion.logprobs[i] is log_softmax(logits / temperature) at
    token_ids[i] (temperature 1 under greedy decoding): what a fresh forward pass over prompt + completion gives, so a
    trainer's recomputed logprobs match at the old weights. top_p / top_k truncate sampling but are not folded into
    the logprobs.

    The model's own generation_config (repetition penalty, default top_k, ...) is ignored: sampling uses exactly the
    arguments below, so the logprobs describe the distribution the tokens were drawn from.

    Sampling is per episode, by the Gumbel-max trick: each row adds Gumbel noise drawn from its own stream (keyed by
    the conversation's seed and turn, see agentgym.policies.base) to its temperature-scaled, top-k/top-p-filtered
    logits and takes the argmax, which samples exactly from softmax(logits / temperature) while one batched forward
    pass still serves every episode. So an episode's tokens do not depend on which episodes share its batch. A
    conversation without a seed (direct use outside a rollout) gets a stream keyed by (seed, call, row).

    Vision-language models: pass `vision` (agentgym.vision.ImageTokens for the model's image processor). Prompt ids
    then hold each image's expanded placeholder tokens, and generate() gets the pixel inputs of every image in each
    conversation's messages, in order (Qwen2-VL's pixel_values / image_grid_thw).
    """

    def __init__(self, model: Any, tokenizer: Any, *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
                 temperature: float = 1.0, top_p: float = 1.0, top_k: int = 0, do_sample: bool = True, batch_size: int | None = None,
                 seed: int | None = None, vision: Any = None):
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if do_sample and temperature <= 0:
            raise ValueError(f"temperature must be > 0 when sampling, got {temperature}; use do_sample=False for greedy")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None (all conversations in one batch), got {batch_size}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.vision = vision
        self.chat = ChatTokenizer(tokenizer, vision=vision)
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature if do_sample else 1.0
        self.top_p = top_p
        self.top_k = top_k
        self.do_sample = do_sample
        self.batch_size = batch_size
        self.seed = seed
        self._calls = 0
        stop = list(self.chat.end_of_turn_ids[-1:])
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in stop:
            stop.append(tokenizer.eos_token_id)
        self.stop_ids: list[int] = stop
        """Generation ends at the first of these (end-of-turn first, then eos)."""
        # Tiny or base tokenizers may have no pad token; any id works under left padding with an attention mask.
        self.pad_id: int = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop[0]

    def generation_settings(self) -> dict[str, Any]:
        """What decides the replies, for the eval's printout and metrics.json."""
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature if self.do_sample else 0.0,
                "top_p": self.top_p, "top_k": self.top_k, "greedy": not self.do_sample, "seed": self.seed}

    @classmethod
    def from_pretrained(cls, name_or_path: str, *, device: str | None = None, dtype: Any = None,
                        gguf_file: str | None = None, **kw: Any) -> HFPolicy:
        """Load a model and tokenizer with transformers' Auto classes (a Hub id or a local folder; `gguf_file` for
        a GGUF inside it) and wrap them. A folder holding an image processor (a vision-language checkpoint that
        agentgym saved) also gets its `vision` (agentgym.models.load_model_folder). Other keyword arguments go to
        HFPolicy()."""
        import torch

        from agentgym.models import load_model_folder

        model, tokenizer, vision = load_model_folder(name_or_path, dtype=dtype or "auto", gguf_file=gguf_file)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if vision is not None:
            kw = {"vision": vision, **kw}
        return cls(model.to(device), tokenizer, **kw)

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        prompts = [c.prompt_ids if c.prompt_ids is not None else self.chat.start_ids(c.messages)
                   for c in conversations]
        for i, p in enumerate(prompts):
            if not p:
                raise ValueError(f"conversation {i} has empty prompt_ids; it needs at least the chat template's prefix")
        size = self.batch_size or max(1, len(prompts))
        out: list[Completion] = []
        for start in range(0, len(prompts), size):
            out += self._generate(conversations[start:start + size], prompts[start:start + size])
        return out

    def _generate(self, convs: Sequence[Conversation], prompts: list[list[int]]) -> list[Completion]:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        device = self.model.device
        width = max(len(p) for p in prompts)
        caps = [min(self.max_new_tokens, c.max_new_tokens or self.max_new_tokens) for c in convs]
        for i, cap in enumerate(caps):
            if cap < 1:
                raise ValueError(f"conversation {i} allows max_new_tokens={convs[i].max_new_tokens}; it must be >= 1 "
                                 "(the rollout ends an episode at its context limit instead of asking for 0 tokens)")
        input_ids = torch.tensor([[self.pad_id] * (width - len(p)) + list(p) for p in prompts], device=device)
        attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
        # Greedy decoding in generate(); when sampling, the Gumbel processor turns the argmax into a per-row sample.
        config = GenerationConfig(
            max_new_tokens=max(caps), do_sample=False, temperature=None, top_p=None, top_k=None,
            eos_token_id=self.stop_ids, pad_token_id=self.pad_id, return_dict_in_generate=True, output_logits=True,
        )
        processors = LogitsProcessorList()
        banned = list(self.vision.never_generated) if self.vision is not None else []
        if banned:  # image placeholders are the prompt's, never the policy's (agentgym.vision.ImageTokens)
            processors.append(_Suppress(banned))
        if self.do_sample:
            call = self._calls
            keys = [episode_stream_seed(c.seed, c.turn) if c.seed is not None
                    else episode_stream_seed(self.seed or 0, call, row) for row, c in enumerate(convs)]
            processors.append(_PerRowGumbel(keys, width=width, temperature=self.temperature, top_k=self.top_k,
                                            top_p=self.top_p))
        self._calls += 1
        pixels = {}
        if self.vision is not None:
            from agentgym.vision import message_images

            images = [im for c in convs for im in message_images(c.messages)]
            if images:  # in row order, as the image tokens appear in the batch
                pixels = {k: v.to(device) for k, v in self.vision.pixel_inputs(images).items()}
                pixels["mm_token_type_ids"] = (input_ids == self.vision.image_token_id).long()  # for M-RoPE
        with torch.inference_mode():
            result = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, generation_config=config,
                                         logits_processor=processors, **pixels)
            new_tokens = result.sequences[:, width:]
            # Raw logits of each step (before temperature / top-k / top-p / noise), one [batch, vocab] per step.
            # Under the distribution sampled from: suppressed tokens carry no probability (as in trainers/forward.py).
            logprobs = torch.stack([
                torch.log_softmax(_suppressed(step.float(), banned) / self.temperature, dim=-1)
                .gather(-1, new_tokens[:, t:t + 1]).squeeze(-1)
                for t, step in enumerate(result.logits)
            ], dim=1)

        completions = []
        stop = set(self.stop_ids)
        for row_ids, row_lps, cap in zip(new_tokens.tolist(), logprobs.tolist(), caps):
            # A row's tokens are its own (its noise stream is its own), so cutting at its cap gives what generating
            # with that cap alone would have.
            row_ids = row_ids[:cap]
            end = next((i + 1 for i, tok in enumerate(row_ids) if tok in stop), None)
            ids = row_ids[:end] if end is not None else row_ids
            completions.append(Completion(
                text=self.tokenizer.decode(ids, skip_special_tokens=True),
                token_ids=ids, logprobs=row_lps[:len(ids)], finish_reason="stop" if end is not None else "length",
            ))
        return completions


SUPPRESSED_LOGIT = -1e9
"""The logit of a token the policy may not generate (finite, so entropies stay finite: 0 x -1e9 = 0)."""


def _suppressed(scores: Any, ids: Sequence[int]) -> Any:
    if ids:
        scores = scores.clone()
        scores[..., list(ids)] = SUPPRESSED_LOGIT
    return scores


class _Suppress:
    """A logits processor that keeps `ids` from being generated (greedy or sampled)."""

    def __init__(self, ids: Sequence[int]):
        self.ids = list(ids)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        return _suppressed(scores, self.ids)


class _PerRowGumbel:
    """A transformers logits processor: temperature, top-k and top-p, then Gumbel noise from each row's own stream.

    argmax(logits / T + G) with G ~ Gumbel(0, 1) i.i.d. per token is a sample of softmax(logits / T) (the Gumbel-max
    trick). Row r's noise at generation step t is the t-th draw of a generator seeded with keys[r]: a function of that
    episode alone, so batch composition cannot change what it samples.
    """

    def __init__(self, keys: list[int], *, width: int, temperature: float, top_k: int, top_p: float):
        import torch
        from transformers import TopKLogitsWarper, TopPLogitsWarper

        self.width = width
        self.temperature = temperature
        self.warpers = ([TopKLogitsWarper(top_k)] if top_k and top_k > 0 else []) + \
                       ([TopPLogitsWarper(top_p)] if top_p < 1.0 else [])
        self.generators = [torch.Generator().manual_seed(k) for k in keys]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        scores = scores.float() / self.temperature
        for w in self.warpers:
            scores = w(input_ids, scores)
        vocab = scores.shape[-1]
        # Uniforms in (0, 1): float64 keeps -log(-log(u)) finite at both ends.
        u = torch.stack([torch.rand(vocab, generator=g, dtype=torch.float64) for g in self.generators])
        gumbel = -torch.log(-torch.log(u.clamp(1e-300, 1.0 - 1e-16)))
        return scores.double() + gumbel.to(scores.device)  # float64: no ties from rounding the sum
