"""Training configs: dataclasses that TOML recipes in configs/ mirror, plus dotted-key overrides.

A recipe has one table per section ([run], [model], [env], [rollout], [credit], [algo]); `[algo] name = "grpo"`
picks the trainer, whose own config class (at the top of trainers/grpo.py, rloo.py, ppo.py, sft.py) gives the
fields of that table. `agentgym train CONFIG.toml --set algo.lr=1e-4 --set run.steps=50` overrides single keys;
values are parsed as TOML (so `--set env.kwargs={level="easy"}` works) and bare words are taken as strings.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
import math
from typing import Any, Literal

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class ConfigError(ValueError):
    """A config value is wrong; the message names the key, the value and the fix."""


AlgoName = Literal["grpo", "rloo", "ppo", "sft"]
CreditMethod = Literal["outcome", "turn_level", "gigpo", "gated", "info_gain", "progress", "role_conditioned"]


# ---------------------------------------------------------------------------------------------------------------------
# Sections shared by every trainer
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class RunConfig:
    steps: int = 10
    """Optimizer steps (one rollout batch per step for RL; one batch of oracle episodes per step for SFT)."""
    seed: int = 0
    """Seeds the model init (tiny models), data order, sampling and torch; the same seed repeats the run exactly."""
    out_dir: str = "runs/train"
    """Run directory: config.json, metrics.jsonl, TensorBoard events, checkpoints/step_N/."""
    save_every: int = 0
    """Write a checkpoint every N steps (0: only at the end). `--resume` continues from the latest one."""
    keep_checkpoints: int = 2
    """How many of the newest checkpoints to keep on disk (>= 1)."""
    eval_every: int = 0
    """Measure held-out success every N steps (0: never during training; the CLI still evaluates at the end)."""
    eval_tasks: int = 16
    """Held-out tasks per evaluation (the first N of the eval split, played greedily)."""
    progress_bar: bool = True
    """Show a tqdm bar with the latest reward and loss."""
    tensorboard: bool = True
    """Also write metrics as TensorBoard events under out_dir/tb."""
    save_rollouts: bool = True
    """Write each step's training episodes, with their per-turn advantages, to rollouts/step_N.jsonl
    (`agentgym view RUN_DIR/rollouts/step_N.jsonl` shows them turn by turn)."""
    warn_no_signal_steps: int = 5
    """Warn when no group has had a learning signal (all rewards of a group equal, so every advantage is 0) for
    this many consecutive steps (0: never warn). metrics.jsonl counts the streak as reward/steps_without_signal."""

    def __post_init__(self) -> None:
        _check(self.steps >= 1, "run.steps", self.steps, "set it to the number of optimizer steps, >= 1")
        _check(self.save_every >= 0, "run.save_every", self.save_every, "use 0 (save at the end) or a step count")
        _check(self.keep_checkpoints >= 1, "run.keep_checkpoints", self.keep_checkpoints, "keep at least 1")
        _check(self.eval_every >= 0, "run.eval_every", self.eval_every, "use 0 (never) or a step count")
        _check(self.eval_tasks >= 1, "run.eval_tasks", self.eval_tasks, "evaluate on at least 1 task")
        _check(self.warn_no_signal_steps >= 0, "run.warn_no_signal_steps", self.warn_no_signal_steps,
               "use 0 (never warn) or a step count")


@dataclass(kw_only=True)
class ModelConfig:
    name: str = "tiny"
    """"tiny" (a small model and tokenizer built locally by agentgym.tiny), "tiny-vl" (a small vision-language
    model, Qwen2-VL's architecture with its image processor, built locally by agentgym.tiny_vl: for envs whose
    observations hold images, such as agentgym/GUIGrounding-v0), "smollm2" (SmolLM2-135M-Instruct via
    agentgym.models.load_smollm2), a transformers model folder, a training run's folder (the model of its newest
    intact checkpoint: start RL from an SFT run with model.name = "runs/tiny_sft"; a vision-language run's
    checkpoint brings its image processor), or a Hub id. "tiny" and "tiny-vl" are seeded by run.seed."""
    tiny_hidden_size: int = 64
    """Hidden size of the tiny model (name = "tiny" or "tiny-vl"; tiny-vl's vision tower has the same width)."""
    tiny_num_layers: int = 2
    """Transformer layers of the tiny model's language model (name = "tiny" or "tiny-vl"; tiny-vl's vision tower
    has one)."""
    tiny_num_heads: int = 4
    """Attention heads of the tiny model (name = "tiny" or "tiny-vl", where hidden size / heads must be a multiple
    of 4 for M-RoPE)."""
    tiny_vocab_size: int = 512
    """BPE vocabulary of the tiny tokenizer (an upper bound), trained on the env's observations and oracle actions."""
    tiny_corpus_episodes: int = 32
    """Oracle episodes on the train split whose text trains the tiny tokenizer."""
    tiny_vl_max_pixels: int = 28 * 28 * 16
    """Most pixels the tiny-vl image processor keeps of an image (Qwen2-VL's max_pixels; name = "tiny-vl" only):
    each 28 x 28 block becomes one image token, so the default gives at most 16 tokens per image."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where the training model lives; "auto" picks cuda when available."""
    rollout_backend: Literal["hf", "vllm"] = "hf"
    """"hf": generate with the training model itself (same weights, no sync). "vllm": a vLLM engine on the GPU whose
    weights are reloaded from the training model after every step (needs the vllm extra and a GPU)."""
    gradient_checkpointing: bool = False
    """Trade compute for memory on long multi-turn sequences."""

    def __post_init__(self) -> None:
        _check(bool(self.name), "model.name", self.name,
               'use "tiny", "tiny-vl", "smollm2" or a transformers model path')
        for key in ("tiny_hidden_size", "tiny_num_layers", "tiny_num_heads", "tiny_vocab_size"):
            _check(getattr(self, key) >= 1, f"model.{key}", getattr(self, key), "use a positive integer")
        _check(self.tiny_hidden_size % self.tiny_num_heads == 0, "model.tiny_hidden_size", self.tiny_hidden_size,
               f"make it a multiple of model.tiny_num_heads ({self.tiny_num_heads})")
        if self.name == "tiny-vl":
            _check(self.tiny_hidden_size % (4 * self.tiny_num_heads) == 0, "model.tiny_hidden_size",
                   self.tiny_hidden_size, f"tiny-vl needs a multiple of 4 x model.tiny_num_heads "
                   f"({4 * self.tiny_num_heads}): M-RoPE splits each head in time, height and width sections")
        _check(self.tiny_vl_max_pixels >= 28 * 28 * 4, "model.tiny_vl_max_pixels", self.tiny_vl_max_pixels,
               f"use at least {28 * 28 * 4} (the image processor's min_pixels: 4 image tokens)")


@dataclass(kw_only=True)
class EnvConfig:
    id: str = "agentgym/TextAdventure-v0"
    """Registered env id (`agentgym envs list`)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the env constructor (e.g. {level = "easy"})."""
    train_split: str | None = None
    """Split whose tasks the trainer plays; None: the suite's first training split."""
    eval_split: str | None = None
    """Held-out split for evaluation; None: the suite's first held-out split."""
    max_turns: int | None = None
    """Turn limit per episode (truncation); None: the env's default."""
    max_context_tokens: int | None = None
    """Truncate an episode whose token sequence would pass this length; None: no limit."""
    task_params: dict[str, Any] = field(default_factory=dict)
    """Keep only tasks whose params match these: equal to a value (e.g. {topology = "chain"}) or any of a list's
    values (e.g. {goal = ["reach", "fetch"]}). An env with a `level` attribute (TextAdventure's level kwarg) is
    filtered by it too."""
    num_train_tasks: int | None = None
    """Use only the first N tasks of the train split (None: all)."""

    def __post_init__(self) -> None:
        _check("/" in self.id, "env.id", self.id, 'use a registered id such as "agentgym/TextAdventure-v0"')
        _check(self.max_turns is None or self.max_turns >= 1, "env.max_turns", self.max_turns, "use >= 1 or omit it")
        _check(self.num_train_tasks is None or self.num_train_tasks >= 1, "env.num_train_tasks",
               self.num_train_tasks, "use >= 1 or omit it")


@dataclass(kw_only=True)
class RolloutConfig:
    tasks_per_step: int = 4
    """Distinct tasks per step; each is played group_size times (so the batch holds tasks_per_step * group_size
    episodes)."""
    group_size: int = 4
    """Episodes per task (G). GRPO and RLOO compare the members of a group, so they need G >= 2."""
    max_new_tokens: int = 32
    """Generation limit per turn; a turn that hits it ends without end-of-turn (finish_reason "length")."""
    temperature: float = 1.0
    """Sampling temperature; logprobs (old and new) are computed at this temperature."""
    top_p: float = 1.0
    """Nucleus sampling (1.0: off). Anything but 1.0 makes the sampling distribution differ from the trained one."""
    top_k: int = 0
    """Top-k sampling (0: off)."""
    batch_size: int = 32
    """Episodes generated together in one forward batch."""
    executor: Literal["inline", "thread", "process"] = "inline"
    """Where each env lives for the whole run (agentgym.runners): "inline" (the trainer's thread; fastest for light
    text envs), "thread" (a dedicated thread per env) or "process" (a worker process per env, for envs that hold a
    browser, a container or C state). The run keeps one pool of these runners from its first rollout to its end."""
    drop_errors: bool = True
    """Drop episodes that ended in an env/policy error from the update (their count shows as rollout/errors).
    False keeps them, penalised: their outcome becomes error_penalty (whatever the credit method's outcome source)
    and so does their last trainable turn's reward (the others' become 0); a failing turn without tokens (the policy
    raised before generating) is left out of the update."""
    error_penalty: float = 0.0
    """With drop_errors = false: the outcome an errored episode is trained with (e.g. -1 to push the policy away
    from what crashed the sandbox)."""
    history: Literal["full", "window"] = "full"
    """How each turn's prompt is built. "full": the whole episode so far, one exact token sequence per episode and
    one training row per episode. "window": the system prompt, the task and the last window_turns turns, rendered
    afresh every turn (verl-agent's memory, SkyRL's step-wise mode): episodes longer than the context fit, and each
    turn is its own training row with its own exact ids. Envs whose first observation is only a screen (MiniHack,
    NetHack: `window_head = "system"`) keep the system prompt alone as the head, not the first observation."""
    window_turns: int = 2
    """Past turns (action + the env's reply) in a windowed prompt (history = "window")."""

    def __post_init__(self) -> None:
        _check(self.tasks_per_step >= 1, "rollout.tasks_per_step", self.tasks_per_step, "use >= 1")
        _check(self.group_size >= 1, "rollout.group_size", self.group_size, "use >= 1")
        _check(self.max_new_tokens >= 1, "rollout.max_new_tokens", self.max_new_tokens, "use >= 1")
        _check(self.temperature > 0, "rollout.temperature", self.temperature,
               "use a positive temperature (RL needs sampled actions and their logprobs)")
        _check(0 < self.top_p <= 1, "rollout.top_p", self.top_p, "use a value in (0, 1]")
        _check(math.isfinite(self.error_penalty), "rollout.error_penalty", self.error_penalty, "use a finite number")
        _check(self.history in ("full", "window"), "rollout.history", self.history, 'use "full" or "window"')
        _check(self.window_turns >= 0, "rollout.window_turns", self.window_turns,
               "use >= 0 (0 keeps only the task and the current observation)")


@dataclass(kw_only=True)
class CreditSection:
    method: CreditMethod = "outcome"
    """How episode outcomes become per-turn rewards or advantages (trainers/credit/)."""
    params: dict[str, Any] = field(default_factory=dict)
    """Settings of the chosen method, passed to its config (e.g. {threshold = 0.0} for gated, {gamma = 0.95} for
    turn_level); unknown names raise with the method's fields listed."""
    progress_lr: float = 1e-4
    """Adam learning rate of the progress estimator (method = "progress", SPA)."""
    progress_updates: int = 1
    """Estimator updates on each step's episodes, after the policy update (method = "progress")."""
    progress_train_backbone: bool = True
    """Train the estimator's backbone (a copy of the initial policy) with its head; False trains the head only."""
    progress_outcome: Literal["success", "total_reward", "progress"] = "success"
    """What the estimator's per-turn contributions must sum to (method = "progress")."""
    progress_fit_data: str | None = None
    """A JSONL of trajectories (what `agentgym eval --out DIR` writes) to fit the estimator on before RL starts, as
    SPA trains its estimator offline; text-only trajectories are tokenised with the policy's chat template. None
    trains it online only."""
    progress_fit_steps: int = 200
    """Adam steps of that offline fit (mini-batches of algo.micro_batch_size)."""

    def __post_init__(self) -> None:
        _check(self.progress_lr > 0, "credit.progress_lr", self.progress_lr, "use a positive learning rate")
        _check(self.progress_updates >= 0, "credit.progress_updates", self.progress_updates, "use >= 0")
        _check(self.progress_fit_steps >= 0, "credit.progress_fit_steps", self.progress_fit_steps, "use >= 0")


@dataclass(kw_only=True)
class AlgoConfig:
    """Fields every trainer shares. Each trainer's config subclasses this at the top of its file."""

    name: AlgoName = "grpo"
    """Which trainer runs: grpo, rloo, ppo or sft."""
    lr: float = 1e-5
    """AdamW learning rate."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Clip the global gradient norm to this (0: no clipping)."""
    micro_batch_size: int = 8
    """Sequences per forward/backward pass; gradients accumulate over the step's batch."""
    warmup_steps: int = 0
    """Linear learning-rate warm-up over the first N steps."""

    def __post_init__(self) -> None:
        _check(self.lr > 0, "algo.lr", self.lr, "use a positive learning rate such as 1e-5")
        _check(self.weight_decay >= 0, "algo.weight_decay", self.weight_decay, "use >= 0")
        _check(self.max_grad_norm >= 0, "algo.max_grad_norm", self.max_grad_norm, "use 0 (off) or a positive norm")
        _check(self.micro_batch_size >= 1, "algo.micro_batch_size", self.micro_batch_size, "use >= 1")
        _check(self.warmup_steps >= 0, "algo.warmup_steps", self.warmup_steps, "use >= 0")

    def validate(self, cfg: TrainConfig) -> None:
        """Checks that need the other sections (group size, credit method). Subclasses extend it."""


@dataclass(kw_only=True)
class PolicyGradientConfig(AlgoConfig):
    """Fields of the policy-gradient trainers (GRPO, RLOO, PPO)."""

    clip_eps: float = 0.2
    """PPO-style ratio clip: the ratio pi/pi_old is clipped to [1 - clip_eps, 1 + clip_eps]."""
    kl_coef: float = 0.0
    """Weight of the KL penalty to a frozen copy of the initial model (0: no reference model is kept)."""
    entropy_coef: float = 0.0
    """Weight of an entropy bonus on policy tokens (0: off)."""
    update_epochs: int = 1
    """Passes over each rollout batch (1: on-policy; > 1 reuses the batch with the clipped ratio)."""
    loss_agg: Literal["token-mean", "seq-mean-token-mean"] = "token-mean"
    """Average the per-token loss over all policy tokens of the batch (DAPO), or per sequence then over sequences
    (the original GRPO)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.clip_eps > 0, "algo.clip_eps", self.clip_eps, "use a positive clip such as 0.2")
        _check(self.kl_coef >= 0, "algo.kl_coef", self.kl_coef, "use 0 (off) or a positive weight")
        _check(self.update_epochs >= 1, "algo.update_epochs", self.update_epochs, "use >= 1")


# ---------------------------------------------------------------------------------------------------------------------
# The whole run
@dataclass(kw_only=True)
class SelfPlaySection:
    pool: str = ""
    """Self-play against past checkpoints (multi-agent games): the name of the opponent pool the run fills with
    frozen copies of the policy. The env must draw its opponents from it: env.kwargs = {opponent = "pool:NAME"}
    (agentgym.multiagent.OPPONENT_POOLS). "" (default): no self-play."""
    snapshot_every: int = 0
    """Add a frozen copy of the current policy to the pool every N steps (0: only the starting policy)."""
    pool_size: int = 4
    """Keep the newest N snapshots; each episode's opponent is drawn uniformly from them."""

    def __post_init__(self) -> None:
        _check(self.snapshot_every >= 0, "selfplay.snapshot_every", self.snapshot_every, "use 0 or a step count")
        _check(self.pool_size >= 1, "selfplay.pool_size", self.pool_size, "keep at least 1 snapshot")


# ---------------------------------------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class TrainConfig:
    run: RunConfig = field(default_factory=RunConfig)
    """Length, seed, run directory, checkpoints, logging."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Which model trains and how it generates."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """Which env and tasks."""
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    """Episodes per step and sampling."""
    credit: CreditSection = field(default_factory=CreditSection)
    """Credit assignment (ignored by SFT)."""
    algo: AlgoConfig = field(default_factory=lambda: algo_config_class("grpo")())
    """The trainer and its settings; `name` picks the trainer and so the fields allowed here."""
    selfplay: SelfPlaySection = field(default_factory=SelfPlaySection)
    """Self-play against a pool of the policy's own past checkpoints (multi-agent games; off by default)."""

    def __post_init__(self) -> None:
        self.algo.validate(self)
        if self.selfplay.pool:
            want = f"pool:{self.selfplay.pool}"
            _check(self.env.kwargs.get("opponent") == want, "env.kwargs.opponent", self.env.kwargs.get("opponent"),
                   f"self-play fills the pool {self.selfplay.pool!r}: set env.kwargs = {{opponent = \"{want}\"}}")
            _check(self.rollout.executor != "process", "rollout.executor", self.rollout.executor,
                   "self-play opponents live in the trainer's process: use \"inline\" or \"thread\"")
        if self.algo.name != "sft":
            make_credit_config(self.credit.method, self.credit.params)  # fail at load time, not at step 1


_SECTIONS = {"run": RunConfig, "model": ModelConfig, "env": EnvConfig, "rollout": RolloutConfig,
             "credit": CreditSection, "selfplay": SelfPlaySection}


def algo_config_class(name: str) -> type[AlgoConfig]:
    """The config class of trainer `name`, from the top of trainers/<name>.py."""
    if name not in typing.get_args(AlgoName):
        raise ConfigError(f"algo.name = {name!r} is not a trainer; use one of {list(typing.get_args(AlgoName))}")
    module = importlib.import_module(f"agentgym.trainers.{name}")
    return module.Config


# ---------------------------------------------------------------------------------------------------------------------
# Loading: TOML + overrides -> TrainConfig
# ---------------------------------------------------------------------------------------------------------------------
def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a TOML recipe (or start from defaults when path is None) and apply `key=value` overrides."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"config path {str(path)!r} is a folder; pass a TOML recipe file, such as "
                              "configs/tiny_grpo.toml")
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} does not exist; pass a TOML recipe such as "
                              "configs/tiny_grpo.toml")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise ConfigError(f"config file {str(path)!r} is not UTF-8 text (byte {e.object[e.start]:#04x} at "
                              f"offset {e.start}); save it as UTF-8") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {str(path)!r} is not valid TOML: {e}") from None
    for item in overrides or []:
        key, value = _parse_override(item)
        _set_dotted(raw, key, value)
    return config_from_dict(raw)


