"""The vision-language path on a tiny Qwen2-VL built from a config: exact image tokens, pixel inputs from the
rollout into the training batch, logprobs that match a fresh forward pass, and a GRPO update that moves the weights
of both the vision tower and the language model. The env is GUIGrounding-v0 in the real Chromium."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from agentgym.envs.gui.grounding.env import GUIGroundingEnv
from agentgym.policies.hf import HFPolicy
from agentgym.rollout import rollout
from agentgym.tiny_vl import tiny_vision_model
from agentgym.trainers.batching import make_batch
from agentgym.trainers.config import PolicyGradientConfig
from agentgym.trainers.forward import recompute_logprobs
from agentgym.trainers.update import policy_gradient_update
from agentgym.types import Image, ImagePart, Message, TextPart


@pytest.fixture(scope="module")
def tiny():
    return tiny_vision_model(["Instruction: Click the close icon. click(10, 20)"])


def test_image_tokens_are_expanded_exactly(tiny):
    model, tok, vision = tiny
    policy = HFPolicy(model, tok, vision=vision)
    im = Image(np.zeros((100, 160, 3), dtype=np.uint8))
    grid = vision.pixel_inputs([im])["image_grid_thw"]
    n = int(grid.prod()) // 4  # merge size 2: one token per 2 x 2 patches
    assert n == vision.count(im) and n > 1
    msgs = [Message("user", [ImagePart(im), TextPart("hi")])]
    ids = policy.chat.start_ids(msgs)
    start, end, pad = (tok.convert_tokens_to_ids(t) for t in ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>"))
    i = ids.index(start)
    assert ids[i + 1: i + 1 + n] == [pad] * n and ids[i + 1 + n] == end and ids.count(pad) == n
    # the rest is the template's text, tokenised as usual
    assert tok.decode(ids[:i]) == "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    assert tok.decode(ids[i + 2 + n:]) == "hi<|im_end|>\n<|im_start|>assistant\n"
    with pytest.raises(ValueError, match="image token"):
        vision.expand("no placeholder", [im])


def _grounding_rollout(policy, cache_dir, *, group_size):
    """`group_size` episodes of the first held-out GUIGrounding task (small screenshots) played by `policy`."""
    factory = lambda: GUIGroundingEnv(cache_dir=cache_dir, max_pixels=160 * 100)  # noqa: E731
    env = factory()
    tasks = env.suite.split("heldout")[:1]
    env.close()
    return rollout(factory, policy, tasks, group_size=group_size)


def test_rollout_to_batch_logprobs_match_and_grpo_moves_vision_and_language_weights(tiny, tmp_path):
    model, tok, vision = tiny
    policy = HFPolicy(model, tok, vision=vision, max_new_tokens=6, seed=0)
    trajs = _grounding_rollout(policy, tmp_path, group_size=3)
    assert len(trajs) == 3 and all(t.has_tokens and t.error is None for t in trajs)
    for t in trajs:  # the observation's screenshot is on the turn, and its tokens are in the prompt
        assert len(t.turns[0].images) == 1
        assert t.turns[0].prompt_ids.count(vision.image_token_id) == vision.count(t.turns[0].images[0])

    # advantages as GRPO gives them to group scores [1, 0, 0.5] (the random tiny model's own answers score 0)
    batch = make_batch(trajs, [[1.0], [-1.0], [0.0]], pad_id=tok.pad_token_id, vision=vision)
    assert len(batch.pixel_rows) == 3 and all(p is not None for p in batch.pixel_rows)
    fresh = recompute_logprobs(model, batch, micro_batch_size=2, temperature=1.0)
    assert torch.allclose(fresh * batch.loss_mask, batch.old_logprobs * batch.loss_mask, atol=1e-4)
    blind = make_batch(trajs, [[0.0]] * 3, pad_id=tok.pad_token_id)  # without pixels the model scores differently
    without = recompute_logprobs(model, blind, micro_batch_size=2, temperature=1.0)
    assert not torch.allclose(without * blind.loss_mask, batch.old_logprobs * batch.loss_mask, atol=1e-4)

    model.train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    ctx = SimpleNamespace(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
                          cfg=SimpleNamespace(rollout=SimpleNamespace(temperature=1.0)), device=torch.device("cpu"),
                          scheduler=SimpleNamespace(step=lambda: None))
    metrics = policy_gradient_update(ctx, batch, PolicyGradientConfig(micro_batch_size=2))
    model.eval()
    assert np.isfinite(metrics["loss/total"])
    changed = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert any(n.startswith("model.visual.") for n in changed), sorted(changed)[:5]
    assert any(n.startswith("model.language_model.") for n in changed)


def test_vllm_policy_sends_images_as_multi_modal_data(tiny, monkeypatch):
    """Against a stand-in `vllm` module (no GPU here): the request carries the expanded ids and the images."""
    import sys
    import types

    from agentgym.policies.base import Conversation
    from agentgym.policies.vllm import VLLMPolicy

    model, tok, vision = tiny
    seen = []

    class LLM:
        def get_tokenizer(self):
            return tok

        def generate(self, prompts, params, use_tqdm=True):
            seen.extend(prompts)
            ids = tok.encode("click(1, 2)", add_special_tokens=False) + [tok.convert_tokens_to_ids("<|im_end|>")]
            out = types.SimpleNamespace(text="click(1, 2)", token_ids=ids, finish_reason="stop",
                                        logprobs=[{t: types.SimpleNamespace(logprob=-0.5)} for t in ids])
            return [types.SimpleNamespace(outputs=[out]) for _ in prompts]

    class SamplingParams(types.SimpleNamespace):
        def __init__(self, **kw):
            super().__init__(**{"logprobs": None, "stop_token_ids": None, "seed": None, "max_tokens": 8, **kw})

        def clone(self):
            return SamplingParams(**vars(self))

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, SamplingParams
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = lambda prompt_token_ids: {"prompt_token_ids": prompt_token_ids}
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)

    policy = VLLMPolicy(LLM(), vision=vision)
    a, b = Image(np.zeros((60, 90, 3), dtype=np.uint8)), Image(np.full((80, 80, 3), 200, dtype=np.uint8))
    msgs = [Message("user", [ImagePart(a), TextPart("first")]), Message("assistant", "click(1, 2)"),
            Message("user", [ImagePart(b), TextPart("second")])]
    out = policy.act([Conversation(messages=msgs, seed=0), Conversation(messages=msgs[:1], seed=1)])
    assert out[0].text == "click(1, 2)" and out[0].logprobs[0] == -0.5
    # the placeholder tokens are banned from sampling, as in the HF policy
    assert policy.sampling_params.logit_bias == {t: -100.0 for t in vision.never_generated}
    assert vision.image_token_id in policy.sampling_params.logit_bias
    first, second = seen
    assert [np.asarray(im).shape for im in first["multi_modal_data"]["image"]] == [(60, 90, 3), (80, 80, 3)]
    assert first["prompt_token_ids"].count(vision.image_token_id) == vision.count(a) + vision.count(b)
    assert len(second["multi_modal_data"]["image"]) == 1
    assert second["prompt_token_ids"] == HFPolicy(model, tok, vision=vision).chat.start_ids(msgs[:1])


def test_the_policy_never_generates_an_image_placeholder_and_training_scores_it_the_same(tiny, tmp_path):
    """A model that prefers <|image_pad|> above all (a hook adds 50 to its logit) still writes none: a generated one
    would be an image position without an image, which the forward refuses. Training logprobs renormalise the same
    way at policy tokens, so they equal the sampling logprobs."""
    model, tok, vision = tiny
    assert vision.never_generated == tuple(sorted(tok.convert_tokens_to_ids(["<|image_pad|>", "<|video_pad|>"])))

    def prefer_image_pad(module, args, out):
        out = out.clone()
        out[..., vision.image_token_id] += 50.0
        return out

    handle = model.lm_head.register_forward_hook(prefer_image_pad)
    try:
        policy = HFPolicy(model, tok, vision=vision, max_new_tokens=5, seed=0)
        trajs = _grounding_rollout(policy, tmp_path, group_size=2)
        for t in trajs:
            ids = t.turns[0].completion_ids
            assert len(ids) == 5 and not set(ids) & set(vision.never_generated)
        batch = make_batch(trajs, [[1.0], [-1.0]], pad_id=tok.pad_token_id, vision=vision)
        fresh = recompute_logprobs(model, batch, micro_batch_size=2, temperature=1.0)
        assert torch.allclose(fresh * batch.loss_mask, batch.old_logprobs * batch.loss_mask, atol=1e-4)
    finally:
        handle.remove()
