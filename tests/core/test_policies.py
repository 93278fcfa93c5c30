"""Model-backed policies: HFPolicy on tiny random models, VLLMPolicy against a fake `vllm` module (and a real GPU test),
OpenAIPolicy against a local fake OpenAI-compatible server, and load_policy."""

from __future__ import annotations

import sys
import types

import pytest

from agentgym.chat import ChatTokenizer
from agentgym.policies import OraclePolicy, RandomPolicy, load_policy
from agentgym.policies.base import Conversation, episode_stream_seed
from agentgym.types import Message

OBSERVATIONS = ["Hi.", "You are in the kitchen. There is a red apple and an old book here. Exits: north, east.",
                "You are in the garden."]


def conversations(chat: ChatTokenizer) -> list[Conversation]:
    """Three conversations of different lengths, with prompt ids as the rollout builds them."""
    out = []
    for obs in OBSERVATIONS:
        msgs = [Message("system", "Answer with one command."), Message("user", obs)]
        out.append(Conversation(messages=msgs, prompt_ids=chat.start_ids(msgs)))
    return out


def fresh_logprobs(model, prompt: list[int], completion: list[int], temperature: float = 1.0) -> list[float]:
    import torch

    with torch.no_grad():
        logits = model(torch.tensor([prompt + completion])).logits[0].float()
    lps = torch.log_softmax(logits[len(prompt) - 1:-1] / temperature, dim=-1)
    return lps.gather(-1, torch.tensor(completion)[:, None]).squeeze(-1).tolist()


# -- HFPolicy ------------------------------------------------------------------------------------------------------------

@pytest.fixture(params=["chatml", "llama3"])
def tiny(request, tiny_chatml, tiny_llama3):
    return {"chatml": tiny_chatml, "llama3": tiny_llama3}[request.param]


def test_hf_logprobs_equal_a_fresh_forward_pass(tiny):
    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny
    policy = HFPolicy(model, tokenizer, max_new_tokens=12, temperature=0.7, seed=3)
    convs = conversations(policy.chat)
    assert len({len(c.prompt_ids) for c in convs}) == 3  # the batch is really left-padded
    out = policy.act(convs)
    assert len(out) == 3
    for conv, comp in zip(convs, out):
        assert len(comp.token_ids) == len(comp.logprobs) >= 1
        assert max(abs(a - b) for a, b in zip(comp.logprobs,
                                               fresh_logprobs(model, conv.prompt_ids, comp.token_ids, 0.7))) < 1e-4
        assert comp.text == tokenizer.decode(comp.token_ids, skip_special_tokens=True)
        assert tokenizer.pad_token_id not in comp.token_ids or tokenizer.pad_token_id in policy.stop_ids


def test_hf_token_ids_equal_model_generate(tiny):
    import torch

    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny
    policy = HFPolicy(model, tokenizer, max_new_tokens=10, do_sample=False, batch_size=2)
    convs = conversations(policy.chat)
    out = policy.act(convs)
    for conv, comp in zip(convs, out):
        with torch.no_grad():
            seq = model.generate(torch.tensor([conv.prompt_ids]), do_sample=False, max_new_tokens=10,
                                 eos_token_id=policy.stop_ids, pad_token_id=policy.pad_id)
        assert comp.token_ids == seq[0, len(conv.prompt_ids):].tolist()
        assert comp.finish_reason == "length"


def test_hf_stops_at_end_of_turn_and_trims_padding(tiny_chatml):
    import torch

    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny_chatml
    chat = ChatTokenizer(tokenizer)
    (eot,) = chat.end_of_turn_ids
    # Raise the end-of-turn logit so that some rows stop early and others run to the limit.
    bias = torch.zeros(model.config.vocab_size)
    bias[eot] = 5.0
    handle = model.lm_head.register_forward_hook(lambda module, args, output: output + bias)
    try:
        policy = HFPolicy(model, tokenizer, max_new_tokens=8, seed=0)
        convs = [Conversation(messages=[Message("user", obs)]) for obs in OBSERVATIONS * 2]  # prompt_ids None
        out = policy.act(convs)
        reasons = [c.finish_reason for c in out]
        assert "stop" in reasons and "length" in reasons
        for conv, comp in zip(convs, out):
            if comp.finish_reason == "stop":
                assert comp.token_ids[-1] == eot and eot not in comp.token_ids[:-1]
            else:
                assert len(comp.token_ids) == 8 and eot not in comp.token_ids
            prompt = chat.start_ids(conv.messages)
            with torch.no_grad():
                logits = model(torch.tensor([prompt + comp.token_ids])).logits[0]
            fresh = torch.log_softmax(logits[len(prompt) - 1:-1], -1).gather(
                -1, torch.tensor(comp.token_ids)[:, None]).squeeze(-1).tolist()
            assert max(abs(a - b) for a, b in zip(comp.logprobs, fresh)) < 1e-4
    finally:
        handle.remove()


