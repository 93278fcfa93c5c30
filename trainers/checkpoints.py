"""Checkpoints with exact resume.

A checkpoint (checkpoints/step_N/) holds the model (save_pretrained), tokenizer (and a vision-language model's image
processor, preprocessor_config.json, all three in model/), optimizer and scheduler state, the
value head (PPO), the progress estimator (SPA), every RNG state (python, numpy, torch) and the step; the data order is
a pure function of (seed, step) (trainers/data_order.py), so the same tasks come next. tests/trainers/test_checkpoints.py
trains 4 steps straight and 2 + resume + 2 and compares the parameters and metrics.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import torch

from agentgym.trainers.rng import rng_state, set_rng_state

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "trainer_state.pt"
MANIFEST = "manifest.json"
"""Every file of a checkpoint with its size and sha256, written last; resume verifies it."""


def save_checkpoint(run_dir: str | Path, step: int, *, model: torch.nn.Module, tokenizer: Any,
                    optimizer: torch.optim.Optimizer, scheduler: Any = None, extra_modules: dict | None = None,
                    estimator: Any = None, keep: int = 2, extra_state: dict | None = None,
                    vision: Any = None) -> Path:
    """Write checkpoints/step_N/ (model + tokenizer via save_pretrained, and `vision`'s image processor when given,
    in model/; trainer_state.pt) and prune old ones."""
    ckpt_root = Path(run_dir) / CHECKPOINT_DIR
    final = ckpt_root / f"step_{step}"
    tmp = ckpt_root / f".step_{step}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_model(model, tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    if vision is not None:
        vision.save_pretrained(tmp / "model")
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
    write_manifest(tmp)  # last: a checkpoint with a manifest was written completely
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
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step_") and p.name[5:].isdigit()
             and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name.split("_")[1]))


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    ckpts = list_checkpoints(run_dir)
    return ckpts[-1] if ckpts else None


def write_manifest(ckpt: Path) -> None:
    files = {str(p.relative_to(ckpt)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
             for p in sorted(ckpt.rglob("*")) if p.is_file() and p.name != MANIFEST}
    (ckpt / MANIFEST).write_text(json.dumps({"files": files}, indent=1))


def verify(ckpt: Path) -> str | None:
    """None when the checkpoint is intact (every file of its manifest there, with its size and hash), else why not."""
    path = ckpt / MANIFEST
    if not path.is_file():
        return f"it has no {MANIFEST} (written last, so the checkpoint was cut short, or predates manifests)"
    try:
        files = json.loads(path.read_text())["files"]
    except (ValueError, KeyError) as e:
        return f"its {MANIFEST} is unreadable ({e})"
    for name, want in files.items():
        f = ckpt / name
        if not f.is_file():
            return f"{name} is missing"
        if f.stat().st_size != want["bytes"]:
            return f"{name} has {f.stat().st_size} bytes, the manifest says {want['bytes']}"
        if _sha256(f) != want["sha256"]:
            return f"{name} does not match its sha256 in the manifest"
    return None


def latest_intact_checkpoint(run_dir: str | Path) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The newest checkpoint that verifies, and the newer ones passed over with the reason each failed."""
    skipped = []
    for ckpt in reversed(list_checkpoints(run_dir)):
        reason = verify(ckpt)
        if reason is None:
            return ckpt, skipped
        skipped.append((ckpt, reason))
    return None, skipped


def set_aside(ckpt: Path) -> Path:
    """Rename a damaged checkpoint to step_N.damaged[-k]: kept for inspection, never resumed from or counted when
    pruning."""
    target = ckpt.with_name(ckpt.name + ".damaged")
    k = 1
    while target.exists():
        k += 1
        target = ckpt.with_name(f"{ckpt.name}.damaged-{k}")
    ckpt.rename(target)
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
