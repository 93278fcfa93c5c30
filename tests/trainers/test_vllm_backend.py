"""model.rollout_backend = "vllm" on CPU, against a stand-in `vllm` module: the engine starts from the training
model's own weights saved as a Hugging Face folder, and gets the updated weights before every later rollout.
(The real engine runs in the GPU-marked test of tests/core/test_policies.py.)"""

from __future__ import annotations

import copy
import sys
import types

import pytest
import torch

from agentgym.trainers.config import load_config
from agentgym.trainers.run import train
from tests.trainers._trainer_helpers import tiny_overrides


class StandInLLM:
    """vllm.LLM's surface that VLLMPolicy uses; the model inside is loaded with transformers from the same folder."""

    instances: list["StandInLLM"] = []

    def __init__(self, model: str, **kwargs):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = model
        self.model = AutoModelForCausalLM.from_pretrained(model)
        self.initial = copy.deepcopy(self.model.state_dict())
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.loads: list[dict[str, torch.Tensor]] = []
        self.prefix_cache_resets = 0
        StandInLLM.instances.append(self)

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        # Alternately "aeiou" (a hit on every Keyword task) and "x" (a miss), then end of turn: group members
        # score differently, so GRPO's advantages are not all zero and the weights move.
        outs = []
        for i, _ in enumerate(prompts):
            text = "aeiou" if i % 2 == 0 else "x"
            p = params[i] if isinstance(params, list) else params  # vLLM takes one SamplingParams or one per prompt
            ids = self.tokenizer.encode(text, add_special_tokens=False) + list(p.stop_token_ids[-1:])
            out = types.SimpleNamespace(text=text, token_ids=ids, finish_reason="stop",
                                        logprobs=[{t: types.SimpleNamespace(logprob=-1.0)} for t in ids])
            outs.append(types.SimpleNamespace(outputs=[out]))
        return outs

    def apply_model(self, fn):
        def load_weights(weights):
            weights = dict(weights)
            self.loads.append({k: v.clone() for k, v in weights.items()})
            self.model.load_state_dict(weights)
        return [fn(types.SimpleNamespace(load_weights=load_weights))]

    def reset_prefix_cache(self):
        self.prefix_cache_resets += 1


class StandInSamplingParams(types.SimpleNamespace):
    def __init__(self, **kw):
        super().__init__(**{"logprobs": None, "stop_token_ids": None, "seed": None, **kw})

    def clone(self):
        return StandInSamplingParams(**copy.deepcopy(vars(self)))


@pytest.fixture
def stand_in_vllm(monkeypatch):
    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = StandInLLM, StandInSamplingParams
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = lambda prompt_token_ids: {"prompt_token_ids": prompt_token_ids}
    vllm.inputs = inputs
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)
    StandInLLM.instances.clear()
    return vllm


def test_vllm_backend_starts_from_the_training_model_and_gets_every_update(stand_in_vllm, tmp_path):
    cfg = load_config(None, tiny_overrides(tmp_path, algo="grpo", steps=3) + [
        'model.rollout_backend="vllm"', "rollout.temperature=0.7", "rollout.max_new_tokens=4"])
    snapshots = []
    import agentgym.trainers.run as run_module

    original = run_module.Context.rollout_policy

    def spy(self, seed):  # the training model's weights at the moment each rollout starts
        snapshots.append({k: v.clone() for k, v in self.model.state_dict().items()})
        return original(self, seed)

    run_module.Context.rollout_policy = spy
    try:
        result = train(cfg)
    finally:
        run_module.Context.rollout_policy = original

    (llm,) = StandInLLM.instances  # one engine for the whole run
    assert llm.path == str(tmp_path / "vllm_init")
    assert (tmp_path / "vllm_init" / "config.json").is_file()
    assert (tmp_path / "vllm_init" / "tokenizer.json").is_file()
    assert len(snapshots) == 3 and len(llm.loads) == 2 and llm.prefix_cache_resets == 2
    # Step 1 plays with the saved starting weights; steps 2 and 3 with the weights after steps 1 and 2.
    for name, value in llm.initial.items():
        assert torch.equal(value, snapshots[0][name]), name
    for loaded, snapshot in zip(llm.loads, snapshots[1:]):
        for name, value in loaded.items():
            assert torch.equal(value, snapshot[name]), name
    assert any(not torch.equal(llm.loads[0][n], snapshots[0][n]) for n in snapshots[0])  # training moved them
    policy_params = result.model.state_dict()
    assert all(torch.isfinite(v).all() for v in policy_params.values())
    assert all(r["rollout/episodes"] == 8.0 for r in result.metrics)
