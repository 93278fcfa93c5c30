"""Checkpoints with exact resume.

A checkpoint (checkpoints/step_N/) holds the model (save_pretrained), tokenizer, optimizer and scheduler state, the
value head (PPO), the progress estimator (SPA), every RNG state (python, numpy, torch) and the step; the data order is
a pure function of (seed, step) (trainers/data_order.py), so the same tasks come next. tests/trainers/test_checkpoints.py
trains 4 steps straight and 2 + resume + 2 and compares the parameters and metrics.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any, Iterator

import torch

from agentgym.trainers.rng import rng_state, set_rng_state

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "trainer_state.pt"


def save_checkpoint(run_dir: str | Path, step: int, *, model: torch.nn.Module, tokenizer: Any,
                    optimizer: torch.optim.Optimizer, scheduler: Any = None, extra_modules: dict | None = None,
                    estimator: Any = None, keep: int = 2, extra_state: dict | None = None) -> Path:
    """Write checkpoints/step_N/ (model + tokenizer via save_pretrained, trainer_state.pt) and prune old ones."""
    ckpt_root = Path(run_dir) / CHECKPOINT_DIR
    final = ckpt_root / f"step_{step}"
    tmp = ckpt_root / f".step_{step}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_model(model, tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    state = {
        "step": step,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "modules": {k: m.state_dict() for k, m in (extra_modules or {}).items()},
        "rng": rng_state(),
        "extra": extra_state or {},
    }
    torch.save(state, tmp / STATE_FILE)
    if estimator is not None:
        estimator.save(str(tmp / "progress_estimator.pt"))
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)  # a crash mid-write never leaves a half checkpoint under the real name
    for old in list_checkpoints(run_dir)[:-keep]:
        shutil.rmtree(old)
    return final


def save_model(model: torch.nn.Module, path: str | Path) -> None:
    """save_pretrained, also for models loaded from a GGUF file: transformers dequantises those to plain float
    tensors on load but keeps a GGUF "quantizer" that refuses to save; the tensors themselves save exactly."""
    with _quiet_transformers_progress():  # its "Writing model shards" bar would break our own progress line
        _save_pretrained(model, path)


@contextlib.contextmanager
def _quiet_transformers_progress() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _save_pretrained(model: torch.nn.Module, path: str | Path) -> None:
    quantizer = getattr(model, "hf_quantizer", None)
    method = getattr(getattr(quantizer, "quantization_config", None), "quant_method", None)
    if quantizer is None or str(getattr(method, "value", method)) != "gguf":
        model.save_pretrained(path)
        return
    saved_cfg = getattr(model.config, "quantization_config", None)
    model.hf_quantizer = None
    if saved_cfg is not None:
        del model.config.quantization_config
    try:
        model.save_pretrained(path)
    finally:
        model.hf_quantizer = quantizer
        if saved_cfg is not None:
            model.config.quantization_config = saved_cfg


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    root = Path(run_dir) / CHECKPOINT_DIR
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step_") and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("_")[1]))


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    ckpts = list_checkpoints(run_dir)
    return ckpts[-1] if ckpts else None


def load_trainer_state(ckpt: str | Path) -> dict[str, Any]:
    # weights_only=False: the state holds python/numpy RNG tuples; the file is one we wrote ourselves.
    return torch.load(Path(ckpt) / STATE_FILE, map_location="cpu", weights_only=False)


def restore(state: dict[str, Any], *, optimizer: torch.optim.Optimizer, scheduler: Any = None,
            extra_modules: dict | None = None) -> int:
    """Load optimizer/scheduler/module states and RNG; return the step to continue from."""
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    for k, m in (extra_modules or {}).items():
        if k not in state["modules"]:
            raise KeyError(f"checkpoint has no state for {k!r}; it holds {sorted(state['modules'])}")
        m.load_state_dict(state["modules"][k])
    set_rng_state(state["rng"])
    return int(state["step"])
