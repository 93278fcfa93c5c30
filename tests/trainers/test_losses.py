"""Losses against numbers worked by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import pytest
import torch

from agentgym.trainers.losses import (
    aggregate,
    entropy_from_logits,
    entropy_loss,
    kl_penalty,
    logprobs_from_logits,
    policy_loss,
    value_loss,
)

# Two sequences of 3 positions. Tokens: a (A=1, ratio 1.5), b (A=-1, ratio 0.5), masked (A=100),
# c (A=2, ratio 0.9), then two masked padding tokens.
OLD = torch.zeros(2, 3)
NEW = torch.tensor([[math.log(1.5), math.log(0.5), math.log(3.0)], [math.log(0.9), 0.0, 0.0]])
ADV = torch.tensor([[1.0, -1.0, 100.0], [2.0, 5.0, 5.0]])
MASK = torch.tensor([[1, 1, 0], [1, 0, 0]])


def test_policy_loss_symmetric_clip_by_hand():
    # eps 0.2:
    # a: max(-1*1.5, -1*clip(1.5)=-1.2) = -1.2        (clipped term active)
    # b: max(1*0.5, 1*clip(0.5)=0.8) = 0.8            (clipped term active)
    # c: max(-2*0.9, -2*0.9) = -1.8                  (inside the range)
    # token-mean = (-1.2 + 0.8 - 1.8) / 3 = -0.7333333
    loss, m = policy_loss(NEW, OLD, ADV, MASK, clip_low=0.2)
    assert float(loss) == pytest.approx(-2.2 / 3, abs=1e-6)
    assert m["loss/policy"] == pytest.approx(-2.2 / 3, abs=1e-6)
    assert m["loss/clip_frac"] == pytest.approx(2 / 3)
    # approx KL (k3) = mean of (r - 1) - ln r: a .5 - .4054651 = .0945349; b -.5 + .6931472 = .1931472;
    # c -.1 + .1053605 = .0053605 -> .2930426 / 3 = .0976809
    assert m["loss/approx_kl"] == pytest.approx(0.0976809, abs=1e-6)


def test_policy_loss_seq_mean_token_mean():
    # seq 0: (-1.2 + 0.8) / 2 = -0.2; seq 1: -1.8; mean over the 2 sequences = -1.0
    loss, _ = policy_loss(NEW, OLD, ADV, MASK, agg="seq-mean-token-mean")
    assert float(loss) == pytest.approx(-1.0, abs=1e-6)


def test_policy_loss_clip_higher():
    # clip_high 0.6: a's ratio 1.5 < 1.6 is not clipped -> -1.5; b still clipped at 0.8 -> 0.8; c -1.8
    # token-mean = (-1.5 + 0.8 - 1.8) / 3 = -0.8333333
    loss, m = policy_loss(NEW, OLD, ADV, MASK, clip_low=0.2, clip_high=0.6)
    assert float(loss) == pytest.approx(-2.5 / 3, abs=1e-6)
    assert m["loss/clip_frac"] == pytest.approx(1 / 3)


def test_policy_loss_gradient_zero_on_clipped_and_masked_tokens():
    new = NEW.clone().requires_grad_(True)
    loss, _ = policy_loss(new, OLD, ADV, MASK)
    loss.backward()
    # d/dlogp of -A * ratio / 3 = -A * ratio / 3; for c: -2 * 0.9 / 3 = -0.6; a, b clipped; masked tokens 0
    assert new.grad.flatten().tolist() == pytest.approx([0.0, 0.0, 0.0, -0.6, 0.0, 0.0], abs=1e-6)


def test_denominator_for_micro_batches():
    # the sum (-2.2) over a whole-step token count of 6 instead of this micro-batch's 3
    loss, _ = policy_loss(NEW, OLD, ADV, MASK, denominator=6)
    assert float(loss) == pytest.approx(-2.2 / 6, abs=1e-6)
    # seq-mean: per-sequence means (-0.2, -1.8) summed over a step of 4 sequences
    assert float(aggregate(torch.tensor([[-1.2, 0.8, 9.0], [-1.8, 9.0, 9.0]]), MASK, "seq-mean-token-mean",
                           denominator=4)) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate(NEW, MASK, "sum")  # type: ignore[arg-type]


def test_kl_estimators():
    # log p = ln .5, log p_ref = ln .25: k1 = ln 2 = .6931472;
    # k3 = e^(ln .25 - ln .5) - (ln .25 - ln .5) - 1 = .5 + .6931472 - 1 = .1931472
    lp = torch.tensor([[math.log(0.5), 0.0]])
    ref = torch.tensor([[math.log(0.25), 7.0]])
    mask = torch.tensor([[1, 0]])
    k1, m1 = kl_penalty(lp, ref, mask, estimator="k1")
    k3, m3 = kl_penalty(lp, ref, mask, estimator="k3")
    assert float(k1) == pytest.approx(0.6931472, abs=1e-6)
    assert float(k3) == pytest.approx(0.1931472, abs=1e-6)
    assert m3["loss/kl"] == pytest.approx(0.1931472, abs=1e-6)
    # identical policies: both 0
    assert float(kl_penalty(lp, lp, mask)[0]) == 0.0


def test_entropy_masked():
    # p = (.5, .25, .25): H = .5 ln 2 + 2 * .25 ln 4 = .3465736 + .6931472 = 1.0397208; uniform over 3: ln 3
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3], [0.9, 0.05, 0.05]]]))
    assert entropy_from_logits(logits)[0, :2].tolist() == pytest.approx([1.0397208, math.log(3)], abs=1e-6)
    ent, m = entropy_loss(logits, torch.tensor([[1, 1, 0]]))
    assert float(ent) == pytest.approx((1.0397208 + math.log(3)) / 2, abs=1e-6)
    assert m["loss/entropy"] == pytest.approx(float(ent))


def test_value_loss_clipped():
    # tok0: V=1, V_old=.5, R=2: unclipped (1-2)^2 = 1; clipped V = .5 + clip(.5, -.2, .2) = .7 -> (.7-2)^2 = 1.69
    #       -> .5 * 1.69 = .845 (clipped larger)
    # tok1: V=2, V_old=2, R=1: both (2-1)^2 = 1 -> .5
    # mean = (.845 + .5) / 2 = .6725
    values = torch.tensor([[1.0, 2.0, 3.0]])
    old = torch.tensor([[0.5, 2.0, 0.0]])
    ret = torch.tensor([[2.0, 1.0, 0.0]])
    mask = torch.tensor([[1, 1, 0]])
    loss, m = value_loss(values, old, ret, mask, clip_range=0.2)
    assert float(loss) == pytest.approx(0.6725, abs=1e-6)
    assert m["loss/value_clip_frac"] == pytest.approx(0.5)
    # unclipped: .5 * (1 + 1) / 2 = .5
    assert float(value_loss(values, old, ret, mask, clip_range=None)[0]) == pytest.approx(0.5)


def test_logprobs_from_logits_matches_log_softmax():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 11)
    labels = torch.randint(0, 11, (2, 5))
    expected = torch.log_softmax(logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(logprobs_from_logits(logits, labels), expected, atol=1e-6)


def test_value_of_token_i_reads_the_state_before_it(tiny_chatml):
    """PPO's V for token i comes from the hidden state before token i: changing token i alone leaves it unchanged
    (and changes the value of token i + 1, which does see it)."""
    from agentgym.trainers.batching import Batch
    from agentgym.trainers.forward import forward
    from agentgym.trainers.ppo import ValueHead

    model, _ = tiny_chatml
    torch.manual_seed(0)
    head = ValueHead(model.config.hidden_size)
    torch.nn.init.normal_(head.linear.weight)  # the head starts at zero; any non-zero readout will do here
    ids = torch.tensor([[5, 9, 14, 3, 22, 7]])
    changed = ids.clone()
    changed[0, 3] = 40  # token i = 3
    zeros = torch.zeros(1, 6)

    def values(x):
        batch = Batch(input_ids=x, attention_mask=torch.ones_like(x), loss_mask=zeros + 1, old_logprobs=zeros,
                      advantages=zeros)
        with torch.no_grad():
            return head(forward(model, batch, hidden=True).hidden).squeeze(-1)[0]

    a, b = values(ids), values(changed)
    assert torch.equal(a[:4], b[:4])  # values of tokens 0..3 read states before token 3 changed
    assert not torch.equal(a[4], b[4])  # token 4's state has seen the new token 3
