"""VLLMPolicy: vLLM's offline engine as a token-level policy (GPU). `import vllm` happens on construction only."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from agentgym.chat import ChatTokenizer
from agentgym.policies.base import DEFAULT_MAX_NEW_TOKENS, Conversation, episode_stream_seed
from agentgym.types import Completion


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as e:
        raise ImportError(
            f"VLLMPolicy needs vLLM, which is not importable here ({e}). Install it on a CUDA machine with "
            "`pip install 'agentgym[vllm]'`, or use HFPolicy (transformers, CPU or GPU)."
        ) from e
    return vllm


class VLLMPolicy:
    """Generates with `vllm.LLM` from each conversation's exact prompt ids (TokensPrompt) and keeps the engine's token
    ids and logprobs; nothing is re-tokenised.

    model: a model name/path (an `LLM` is built with **llm_kwargs) or a ready `vllm.LLM`.
    sampling_params: a plain `vllm.SamplingParams` (default: temperature 1, max_tokens 64). We only set what the
    rollout needs on a copy: logprobs >= 0 (the sampled token's logprob comes back) and the chat template's
    end-of-turn token among the stop tokens (kept in the output, as the rollout expects).

    Logprobs are whatever vLLM reports for the sampled token: by default vLLM reports them from the raw model
    distribution (before temperature); set `logprobs_mode` in llm_kwargs (vLLM >= 0.10.2) to get processed ones
    matching a trainer that divides logits by the temperature.

    Vision-language models: pass `vision` (agentgym.vision.ImageTokens). Prompt ids then hold each image's expanded
    placeholder tokens, and each request carries its conversation's images, in order, as
    `multi_modal_data={"image": [PIL images]}` (vLLM matches them to the placeholders).
    """

    def __init__(self, model: Any, sampling_params: Any = None, *, vision: Any = None, **llm_kwargs: Any):
        vllm = _import_vllm()
        self._vllm = vllm
        if isinstance(model, str):
            self.llm = vllm.LLM(model=model, **llm_kwargs)
        else:
            if llm_kwargs:
                raise TypeError(f"llm_kwargs {sorted(llm_kwargs)} only apply when VLLMPolicy builds the LLM from a "
                                "model name; got a ready LLM")
            self.llm = model
        self.tokenizer = self.llm.get_tokenizer()
        self.vision = vision
        self.chat = ChatTokenizer(self.tokenizer, vision=vision)
        params = sampling_params if sampling_params is not None else vllm.SamplingParams(temperature=1.0,
                                                                                          max_tokens=DEFAULT_MAX_NEW_TOKENS)
        # Our changes go on a copy: the caller's SamplingParams may be shared with other engines.
        params = params.clone() if hasattr(params, "clone") else copy.deepcopy(params)
        if params.logprobs is None:
            params.logprobs = 0  # 0 = only the sampled token's logprob (no top-k alternatives)
        stop = list(params.stop_token_ids or [])
        for tok in self.chat.end_of_turn_ids[-1:]:
            if tok not in stop:
                stop.append(tok)
        params.stop_token_ids = stop
        if vision is not None and vision.never_generated:
            # A sampled image placeholder would be an image position without an image (the training forward refuses
            # it). vLLM clamps a logit bias to [-100, 100]; exp(-100) is 0 at float32, as the HF policy's mask is.
            params.logit_bias = {**(getattr(params, "logit_bias", None) or {}),
                                 **{tok: -100.0 for tok in vision.never_generated}}
        self.sampling_params = params

    def generation_settings(self) -> dict[str, Any]:
        """What decides the replies (the SamplingParams fields that matter), for the eval's printout."""
        p = self.sampling_params
        return {k: getattr(p, k, None) for k in ("max_tokens", "temperature", "top_p", "top_k", "seed")}

    def act(self, conversations: Sequence[Conversation]) -> list[Completion]:
        from vllm.inputs import TokensPrompt

        prompts = []
        for c in conversations:
            prompt = TokensPrompt(prompt_token_ids=c.prompt_ids if c.prompt_ids is not None
                                  else self.chat.start_ids(c.messages))
            if self.vision is not None:
                from PIL import Image as PILImage

                from agentgym.vision import message_images

                images = message_images(c.messages)
                if images:
                    prompt["multi_modal_data"] = {"image": [PILImage.fromarray(im.array) for im in images]}
            prompts.append(prompt)
        params = [self._params_for(c) for c in conversations]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        return [self._completion(o.outputs[0]) for o in outputs]

    def _params_for(self, conv: Conversation) -> Any:
        """This request's SamplingParams: the engine's, with a per-request seed keyed by (episode seed, turn) so the
        episode samples the same whatever shares its batch, and max_tokens capped to the room the rollout left."""
        params = self.sampling_params.clone() if hasattr(self.sampling_params, "clone") else \
            copy.deepcopy(self.sampling_params)
        if conv.seed is not None and self.sampling_params.seed is None:
            params.seed = episode_stream_seed(conv.seed, conv.turn)
        if conv.max_new_tokens is not None:
            params.max_tokens = min(conv.max_new_tokens, params.max_tokens or conv.max_new_tokens)
        return params

    def _completion(self, out: Any) -> Completion:
        ids = list(out.token_ids)
        if out.logprobs is None:
            raise RuntimeError("vLLM returned no logprobs although SamplingParams.logprobs was set; "
                               f"sampling params: {self.sampling_params}")
        # One dict per generated token, {token_id: Logprob}; the sampled token is always among the keys.
        logprobs = [float(step[tok].logprob) for tok, step in zip(ids, out.logprobs)]
        return Completion(text=out.text, token_ids=ids, logprobs=logprobs, finish_reason=out.finish_reason)

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> None:
        """Copy a trainer's weights into the engine (names as in the Hugging Face checkpoint, e.g. from
        `model.named_parameters()`), then drop the prefix cache, whose KV entries were computed with the old weights.

        Uses `LLM.apply_model`, which runs the function on the model inside every worker. With vLLM's V1 engine in
        multiprocess mode the function and tensors are pickled to the workers: set
        VLLM_ALLOW_INSECURE_SERIALIZATION=1, or VLLM_ENABLE_V1_MULTIPROCESSING=0 to keep the engine in-process (a
        colocated trainer). For large models use a collective (NCCL) weight-sync path instead.
        """
        weights = [(name, tensor.detach()) for name, tensor in named_tensors]
        if not weights:
            raise ValueError("load_weights got no (name, tensor) pairs")
        self.llm.apply_model(lambda model: model.load_weights(weights=weights))
        self.llm.reset_prefix_cache()