def test_hf_seed_makes_runs_reproducible_without_touching_global_rng(tiny_chatml):
    import torch

    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny_chatml
    convs = conversations(ChatTokenizer(tokenizer))
    torch.manual_seed(123)
    before = torch.rand(1).item()
    torch.manual_seed(123)
    a = HFPolicy(model, tokenizer, max_new_tokens=6, seed=7)
    first, second = a.act(convs), a.act(convs)
    assert torch.rand(1).item() == before
    b = HFPolicy(model, tokenizer, max_new_tokens=6, seed=7)
    assert [c.token_ids for c in b.act(convs)] == [c.token_ids for c in first]
    assert [c.token_ids for c in b.act(convs)] == [c.token_ids for c in second]
    assert [c.token_ids for c in first] != [c.token_ids for c in second]  # each call draws fresh samples


def test_hf_rejects_bad_arguments(tiny_chatml):
    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny_chatml
    with pytest.raises(ValueError, match="max_new_tokens must be >= 1, got 0"):
        HFPolicy(model, tokenizer, max_new_tokens=0)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        HFPolicy(model, tokenizer, temperature=0.0)


# -- VLLMPolicy ----------------------------------------------------------------------------------------------------------

class FakeSamplingParams:
    def __init__(self, temperature=1.0, max_tokens=16, logprobs=None, stop_token_ids=None, seed=None):
        self.temperature, self.max_tokens, self.logprobs, self.stop_token_ids, self.seed = (
            temperature, max_tokens, logprobs, stop_token_ids, seed)

    def clone(self):
        return FakeSamplingParams(self.temperature, self.max_tokens, self.logprobs, list(self.stop_token_ids or []),
                                  self.seed)


class FakeLLM:
    """Records prompts and answers each with its first prompt id + 1, 2, 3 (as the engine's output objects do)."""

    def __init__(self, tokenizer, model=None, **kwargs):
        self.tokenizer, self.model, self.kwargs = tokenizer, model, kwargs
        self.calls, self.applied, self.cache_resets = [], [], 0

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((prompts, params))
        outs = []
        for i, p in enumerate(prompts):
            ids = [p["prompt_token_ids"][0] + k for k in (1, 2, 3)]
            logprobs = [{tok: types.SimpleNamespace(logprob=-0.25 * (k + 1), rank=1),
                         tok + 100: types.SimpleNamespace(logprob=-9.0, rank=2)} for k, tok in enumerate(ids)]
            out = types.SimpleNamespace(text=f"reply {i}", token_ids=ids, logprobs=logprobs,
                                        finish_reason="length" if i else "stop")
            outs.append(types.SimpleNamespace(outputs=[out]))
        return outs

    def apply_model(self, fn):
        model = types.SimpleNamespace(load_weights=lambda weights: self.applied.append(list(weights)) or {"w"})
        return [fn(model)]

    def reset_prefix_cache(self):
        self.cache_resets += 1


@pytest.fixture
def fake_vllm(monkeypatch, tiny_chatml):
    tokenizer = tiny_chatml[1]
    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = FakeSamplingParams
    vllm.LLM = lambda model, **kw: FakeLLM(tokenizer, model, **kw)
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = lambda prompt_token_ids: {"prompt_token_ids": prompt_token_ids}
    vllm.inputs = inputs
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)
    return vllm


