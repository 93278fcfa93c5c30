"""The plumbing around a trainer: weight sync into the rollout engine, checkpoints with exact resume, metric logs.

Resume is exact: a checkpoint holds the model (save_pretrained), tokenizer, optimizer and scheduler state, the value
head (PPO), the progress estimator (SPA), every RNG state (python, numpy, torch) and the step; the data order is a
pure function of (seed, step), so the same tasks come next. tests/trainers/test_engine.py trains 4 steps straight and
2 + resume + 2 and compares the parameters and metrics.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "trainer_state.pt"


# ---------------------------------------------------------------------------------------------------------------------
# Weight sync
# ---------------------------------------------------------------------------------------------------------------------
def sync_weights(policy: Any, model: torch.nn.Module) -> str:
    """Make the rollout policy generate with the training model's current weights. Returns what it did.

    HFPolicy built on the training model shares the very same parameters, so there is nothing to copy ("shared").
    A policy with `load_weights` (VLLMPolicy: vLLM's own loader inside every worker, which handles fused qkv /
    gate_up layouts, then a prefix-cache reset) gets the state dict under its Hugging Face names ("loaded"). The
    real engine is exercised by the GPU-marked tests only.
    """
    if getattr(policy, "model", None) is model:
        return "shared"
    load = getattr(policy, "load_weights", None)
    if load is None:
        raise TypeError(f"cannot sync weights into {type(policy).__name__}: it neither shares the training model "
                        "(HFPolicy(model, ...)) nor has load_weights (VLLMPolicy)")
    load(model.state_dict().items())
    return "loaded"


# ---------------------------------------------------------------------------------------------------------------------
# RNG
# ---------------------------------------------------------------------------------------------------------------------
def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A seed for (run seed, step, stream) that does not collide across steps: rollouts and sampling use it, so a
    resumed run draws exactly what the uninterrupted run drew."""
    return int(np.random.SeedSequence([seed, step, stream]).generate_state(1)[0])


# ---------------------------------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------------------------------
class MetricsLogger:
    """Appends one JSON object per step to metrics.jsonl and mirrors scalars to TensorBoard.

    On resume from step S it drops the lines of steps > S (written after that checkpoint by the interrupted run), so
    the file reads as one uninterrupted run.
    """

    def __init__(self, run_dir: str | Path, *, tensorboard: bool = True, resume_step: int | None = None):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / "metrics.jsonl"
        if resume_step is None:
            self.path.write_text("")
        else:
            kept = [line for line in self._lines() if json.loads(line).get("step", 0) <= resume_step]
            self.path.write_text("".join(line + "\n" for line in kept))
        self._tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self.run_dir / "tb"), purge_step=(resume_step + 1) if resume_step else None)
        self._t0 = time.time()

    def _lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return [line for line in self.path.read_text().splitlines() if line.strip()]

    def log(self, step: int, metrics: dict[str, float]) -> None:
        row = {"step": step, **{k: _plain(v) for k, v in metrics.items()}}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self._tb is not None:
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)) and math.isfinite(v):
                    self._tb.add_scalar(k, v, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _plain(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        v = v.item()
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    return v