def config_from_dict(raw: dict[str, Any]) -> TrainConfig:
    """Build and validate a TrainConfig from nested dicts (the TOML layout)."""
    raw = dict(raw)
    known = list(_SECTIONS) + ["algo"]
    for key in raw:
        if key not in known:
            raise _unknown_key(key, known, where="top level")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        sections[name] = _build(cls, raw.get(name, {}), prefix=name)
    algo_raw = dict(raw.get("algo", {}))
    algo_name = algo_raw.get("name", "grpo")
    sections["algo"] = _build(algo_config_class(str(algo_name)), algo_raw, prefix="algo")
    try:
        return TrainConfig(**sections)
    except ConfigError:
        raise
    except (TypeError, ValueError) as e:
        raise ConfigError(str(e)) from None


def config_to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def _build(cls: type, values: Any, *, prefix: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"[{prefix}] must be a table of settings, got {values!r}; write `[{prefix}]` then "
                          "`key = value` lines, or --set {prefix}.KEY=VALUE")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise _unknown_key(f"{prefix}.{key}", [f"{prefix}.{n}" for n in names], where=f"[{prefix}]")
        kwargs[key] = _coerce(value, hints[key], f"{prefix}.{key}")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as e:
        raise ConfigError(f"[{prefix}]: {e}") from None


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check `value` against the field's annotation; ints widen to floats. Raises ConfigError naming the key."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{key} = {value!r} is not allowed; use one of {list(args)}")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{key} = {value!r} matches none of {tp}")
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} = {value!r} must be true or false (a boolean), got {type(value).__name__}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} = {value!r} must be a number, got {type(value).__name__}; "
                              f"write e.g. {key}=1e-4")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} = {value!r} must be an integer, got {type(value).__name__}; write e.g. {key}=8")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} = {value!r} must be a string, got {type(value).__name__}; quote it")
        return value
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} = {value!r} must be a table, e.g. {key}={{level=\"easy\"}}")
        return dict(value)
    if origin is list or tp is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key} = {value!r} must be a list, e.g. {key}=[1, 2]")
        return list(value)
    return value