def test_vllm_policy_maps_engine_outputs(fake_vllm):
    from agentgym.policies.vllm import VLLMPolicy

    user_params = FakeSamplingParams(temperature=0.5, max_tokens=32)
    policy = VLLMPolicy("Qwen/Qwen2.5-0.5B-Instruct", user_params, gpu_memory_utilization=0.3)
    assert policy.llm.model == "Qwen/Qwen2.5-0.5B-Instruct" and policy.llm.kwargs == {"gpu_memory_utilization": 0.3}
    (eot,) = policy.chat.end_of_turn_ids
    # Logprobs forced on (0 = sampled token only) and end-of-turn added to the stops, on a copy.
    assert (policy.sampling_params.logprobs, policy.sampling_params.stop_token_ids) == (0, [eot])
    assert (user_params.logprobs, user_params.stop_token_ids) == (None, None)
    assert policy.sampling_params.temperature == 0.5

    convs = conversations(policy.chat)
    convs[1].prompt_ids = None  # rendered from the messages
    convs[0].seed, convs[2].seed, convs[2].turn, convs[2].max_new_tokens = 11, 5, 3, 7
    out = policy.act(convs)
    prompts, params = policy.llm.calls[0]
    # One SamplingParams per request: the engine's, with a seed per (episode seed, turn) where the conversation has
    # one, and max_tokens capped to the room the rollout left.
    assert [(p.temperature, p.logprobs, p.stop_token_ids) for p in params] == [(0.5, 0, [eot])] * 3
    assert [p.seed for p in params] == [episode_stream_seed(c.seed, c.turn) if c.seed is not None else None
                                        for c in convs]
    assert [p.max_tokens for p in params] == [min(32, c.max_new_tokens or 32) for c in convs]
    assert all(p is not policy.sampling_params for p in params)
    assert [p["prompt_token_ids"] for p in prompts] == [
        convs[0].prompt_ids, policy.chat.start_ids(convs[1].messages), convs[2].prompt_ids]
    first = prompts[0]["prompt_token_ids"][0]
    assert out[0].token_ids == [first + 1, first + 2, first + 3]
    assert out[0].logprobs == [-0.25, -0.5, -0.75]
    assert [(c.text, c.finish_reason) for c in out] == [("reply 0", "stop"), ("reply 1", "length"),
                                                        ("reply 2", "length")]


def test_vllm_load_weights_goes_through_apply_model(fake_vllm, tiny_chatml):
    from agentgym.policies.vllm import VLLMPolicy

    llm = FakeLLM(tiny_chatml[1])
    policy = VLLMPolicy(llm)
    named = list(tiny_chatml[0].named_parameters())[:2]
    policy.load_weights(named)
    (loaded,) = llm.applied
    assert [n for n, _ in loaded] == [n for n, _ in named]
    assert all(t.requires_grad is False for _, t in loaded)
    assert llm.cache_resets == 1
    with pytest.raises(TypeError, match="only apply when VLLMPolicy builds the LLM"):
        VLLMPolicy(llm, enforce_eager=True)


def test_vllm_missing_names_the_extra(monkeypatch):
    from agentgym.policies.vllm import VLLMPolicy

    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'agentgym\[vllm\]'"):
        VLLMPolicy("any-model")


@pytest.mark.gpu
def test_vllm_real_engine_logprobs_match_hf(tmp_path):
    # Offline: SmolLM2 comes from the local GGUF cache (scripts/fetch_smollm2.sh), saved as a safetensors folder
    # that vLLM loads; the Hub is never contacted.
    import vllm

    from agentgym.models import find_smollm2, load_smollm2
    from agentgym.policies.vllm import VLLMPolicy

    if find_smollm2() is None:
        pytest.skip("SmolLM2 is not in the local cache: run scripts/fetch_smollm2.sh")
    from agentgym.trainers.checkpoints import save_model

    model, tokenizer = load_smollm2()
    save_model(model, tmp_path / "smollm2")  # a GGUF-loaded model: save_pretrained alone refuses (quantizer)
    tokenizer.save_pretrained(tmp_path / "smollm2")
    policy = VLLMPolicy(str(tmp_path / "smollm2"), vllm.SamplingParams(temperature=1.0, max_tokens=16, seed=0),
                        gpu_memory_utilization=0.3, dtype="float32", enforce_eager=True)
    convs = conversations(policy.chat)
    out = policy.act(convs)
    for conv, comp in zip(convs, out):
        assert comp.finish_reason in ("stop", "length") and len(comp.token_ids) == len(comp.logprobs)
        fresh = fresh_logprobs(model, conv.prompt_ids, comp.token_ids)
        assert max(abs(a - b) for a, b in zip(comp.logprobs, fresh)) < 2e-2


# -- OpenAIPolicy --------------------------------------------------------------------------------------------------------

def chat_conversations() -> list[Conversation]:
    return [Conversation(messages=[Message("system", "Be brief."), Message("user", f"look {i}")]) for i in range(5)]


