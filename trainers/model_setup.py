"""The model, tokenizer (and, for a vision-language model, its image processor) of a run: built from model.name
("tiny", "tiny-vl", "smollm2" or a transformers path), loaded from a checkpoint, and the transformers policy that
generates with the training model itself."""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

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


class ModelParts(NamedTuple):
    """What a run trains and generates with."""

    model: Any
    tokenizer: Any
    vision: Any = None
    """agentgym.vision.ImageTokens (the image processor) of a vision-language model; None for a text-only one."""


def build_model(cfg: TrainConfig, train_tasks: Sequence[Task]) -> ModelParts:
    """The model to train, its tokenizer and (vision-language models) its image processor, from model.name: "tiny",
    "tiny-vl" (both built locally, seeded by run.seed, their tokenizer trained on oracle episodes of the env),
    "smollm2", a run folder or a transformers model folder."""
    m = cfg.model
    if m.name == "tiny":
        from agentgym.tiny import build_model as build_tiny, build_tokenizer

        corpus = oracle_corpus(cfg.env, train_tasks, m.tiny_corpus_episodes)
        tokenizer = build_tokenizer("chatml", corpus=corpus, vocab_size=m.tiny_vocab_size)
        model = build_tiny(tokenizer, hidden_size=m.tiny_hidden_size, num_layers=m.tiny_num_layers,
                           num_heads=m.tiny_num_heads, seed=cfg.run.seed)
        return ModelParts(model, tokenizer)
    if m.name == "tiny-vl":
        from agentgym.tiny_vl import tiny_vision_model

        corpus = oracle_corpus(cfg.env, train_tasks, m.tiny_corpus_episodes)
        model, tokenizer, vision = tiny_vision_model(
            corpus, seed=cfg.run.seed, max_pixels=m.tiny_vl_max_pixels, hidden_size=m.tiny_hidden_size,
            num_layers=m.tiny_num_layers, num_heads=m.tiny_num_heads, vocab_size=m.tiny_vocab_size)
        return ModelParts(model, tokenizer, vision)
    if m.name == "smollm2":
        from agentgym.models import load_smollm2

        return ModelParts(*load_smollm2())
    # a missing path fails at once; a run folder means its newest intact checkpoint
    return load_model(m.name)


def load_model(path: str) -> ModelParts:
    """A model saved by save_pretrained (a checkpoint's model/ folder, a run folder, a transformers folder), with its
    tokenizer and, when the folder holds an image processor, its vision (agentgym.models.load_model_folder)."""
    from agentgym.models import load_model_folder

    return ModelParts(*load_model_folder(path, dtype=torch.float32))


def load_model_weights(path: str) -> Any:
    """A model folder without tokenizer files (a run's reference/ copy): the class follows its config.json (a
    vision-language config, one with a vision_config, loads as image-text-to-text)."""
    import json
    from pathlib import Path

    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText

    config = json.loads((Path(path) / "config.json").read_text())
    cls = AutoModelForImageTextToText if "vision_config" in config else AutoModelForCausalLM
    return cls.from_pretrained(path, dtype=torch.float32)


def build_model_and_tokenizer(cfg: TrainConfig, train_tasks: Sequence[Task]) -> tuple[Any, Any]:
    """(model, tokenizer) of a text-only model.name (build_model gives a vision-language model's processor too)."""
    return _text_only(build_model(cfg, train_tasks), cfg.model.name)


def load_pretrained(path: str) -> tuple[Any, Any]:
    """(model, tokenizer) of a text-only model folder (load_model gives a vision-language model's processor too)."""
    return _text_only(load_model(path), path)


def _text_only(parts: ModelParts, name: str) -> tuple[Any, Any]:
    if parts.vision is not None:
        raise ValueError(f"model {name!r} is a vision-language model: use build_model / load_model, which also "
                         "return its image processor (ModelParts.vision)")
    return parts.model, parts.tokenizer


def text_config(model: Any) -> Any:
    """The language model's config (a vision-language model nests it; a causal LM's is its own)."""
    get = getattr(model.config, "get_text_config", None)
    return get() if get is not None else model.config


def require_vision_for_images(cfg: TrainConfig, vision: Any) -> None:
    """A ConfigError when the env shows images but the model reads only text (vision None); without it the run
    would fail inside the chat template with "can only concatenate str (not "list") to str"."""
    if vision is not None:
        return
    from agentgym.registry import make

    env = make(cfg.env.id, **cfg.env.kwargs)
    try:
        space = env.observation_space
        shows_images = hasattr(space, "spaces") and "images" in space.spaces
    finally:
        env.close()
    if shows_images:
        raise ConfigError(f"model.name = {cfg.model.name!r} is a text-only model (it has no image processor), but "
                          f"env {cfg.env.id!r} shows images in its observations; train it with a vision-language "
                          'model: model.name = "tiny-vl", or a model folder with a preprocessor_config.json (a '
                          "checkpoint of a tiny-vl run)")


def make_policy(model: Any, tokenizer: Any, rollout_cfg: RolloutConfig, *, seed: int, greedy: bool = False,
                vision: Any = None) -> Any:
    """An HFPolicy generating with the training model itself (same parameters: no weight sync needed); `vision`
    (a vision-language model's ImageTokens) puts the observations' images into its prompts."""
    from agentgym.policies.hf import HFPolicy

    return HFPolicy(model, tokenizer, max_new_tokens=rollout_cfg.max_new_tokens,
                    temperature=rollout_cfg.temperature, top_p=rollout_cfg.top_p, top_k=rollout_cfg.top_k,
                    do_sample=not greedy, batch_size=rollout_cfg.batch_size, seed=seed, vision=vision)


def trainable_parameters(*modules: Any) -> list[torch.nn.Parameter]:
    return [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]
