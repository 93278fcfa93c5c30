"""Truncation vs termination in PPO's advantages, worked by hand: the same rewards and values give different
advantages when a limit cut the episode (GAE bootstraps with V of the state it was cut in) and when it ended (0),
and the two token layouts (full history: one row; windowed: one row per turn) give the same numbers."""

from __future__ import annotations

import pytest
import torch

from agentgym.trainers.batching import make_batch
from agentgym.trainers.ppo import bootstrap_values, gae_over_rows
from agentgym.types import Trajectory, Turn

# Two turns: a 2-token completion rewarded 0, then a 1-token completion rewarded 1. V at the three policy tokens
# (in order) is 0.5, 0.25, 0.75; V of the state after the last turn is 2.0. gamma = 1, lambda = 0.5.
VALUES = [0.5, 0.25, 0.75]
V_FINAL = 2.0
# Terminated (next value after the last token 0):
#   t3: delta = 1 + 0 - 0.75 = 0.25                 A = 0.25
#   t2: delta = 0 + 0.75 - 0.25 = 0.5               A = 0.5 + 0.5 * 0.25 = 0.625
#   t1: delta = 0 + 0.25 - 0.5 = -0.25              A = -0.25 + 0.5 * 0.625 = 0.0625
TERMINATED = [0.0625, 0.625, 0.25]
# Truncated (next value after the last token V_FINAL = 2):
#   t3: delta = 1 + 2 - 0.75 = 2.25                 A = 2.25
#   t2: delta = 0.5                                 A = 0.5 + 0.5 * 2.25 = 1.625
#   t1: delta = -0.25                               A = -0.25 + 0.5 * 1.625 = 0.5625
TRUNCATED = [0.5625, 1.625, 2.25]


def _episode(history: str, *, truncated: bool) -> Trajectory:
    if history == "full":
        turns = [Turn(0, "o0", "a", prompt_ids=[1, 2], completion_ids=[3, 4], logprobs=[0.0, 0.0]),
                 Turn(1, "o1", "b", prompt_ids=[5], completion_ids=[6], logprobs=[0.0])]
        final = [7, 8]
    else:  # each turn's prompt is its whole window
        turns = [Turn(0, "o0", "a", prompt_ids=[1, 2], completion_ids=[3, 4], logprobs=[0.0, 0.0]),
                 Turn(1, "o1", "b", prompt_ids=[1, 2, 9, 5], completion_ids=[6], logprobs=[0.0])]
        final = [1, 2, 9, 7, 8]
    turns[-1].reward = 1.0
    return Trajectory(env_id="e", task_id="t", turns=turns, terminated=not truncated, truncated=truncated,
                      history=history, final_prompt_ids=final if truncated else None)


def _policy_values(batch, values):
    """A [B, L] value tensor with `values` on the policy tokens in episode order (turn 0's tokens first)."""
    out = torch.zeros(batch.loss_mask.shape)
    places = sorted((turn, r, a, b) for r, row in enumerate(batch.layout) for turn, (a, b) in zip(row.turns, row.spans))
    flat = iter(values)
    for _turn, r, a, b in places:
        for c in range(a, b):
            out[r, c] = next(flat)
    return out


def _at_policy_tokens(batch, x):
    places = sorted((turn, r, a, b) for r, row in enumerate(batch.layout) for turn, (a, b) in zip(row.turns, row.spans))
    return [float(x[r, c]) for _t, r, a, b in places for c in range(a, b)]


@pytest.mark.parametrize("history", ["full", "window"])
@pytest.mark.parametrize("truncated, expected", [(False, TERMINATED), (True, TRUNCATED)])
def test_gae_bootstraps_a_cut_episode_and_not_an_ended_one(history, truncated, expected):
    ep = _episode(history, truncated=truncated)
    batch = make_batch([ep], pad_id=0, with_final=True)
    rows = batch.layout
    assert len(rows) == (1 if history == "full" else 2 + truncated)
    assert any(r.ends_in_final_state for r in rows) == truncated
    values = _policy_values(batch, VALUES)
    final_values = torch.tensor([V_FINAL if r.ends_in_final_state else 123.0 for r in rows])  # 123: never read
    bootstrap = bootstrap_values([ep], batch, final_values)
    assert bootstrap.tolist() == [V_FINAL if truncated else 0.0]
    adv, ret = gae_over_rows(batch, [[0.0, 1.0]], values, bootstrap, gamma=1.0, lam=0.5)
    assert _at_policy_tokens(batch, adv) == pytest.approx(expected, abs=1e-9)
    assert _at_policy_tokens(batch, ret) == pytest.approx([a + v for a, v in zip(expected, VALUES)], abs=1e-9)
    assert float(adv[batch.loss_mask == 0].abs().sum()) == 0.0  # nothing off the policy tokens


def test_an_errored_or_text_only_episode_is_not_bootstrapped():
    cut = _episode("full", truncated=True)
    errored = _episode("full", truncated=True)
    errored.metadata["error_penalty"] = -1.0  # a penalised error copy: its outcome is the penalty, an end
    text_only = _episode("full", truncated=True)
    text_only.final_prompt_ids = None  # no tokens for the final state (a message-level rollout)
    batch = make_batch([cut, errored, text_only], pad_id=0, with_final=True)
    assert bootstrap_values([cut, errored, text_only], batch, torch.full((3,), V_FINAL)).tolist() == [V_FINAL, 0, 0]


def test_the_final_state_value_reads_the_hidden_state_after_the_last_token(tiny_chatml):
    from agentgym.trainers.forward import forward

    model, _tok = tiny_chatml
    ep = _episode("full", truncated=True)
    batch = make_batch([ep, _episode("full", truncated=False)], pad_id=0, with_final=True)
    out = forward(model, batch, hidden=True)
    with torch.no_grad():
        alone = model(torch.tensor([batch.input_ids[0].tolist()]), output_hidden_states=True).hidden_states[-1]
    n = len(ep.token_ids()) + len(ep.final_prompt_ids)
    assert int(batch.attention_mask[0].sum()) == n
    assert torch.allclose(out.last_hidden[0], alone[0, n - 1], atol=1e-5)
    short = int(batch.attention_mask[1].sum())  # the padded row reads its own last token, not padding
    with torch.no_grad():
        own = model(batch.input_ids[1:, :short], output_hidden_states=True).hidden_states[-1]
    assert torch.allclose(out.last_hidden[1], own[0, short - 1], atol=1e-5)