def test_openai_policy_sends_messages_and_parses_text(server, monkeypatch):
    from agentgym.policies.openai import OpenAIPolicy

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    policy = OpenAIPolicy("tiny-model", server.base_url, temperature=0.2, max_tokens=5, max_retries=0)
    out = policy.act(chat_conversations())
    assert [c.text for c in out] == [f"{i} kool" for i in range(5)]  # in order despite concurrent requests
    assert all(c.token_ids is None and c.logprobs is None and c.finish_reason == "stop" for c in out)
    assert len(server.requests) == 5
    req = next(r for r in server.requests if r["body"]["messages"][-1]["content"] == "look 3")
    assert req["path"] == "/v1/chat/completions"
    assert req["authorization"] == "Bearer EMPTY"
    assert req["body"] == {"model": "tiny-model", "temperature": 0.2, "max_tokens": 5, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "look 3"}]}
    assert policy.tokenizer is None


def test_openai_policy_reads_token_ids_and_logprobs(server, monkeypatch):
    from agentgym.policies.openai import OpenAIPolicy

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    policy = OpenAIPolicy("tiny-model", server.base_url, logprobs=True, max_retries=0,
                          extra_body={"return_tokens_as_token_ids": True})
    (out,) = policy.act(chat_conversations()[:1])
    assert out.text == "0 kool"
    assert out.token_ids == [ord(ch) for ch in "0 kool"]
    assert out.logprobs == pytest.approx([-0.1, -0.2, -0.3, -0.4, -0.5, -0.6])
    assert server.requests[0]["authorization"] == "Bearer sk-from-env"
    assert server.requests[0]["body"]["return_tokens_as_token_ids"] is True
    # Token strings that are not ids: logprobs kept, ids unknown.
    plain = OpenAIPolicy("tiny-model", server.base_url, api_key="sk-secret-arg", logprobs=True, max_retries=0)
    (out,) = plain.act(chat_conversations()[:1])
    assert out.token_ids is None and len(out.logprobs) == 6
    assert server.requests[1]["authorization"] == "Bearer sk-secret-arg"
    assert "sk-secret-arg" not in repr(plain)


def test_openai_policy_raises_on_server_errors(server):
    import openai

    from agentgym.policies.openai import OpenAIPolicy

    from agentgym.policies.openai import ServerError

    url = server.base_url
    with pytest.raises(ServerError, match=f"server at {url} answered HTTP 500: engine died"):
        OpenAIPolicy("broken", url, max_retries=0).act(chat_conversations())
    with pytest.raises(ServerError, match="no message content"):
        OpenAIPolicy("silent", url, max_retries=0).act(chat_conversations()[:1])
    with pytest.raises(ServerError, match=f"server at {url} returned a malformed response: "):
        OpenAIPolicy("malformed", url, max_retries=0).act(chat_conversations()[:1])
    with pytest.raises(ServerError, match=f"server at {url} returned a malformed response: 'not a completion'"):
        OpenAIPolicy("string", url, max_retries=0).act(chat_conversations()[:1])
    server.hang_s = 2.0
    with pytest.raises(ServerError, match=f"server at {url} did not answer within 0.3 s"):
        OpenAIPolicy("hang", url, max_retries=0, timeout=0.3).act(chat_conversations()[:1])
    down = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    with pytest.raises(ServerError, match=f"cannot reach the server at {down}"):
        OpenAIPolicy("tiny-model", down, max_retries=0).act(chat_conversations()[:1])
    assert issubclass(ServerError, RuntimeError) and openai  # errors end the episode like any policy error


# -- load_policy ---------------------------------------------------------------------------------------------------------

def test_load_policy_specs(server, fake_vllm):
    from agentgym.policies.openai import OpenAIPolicy
    from agentgym.policies.vllm import VLLMPolicy

    assert isinstance(load_policy("oracle"), OraclePolicy)
    assert isinstance(load_policy("random", seed=3), RandomPolicy)
    api = load_policy(f"openai:org/model-7b@{server.base_url}", max_retries=0)
    assert isinstance(api, OpenAIPolicy) and (api.model, api.base_url) == ("org/model-7b", server.base_url)
    engine = load_policy("vllm:Qwen/Qwen2.5-0.5B-Instruct")
    assert isinstance(engine, VLLMPolicy) and engine.llm.model == "Qwen/Qwen2.5-0.5B-Instruct"
    with pytest.raises(ValueError, match="unknown policy spec 'gpt4'.*openai:MODEL@BASE_URL"):
        load_policy("gpt4")
    with pytest.raises(ValueError, match="needs a model and a server"):
        load_policy("openai:gpt-4o")
    with pytest.raises(ValueError, match="unknown policy spec 'hf:'"):
        load_policy("hf:")