def _unknown_key(key: str, known: list[str], *, where: str) -> ConfigError:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" Did you mean {near[0]!r}?" if near else f" Known keys: {', '.join(known)}."
    return ConfigError(f"unknown config key {key!r} in {where}.{hint}")


def _parse_override(item: str) -> tuple[str, Any]:
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like section.key=value, e.g. algo.lr=1e-4")
    key, text = item.split("=", 1)
    key = key.strip()
    if key.count(".") < 1:
        raise ConfigError(f"override key {key!r} must name its section, e.g. algo.{key} or run.{key}")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text  # a bare word (model.name=tiny) is a string
    return key, value


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = raw
    for p in parts[:-1]:
        child = node.setdefault(p, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {key!r}: {p!r} is a value, not a section")
        node = child
    node[parts[-1]] = value


def make_credit_config(method: str, params: dict[str, Any]) -> Any:
    """The config object of credit method `method` built from credit.params; unknown names raise listing the
    method's settings."""
    from agentgym.trainers import credit

    cls = credit.config_class(method)
    known = [f.name for f in dataclasses.fields(cls)]
    for k in params:
        if k not in known:
            raise ConfigError(f"credit.params.{k} is not a setting of credit method {method!r}; its settings are "
                              f"{known}")
    try:
        return cls(**params)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"credit.params for {method!r}: {e}") from None


def _check(ok: bool, key: str, value: Any, fix: str) -> None:
    if not ok:
        raise ConfigError(f"{key} = {value!r} is invalid: {fix}.")
