"""The model, tokenizer and rollout policy of a run: built from model.name ("tiny", "smollm2" or a transformers
path), loaded from a checkpoint, and the transformers policy that generates with the training model itself."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from agentgym.core import Task
from agentgym.trainers.config import ConfigError, EnvConfig, ModelConfig, RolloutConfig, TrainConfig


def pick_device(model_cfg: ModelConfig) -> torch.device:
    if model_cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if model_cfg.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError('model.device = "cuda" but no CUDA GPU is visible; use "cpu" or "auto"')
    return torch.device(model_cfg.device)


def oracle_corpus(env_cfg: EnvConfig, tasks: Sequence[Task], episodes: int) -> list[str]:
    """Text of oracle episodes (system prompt, observations, actions): what a tiny tokenizer is trained on."""
    from agentgym.policies.scripted import OraclePolicy
    from agentgym.rollout import rollout

    trajs = rollout(env_cfg.id, OraclePolicy(), list(tasks)[:episodes], env_kwargs=env_cfg.kwargs,
                    max_turns=env_cfg.max_turns)
    return [m.text for t in trajs for m in t.messages]


def build_model_and_tokenizer(cfg: TrainConfig, train_tasks: Sequence[Task]) -> tuple[Any, Any]:
    """The model to train and its tokenizer, from model.name ("tiny", "smollm2" or a transformers path)."""
    m = cfg.model
    if m.name == "tiny":
        from agentgym.tiny import build_model, build_tokenizer

        corpus = oracle_corpus(cfg.env, train_tasks, m.tiny_corpus_episodes)
        tokenizer = build_tokenizer("chatml", corpus=corpus, vocab_size=m.tiny_vocab_size)
        model = build_model(tokenizer, hidden_size=m.tiny_hidden_size, num_layers=m.tiny_num_layers,
                            num_heads=m.tiny_num_heads, seed=cfg.run.seed)
    elif m.name == "smollm2":
        from agentgym.models import load_smollm2

        model, tokenizer = load_smollm2()
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from agentgym.models import resolve_model_path

        name = resolve_model_path(m.name)  # a missing path fails at once; a run folder means its newest checkpoint
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
    return model, tokenizer


def load_pretrained(path: str) -> tuple[Any, Any]:
    """A model + tokenizer saved by save_pretrained (a checkpoint's model/ folder)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def make_policy(model: Any, tokenizer: Any, rollout_cfg: RolloutConfig, *, seed: int, greedy: bool = False) -> Any:
    """An HFPolicy generating with the training model itself (same parameters: no weight sync needed)."""
    from agentgym.policies.hf import HFPolicy

    return HFPolicy(model, tokenizer, max_new_tokens=rollout_cfg.max_new_tokens,
                    temperature=rollout_cfg.temperature, top_p=rollout_cfg.top_p, top_k=rollout_cfg.top_k,
                    do_sample=not greedy, batch_size=rollout_cfg.batch_size, seed=seed)


def trainable_parameters(*modules: Any) -> list[torch.nn.Parameter]:
    return [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]