def test_load_policy_hf_from_a_saved_folder(tmp_path, tiny_chatml):
    from agentgym.policies.hf import HFPolicy

    model, tokenizer = tiny_chatml
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    policy = load_policy(f"hf:{tmp_path}", device="cpu", max_new_tokens=4, do_sample=False)
    assert isinstance(policy, HFPolicy) and policy.max_new_tokens == 4
    assert policy.chat.end_of_turn == "<|im_end|>"
    conv = conversations(policy.chat)[0]
    assert policy.act([conv])[0].token_ids == HFPolicy(model, tokenizer, max_new_tokens=4,
                                                       do_sample=False).act([conv])[0].token_ids


# -- real model (slow) ---------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_smollm2_chat_deltas_and_hf_logprobs():
    """SmolLM2-135M-Instruct (real ChatML template with its own default system prompt): delta-built ids equal a full
    re-render, masked spans decode to the actions, and HFPolicy's logprobs equal a fresh forward pass."""
    from agentgym.chat import EpisodeTokens
    from agentgym.models import find_smollm2, load_smollm2
    from agentgym.policies.hf import HFPolicy
    from agentgym.types import Completion

    if find_smollm2() is None:
        pytest.skip("SmolLM2 not fetched; run scripts/fetch_smollm2.sh")
    model, tokenizer = load_smollm2()
    chat = ChatTokenizer(tokenizer)
    assert chat.end_of_turn == "<|im_end|>"
    assert "You are a helpful AI assistant named SmolLM" in tokenizer.decode(chat.start_ids([Message("user", "hi")]))

    actions = ["take the red apple", "go north"]
    msgs = [Message("user", OBSERVATIONS[1]), Message("assistant", actions[0]), Message("user", "Taken."),
            Message("assistant", actions[1]), Message("user", OBSERVATIONS[2])]
    ep = EpisodeTokens(chat, msgs[:1])
    for action, reply in zip(actions, [msgs[2], msgs[4]]):
        ep.add_completion(Completion(text=action, token_ids=chat.encode(action) + chat.end_of_turn_ids))
        ep.add_messages([reply])
    assert ep.ids == chat.start_ids(msgs)
    starts = [i for i in range(len(ep.mask)) if ep.mask[i] and (i == 0 or not ep.mask[i - 1])]
    ends = [i + 1 for i in range(len(ep.mask)) if ep.mask[i] and (i + 1 == len(ep.mask) or not ep.mask[i + 1])]
    assert [tokenizer.decode(ep.ids[s:e], skip_special_tokens=True) for s, e in zip(starts, ends)] == actions

    policy = HFPolicy(model, tokenizer, max_new_tokens=24, temperature=0.8, seed=0)
    convs = conversations(chat)
    out = policy.act(convs)
    for conv, comp in zip(convs, out):
        assert comp.finish_reason in ("stop", "length") and comp.text.strip()
        fresh = fresh_logprobs(model, conv.prompt_ids, comp.token_ids, 0.8)
        assert max(abs(a - b) for a, b in zip(comp.logprobs, fresh)) < 1e-4


