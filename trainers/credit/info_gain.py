"""Information-gain credit (IGPO): a turn is worth how much it raised the policy's belief in the true answer.

Paper: Wang et al. 2025, "Information Gain-based Policy Optimization: A Simple and Effective Approach for Multi-Turn
LLM Agents" (IGPO). Formula: r_t = p_t - p_{t-1} for t < T, r_T = outcome; r~ = (r - mean) / (std + eps) over all
turn rewards of the group; A_t = sum_{k>=t} gamma^(k-t) r~_k (gamma = 1 by default).
p_t = the policy's geometric-mean probability of the ground-truth answer tokens, teacher-forced after the context the
policy holds once turn t's action and the environment's reply to it are in (p_0: the first prompt alone).
Returns per-turn ADVANTAGES (it normalises itself), plus the raw per-turn rewards as `rewards`.

Follows IGPO's released core_algos.compute_grpo_outcome_advantage in: joint normalisation with the population std
(option: "separate" normalises the information-gain rewards and the outcome rewards each on their own), a group
whose pooled rewards number one keeps std 1, and the turn-level discounted sum after normalisation.
Departures: (1) the released code leaves turns whose gain is exactly 0 out of the statistics (it finds turns by
nonzero reward); we count every turn. (2) Its outcome is the answer's F1; ours is success (or progress / total
reward). (3) Its std is sqrt(var + 1e-8); ours is sqrt(var), with eps added after, as in GRPO.
(4) Option reward="logprob_diff": r_t = log p_t - log p_{t-1}.

Precondition, measured (docs/benchmarks/credit_comparison_sparse.md): the policy's belief must track the evidence.
For a tiny model and for SmolLM2-135M on TwentyQuestions it does not (belief gains uncorrelated with the objects a
question rules out), and with a constant outcome the joint normalisation turns that noise into unit-scale
advantages that made the policy worse. `python benchmarks/igpo_belief_signal.py MODEL` checks a model first.

Probe format (answer_beliefs): for belief k of an episode, the context is traj.token_ids()[:start of turn k's
completion] (so it ends with the chat template's generation prompt, where the policy would start to speak: p_0 = the
first prompt alone, p_k = after k actions and the env's replies), followed by tokenizer.encode(probe_text) and
tokenizer.encode(answer_separator + answer), both without special tokens. p_k = exp(mean log p(answer tokens)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agentgym.trainers.advantages import discounted_returns, group_normalize
from agentgym.trainers.credit.outcome import OutcomeSource, episode_outcome, validate_outcome_source
from agentgym.types import Trajectory

InfoGainReward = Literal["prob_diff", "logprob_diff"]
InfoGainNormalization = Literal["joint", "separate"]


@dataclass(kw_only=True)
class InfoGainCreditConfig:
    gamma: float = 1.0
    """Discount of the turn-level sum of normalised rewards (IGPO uses 1.0)."""
    reward: InfoGainReward = "prob_diff"
    """"prob_diff": r_t = p_t - p_{t-1}; "logprob_diff": r_t = log p_t - log p_{t-1}."""
    normalization: InfoGainNormalization = "joint"
    """"joint": one mean/std over every turn reward of the group; "separate": information-gain rewards and outcome
    rewards normalised each over their own kind (IGPO's info_gain_norm_mode)."""
    std_normalize: bool = True
    """Divide by the std; False keeps only the mean subtraction."""
    epsilon: float = 1e-6
    """Added to the std before dividing."""
    outcome: OutcomeSource = "success"
    """The final turn's reward: "success" (1/0), "total_reward" or "progress"."""
    probe_text: str = "Answer:"
    """Text placed between the context and the answer tokens in the belief probe (see answer_beliefs)."""
    answer_separator: str = " "
    """Prefixed to the answer before tokenizing, so BPE tokenizers see " Paris" as after "Answer:"."""
    min_belief: float = 1e-12
    """Beliefs are clamped to at least this before taking logs (reward="logprob_diff")."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}; IGPO uses 1.0.")
        if self.reward not in ("prob_diff", "logprob_diff"):
            raise ValueError(f"reward must be 'prob_diff' or 'logprob_diff', got {self.reward!r}.")
        if self.normalization not in ("joint", "separate"):
            raise ValueError(f"normalization must be 'joint' or 'separate', got {self.normalization!r}.")
        if self.epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}; use a small value like 1e-6.")
        if self.min_belief <= 0:
            raise ValueError(f"min_belief must be > 0, got {self.min_belief}; use e.g. 1e-12.")
        validate_outcome_source(self.outcome)


def info_gain_rewards(
    beliefs: Sequence[float], outcome: float, num_turns: int, *, reward: InfoGainReward = "prob_diff",
    min_belief: float = 1e-12,
) -> list[float]:
    """Raw per-turn rewards of one episode: [b_1 - b_0, ..., b_{T-1} - b_{T-2}, outcome] (b = p or log p).

    `beliefs` holds at least p_0 .. p_{T-1} (T = num_turns); extra entries are ignored.
    """
    if num_turns == 0:
        return []
    if len(beliefs) < num_turns:
        raise ValueError(f"need {num_turns} beliefs (p_0 .. p_T-1) for {num_turns} turns, got {len(beliefs)}.")
    b = [float(p) for p in beliefs[:num_turns]]
    if reward == "logprob_diff":
        b = [math.log(max(p, min_belief)) for p in b]
    elif reward != "prob_diff":
        raise ValueError(f"reward must be 'prob_diff' or 'logprob_diff', got {reward!r}.")
    return [b[t] - b[t - 1] for t in range(1, num_turns)] + [float(outcome)]


def info_gain_advantages(
    turn_rewards: Sequence[Sequence[float]],
    *,
    gamma: float = 1.0,
    normalization: InfoGainNormalization = "joint",
    std_normalize: bool = True,
    epsilon: float = 1e-6,
) -> list[list[float]]:
    """Raw per-turn rewards of one group (last entry of each list = outcome) -> normalised -> turn-level returns."""
    if normalization == "joint":
        normed = group_normalize(turn_rewards, std_normalize=std_normalize, epsilon=epsilon)
    elif normalization == "separate":
        gains = group_normalize([r[:-1] for r in turn_rewards], std_normalize=std_normalize, epsilon=epsilon)
        outs = group_normalize([r[-1:] for r in turn_rewards], std_normalize=std_normalize, epsilon=epsilon)
        normed = [g + o for g, o in zip(gains, outs)]
    else:
        raise ValueError(f"normalization must be 'joint' or 'separate', got {normalization!r}.")
    return [discounted_returns(r, gamma) for r in normed]


def info_gain_credit(
    group: Sequence[Trajectory], beliefs: Sequence[Sequence[float]], config: InfoGainCreditConfig | None = None
) -> tuple[list[list[float]], list[list[float]], dict[str, float]]:
    """(advantages, raw per-turn rewards, metrics) of a group, from its beliefs (answer_beliefs(...))."""
    config = config or InfoGainCreditConfig()
    if len(beliefs) != len(group):
        raise ValueError(f"got beliefs for {len(beliefs)} trajectories but the group has {len(group)}.")
    rewards = [
        info_gain_rewards(b, episode_outcome(t, config.outcome), t.num_turns, reward=config.reward,
                          min_belief=config.min_belief)
        for t, b in zip(group, beliefs)
    ]
    adv = info_gain_advantages(
        rewards, gamma=config.gamma, normalization=config.normalization, std_normalize=config.std_normalize,
        epsilon=config.epsilon,
    )
    gains = [g for r in rewards for g in r[:-1]]
    metrics = {
        "credit/info_gain_mean": sum(gains) / len(gains) if gains else 0.0,
        "credit/belief_p0_mean": sum(b[0] for b in beliefs if b) / max(1, sum(1 for b in beliefs if b)),
    }
    return adv, rewards, metrics


# -- the belief probe ---------------------------------------------------------------------------------------------------
def _encode(tokenizer: Any, text: str) -> list[int]:
    tok = tokenizer if hasattr(tokenizer, "encode") else tokenizer.tokenizer  # ChatTokenizer wraps an HF tokenizer
    return list(tok.encode(text, add_special_tokens=False))


def build_probes(
    tokenizer: Any,
    trajectories: Sequence[Trajectory],
    *,
    probe_text: str = "Answer:",
    answer_separator: str = " ",
) -> list[tuple[int, int, list[int], int]]:
    """One probe per (trajectory, turn k): (trajectory index, k, context + probe + answer ids, answer length).

    Context = the ids before turn k's completion in its token row, for k = 0 .. T-1 (see the module docstring).
    """
    probe_ids = _encode(tokenizer, probe_text)
    probes = []
    for i, traj in enumerate(trajectories):
        if not traj.turns:
            continue
        if traj.answer is None:
            raise ValueError(
                f"trajectory {i} (task {traj.task_id!r}) has no ground-truth answer; information-gain credit needs "
                "tasks with an answer (info['answer']); use another credit method for this env."
            )
        answer_ids = _encode(tokenizer, answer_separator + traj.answer)
        if not answer_ids:
            raise ValueError(f"answer {traj.answer!r} of task {traj.task_id!r} tokenizes to nothing.")
        # The context of turn k is what the policy was prompted with before acting at turn k: the episode so far
        # ("full" history) or turn k's windowed prompt.
        for row in traj.token_rows():
            for k, (start, _end) in zip(row.turns, row.spans):
                probes.append((i, k, row.ids[:start] + probe_ids + answer_ids, len(answer_ids)))
    return probes


def _answer_logprob_means(model: Any, sequences: Sequence[list[int]], answer_lens: Sequence[int], *,
                          pad_id: int) -> list[float]:
    """Mean log p of the last answer_len tokens of each sequence, in one right-padded batched forward pass."""
    import torch

    from agentgym.trainers.padding import right_pad

    device = next(model.parameters()).device
    input_ids, attention = right_pad(sequences, pad_id)
    input_ids, attention = input_ids.to(device), attention.to(device)
    # Only the answer positions need logits: run the base model and apply the output head there, instead of a full
    # [N, L, vocab] logits tensor that would not fit for long contexts and large vocabularies.
    hidden = model.base_model(input_ids=input_ids, attention_mask=attention).last_hidden_state
    rows, positions, targets, owners = [], [], [], []
    for row, (seq, n_ans) in enumerate(zip(sequences, answer_lens)):
        for pos in range(len(seq) - n_ans, len(seq)):
            rows.append(row)
            positions.append(pos - 1)  # the hidden state at pos - 1 predicts the token at pos
            targets.append(seq[pos])
            owners.append(row)
    rows_t = torch.tensor(rows, device=device)
    logits = model.get_output_embeddings()(hidden[rows_t, torch.tensor(positions, device=device)]).float()
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    token_logprobs = torch.log_softmax(logits, dim=-1)[torch.arange(len(targets), device=device),
                                                       torch.tensor(targets, device=device)]
    sums = torch.zeros(len(sequences), device=device, dtype=torch.float32).index_add_(0, rows_t, token_logprobs)
    counts = torch.tensor(answer_lens, device=device, dtype=torch.float32)
    return (sums / counts).tolist()


def answer_beliefs(
    model: Any,
    tokenizer: Any,
    trajectories: Sequence[Trajectory],
    *,
    probe_text: str = "Answer:",
    answer_separator: str = " ",
    batch_size: int | None = None,
) -> list[list[float]]:
    """p_0 .. p_{T-1} for each trajectory: the model's geometric-mean probability of the answer tokens after each
    context (format in the module docstring). One right-padded forward pass under torch.no_grad over all probes of
    all trajectories (`batch_size` splits it into chunks of that many probes, for memory). Trajectories with no turn
    get an empty list. The model's train/eval mode is left as it was; call model.eval() to turn dropout off.
    """
    import torch

    from agentgym.trainers.padding import pad_id_of

    probes = build_probes(tokenizer, trajectories, probe_text=probe_text, answer_separator=answer_separator)
    beliefs: list[list[float]] = [[0.0] * t.num_turns for t in trajectories]
    if not probes:
        return beliefs
    chunk = batch_size or len(probes)
    if chunk < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}.")
    pad_id = pad_id_of(tokenizer)
    with torch.no_grad():
        for lo in range(0, len(probes), chunk):
            part = probes[lo : lo + chunk]
            means = _answer_logprob_means(model, [p[2] for p in part], [p[3] for p in part], pad_id=pad_id)
            for (i, k, _seq, _n), mean in zip(part, means):
                beliefs[i][k] = math.exp(mean)
    return beliefs
