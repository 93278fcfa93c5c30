"""Policies: the protocol, model-free ones (scripted, oracle, random, human) and model-backed ones (transformers,
vLLM, any OpenAI-compatible server). Model-backed modules import their heavy dependencies only when used."""

from __future__ import annotations

from typing import Any

from agentgym.policies.base import Conversation, Policy
from agentgym.policies.scripted import HumanPolicy, OraclePolicy, RandomPolicy, ScriptedPolicy

SPEC_FORMS = (
    "oracle", "random", "human", "hf:PATH_OR_HUB_ID", "vllm:MODEL", "openai:MODEL@BASE_URL",
)


def load_policy(spec: str, **kw: Any) -> Policy:
    """A policy from a short spec string; keyword arguments go to the policy's constructor.

    "oracle" | "random" | "human" | "hf:PATH" (HFPolicy.from_pretrained; a GGUF as hf:FILE.gguf or
    hf:FOLDER#FILE.gguf) | "vllm:MODEL" (VLLMPolicy) |
    "openai:MODEL@BASE_URL" (OpenAIPolicy, e.g. "openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1").
    """
    kind, sep, rest = spec.partition(":")
    if not sep:
        simple = {"oracle": OraclePolicy, "random": RandomPolicy, "human": HumanPolicy}
        if spec in simple:
            return simple[spec](**kw)
    elif kind == "hf" and rest:
        import os

        from agentgym.policies.hf import HFPolicy

        # A GGUF model: "hf:path/to/model.gguf" or "hf:FOLDER#model.gguf" (transformers dequantises it on load).
        path, _, gguf = rest.partition("#")
        if not gguf and path.endswith(".gguf") and os.path.isfile(path):
            path, gguf = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
        if gguf:
            kw = {"gguf_file": gguf, **kw}
        return HFPolicy.from_pretrained(path, **kw)
    elif kind == "vllm" and rest:
        from agentgym.policies.vllm import VLLMPolicy

        return VLLMPolicy(rest, **kw)
    elif kind == "openai":
        model, at, base_url = rest.rpartition("@")
        if at and model and base_url:
            from agentgym.policies.openai import OpenAIPolicy

            return OpenAIPolicy(model, base_url, **kw)
        raise ValueError(f"policy spec {spec!r} needs a model and a server: 'openai:MODEL@BASE_URL', e.g. "
                         "'openai:gpt-4o-mini@https://api.openai.com/v1'")
    raise ValueError(f"unknown policy spec {spec!r}; use one of: {', '.join(SPEC_FORMS)}")


__all__ = [
    "Conversation", "Policy", "ScriptedPolicy", "OraclePolicy", "RandomPolicy", "HumanPolicy", "load_policy",
    "SPEC_FORMS",
]