def test_openai_messages_carry_images_as_png_data_urls():
    import base64

    import numpy as np

    from agentgym.policies.openai import openai_message
    from agentgym.types import Observation, decode_png

    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    msg = Message("user", Observation.parse({"text": "what is on screen?", "images": [pixels]}).content())
    out = openai_message(msg)
    assert out["role"] == "user" and [p["type"] for p in out["content"]] == ["image_url", "text"]
    url = out["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert np.array_equal(decode_png(base64.b64decode(url.split(",", 1)[1])), pixels)
    assert openai_message(Message("user", "plain")) == {"role": "user", "content": "plain"}


def test_server_returned_ids_and_logprobs_reach_the_turns_and_each_episode_sends_its_seed(server):
    from toy_envs import GuessNumberEnv

    from agentgym.policies.base import episode_stream_seed
    from agentgym.policies.openai import OpenAIPolicy
    from agentgym.rollout import rollout

    policy = OpenAIPolicy("tiny-model", server.base_url, logprobs=True, max_retries=0,
                          extra_body={"return_tokens_as_token_ids": True})
    (t,) = rollout(GuessNumberEnv, policy, ["guess/train/7"], max_turns=2, seed=40)
    assert t.error is None and t.num_turns == 2
    for turn in t.turns:
        assert turn.completion_ids == [ord(ch) for ch in turn.action]  # the server's ids, kept on the Turn
        assert turn.logprobs == pytest.approx([-0.1 * (i + 1) for i in range(len(turn.action))])
        assert turn.prompt_ids is None  # a message-level server does not say how it tokenised the prompt
    assert [r["body"]["seed"] for r in server.requests] == [episode_stream_seed(40, k) % (1 << 31) for k in (0, 1)]


def test_every_backend_is_bounded_by_default_and_says_how_it_generates(server, tiny_chatml, fake_vllm):
    from agentgym.evaluation import generation_settings
    from agentgym.policies.base import DEFAULT_MAX_NEW_TOKENS
    from agentgym.policies.hf import HFPolicy
    from agentgym.policies.openai import OpenAIPolicy
    from agentgym.policies.vllm import VLLMPolicy

    api = OpenAIPolicy("tiny-model", server.base_url, max_retries=0)
    api.act(chat_conversations()[:1])
    assert server.requests[-1]["body"]["max_tokens"] == DEFAULT_MAX_NEW_TOKENS == 64
    assert generation_settings(api) == {"max_tokens": 64}
    model, tokenizer = tiny_chatml
    assert generation_settings(HFPolicy(model, tokenizer, seed=3)) == {
        "max_new_tokens": 64, "temperature": 1.0, "top_p": 1.0, "top_k": 0, "greedy": False, "seed": 3}
    assert generation_settings(VLLMPolicy("tiny"))["max_tokens"] == 64
    assert generation_settings(OraclePolicy()) == {}


def test_a_full_server_context_is_a_context_limit_truncation_and_rate_limits_retry(server):
    from agentgym.policies.openai import OpenAIPolicy
    from agentgym.rollout import rollout

    env = "agentgym/TwentyQuestions-v0"
    task = ["twenty_questions/train/apple"]
    cut, = rollout(env, OpenAIPolicy("long", server.base_url, max_retries=0), task)
    assert cut.error is None and cut.truncated and not cut.terminated
    assert cut.metadata["truncated_reason"] == "context_limit" and cut.num_turns == 1
    assert "maximum context length is 4096 tokens" in cut.metadata["context_limit_message"]
    assert cut.turns[-1].info["terminated_reason"] == "context_limit"
    # HTTP 429 is retried with backoff by the client (max_retries): every episode completes.
    ok = rollout(env, OpenAIPolicy("ratelimited", server.base_url, max_retries=2), task * 2, max_turns=2)
    assert all(t.error is None and t.num_turns == 2 for t in ok) and server.rate_limited >= 5  # some were 429s


def test_hf_spec_takes_a_gguf_file(monkeypatch, tmp_path):
    from agentgym.policies.hf import HFPolicy

    seen = []
    monkeypatch.setattr(HFPolicy, "from_pretrained", classmethod(lambda cls, path, **kw: seen.append((path, kw))))
    gguf = tmp_path / "m.Q4.gguf"
    gguf.write_bytes(b"GGUF")
    load_policy(f"hf:{gguf}")
    load_policy(f"hf:{tmp_path}#m.Q4.gguf", max_new_tokens=8)
    load_policy("hf:org/model")
    assert seen == [(str(tmp_path), {"gguf_file": "m.Q4.gguf"}),
                    (str(tmp_path), {"gguf_file": "m.Q4.gguf", "max_new_tokens": 8}), ("org/model", {})]


@pytest.mark.slow
def test_hf_spec_loads_smollm2_from_its_gguf_and_saves_it(tmp_path):
    from agentgym.models import find_smollm2
    from agentgym.trainers.checkpoints import save_model

    gguf = find_smollm2()
    if gguf is None:
        pytest.skip("SmolLM2 is not in the local cache: run scripts/fetch_smollm2.sh")
    policy = load_policy(f"hf:{gguf}", max_new_tokens=4)
    save_model(policy.model, tmp_path / "m")
    policy.tokenizer.save_pretrained(tmp_path / "m")
    again = load_policy(f"hf:{tmp_path / 'm'}", max_new_tokens=4)
    import torch

    for a, b in zip(policy.model.parameters(), again.model.parameters()):
        assert torch.equal(a.detach().float(), b.detach().float())
