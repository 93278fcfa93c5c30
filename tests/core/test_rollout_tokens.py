"""A rollout with a tiny random transformers model on a built-in env: the stored token ids are exactly what the
model was given and what it generated, the masked spans decode to the actions, and the stored logprobs equal a fresh
forward pass on the stored ids."""

import pytest
import torch

from agentgym.chat import ChatTokenizer
from agentgym.policies.hf import HFPolicy
from agentgym.policies.scripted import RandomPolicy
from agentgym.rollout import rollout


class RecordingPolicy(HFPolicy):
    """HFPolicy that records every (prompt ids it was handed, ids it generated) pair, per task and turn."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen: dict[tuple[str, int], list[tuple[list[int], list[int]]]] = {}

    def act(self, conversations):
        out = super().act(conversations)
        for conv, comp in zip(conversations, out):
            key = (conv.info["task_id"], conv.info["turn"])
            self.seen.setdefault(key, []).append((list(conv.prompt_ids), list(comp.token_ids)))
        return out


@pytest.mark.parametrize("fixture", ["tiny_chatml", "tiny_llama3"])
def test_token_level_rollout_keeps_exactly_what_the_model_saw_and_generated(fixture, request):
    model, tokenizer = request.getfixturevalue(fixture)
    torch.manual_seed(0)
    policy = RecordingPolicy(model, tokenizer, max_new_tokens=12, temperature=1.0, seed=0)
    tasks = ["twenty_questions/train/" + name for name in ("apple", "dog", "car")]
    trajs = rollout("agentgym/TwentyQuestions-v0", policy, tasks, group_size=2, max_turns=3, batch_size=6)
    assert len(trajs) == 6 and all(t.error is None for t in trajs)
    chat = ChatTokenizer(tokenizer)
    n_turns = 0
    for traj in trajs:
        ids, mask, spans = traj.token_ids(), traj.loss_mask(), traj.completion_spans()
        for turn, (start, end) in zip(traj.turns, spans):
            # the policy was handed exactly the stored prefix and produced exactly the stored ids
            assert (ids[:start], ids[start:end]) in policy.seen[(traj.task_id, turn.index)]
            generated = turn.completion_ids
            assert ids[start:end] == generated
            assert all(mask[start:end]) and sum(mask[:start]) == sum(len(t.completion_ids) for t in
                                                                     traj.turns[:turn.index])
            text = tokenizer.decode(generated, skip_special_tokens=True)
            assert text == turn.action  # the masked span decodes to the action the env received
            n_turns += 1
        # stored logprobs == a fresh forward pass over the stored sequence
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        fresh = torch.log_softmax(logits[:-1], dim=-1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        old = torch.tensor(traj.old_logprobs())[1:]
        m = torch.tensor(mask[1:], dtype=torch.bool)
        assert torch.allclose(fresh[m], old[m], atol=1e-4), (fresh[m] - old[m]).abs().max()
    assert n_turns >= 6
    assert chat.end_of_turn_ids  # the template's end-of-turn is known to the chat layer


def _fingerprint(trajs):
    """Everything sampled: per episode, its seed and every turn's action and token ids."""
    return [(t.task_id, t.seed, [(turn.action, turn.completion_ids) for turn in t.turns]) for t in trajs]


def test_same_seed_same_trajectories_whatever_the_batch_size_and_runner(tiny_chatml):
    model, tokenizer = tiny_chatml
    tasks = ["twenty_questions/train/" + n for n in ("apple", "dog", "car", "banana", "cat", "bus", "cow", "chair")]
    runs = {}
    for batch_size, executor in [(1, "inline"), (7, "inline"), (32, "inline"), (32, "thread"), (7, "thread")]:
        policy = HFPolicy(model, tokenizer, max_new_tokens=10, temperature=1.0, seed=0)
        trajs = rollout("agentgym/TwentyQuestions-v0", policy, tasks, group_size=2, max_turns=3, seed=11,
                        batch_size=batch_size, executor=executor)
        assert all(t.error is None for t in trajs)
        runs[(batch_size, executor)] = trajs
    reference = _fingerprint(runs[(1, "inline")])
    for key, trajs in runs.items():
        assert _fingerprint(trajs) == reference, key
        for a, b in zip(trajs, runs[(1, "inline")]):  # logprobs: the same up to float rounding of other batch shapes
            for ta, tb in zip(a.turns, b.turns):
                assert ta.logprobs == pytest.approx(tb.logprobs, abs=1e-5)
    # The two members of each group sampled differently (their streams differ), so the check above is not vacuous.
    first = runs[(1, "inline")]
    assert sum(first[2 * i].turns[0].completion_ids != first[2 * i + 1].turns[0].completion_ids
               for i in range(len(tasks))) >= len(tasks) // 2
    # Another seed samples other tokens.
    other = rollout("agentgym/TwentyQuestions-v0", HFPolicy(model, tokenizer, max_new_tokens=10, seed=0), tasks,
                    group_size=2, max_turns=3, seed=12, batch_size=32)
    assert _fingerprint(other) != reference


def test_random_policy_is_reproducible_across_batch_sizes():
    tasks = [f"twenty_questions/train/{n}" for n in ("apple", "dog", "car", "banana", "cat")]
    runs = [rollout("agentgym/TwentyQuestions-v0", RandomPolicy(seed=3), tasks, group_size=3, seed=5,
                    batch_size=b, max_turns=6) for b in (1, 4, 32)]
    assert _fingerprint(runs[0]) == _fingerprint(runs[1]) == _fingerprint(runs[2])


def test_context_limit_caps_each_completion_and_truncates_on_the_last_turn(tiny_chatml):
    model, tokenizer = tiny_chatml
    policy = HFPolicy(model, tokenizer, max_new_tokens=16, temperature=1.0, seed=0)
    first_prompt = rollout("agentgym/TwentyQuestions-v0", policy, ["twenty_questions/train/apple"],
                           max_turns=1)[0].turns[0].prompt_ids
    limit = len(first_prompt) + 40  # room for a few turns, not for the 5-question budget
    trajs = rollout("agentgym/TwentyQuestions-v0", policy, ["twenty_questions/train/" + n for n in ("apple", "dog")],
                    group_size=3, max_context_tokens=limit, seed=2)
    for t in trajs:
        assert t.error is None
        assert len(t.token_ids()) <= limit  # generation never overshoots the limit
        if t.truncated and t.metadata["truncated_reason"] == "context_limit":
            last = t.turns[-1]
            assert last.truncated and not last.terminated and last.info["terminated_reason"] == "context_limit"
    cut = [t for t in trajs if t.metadata.get("truncated_reason") == "context_limit"]
    assert cut, [(t.num_turns, len(t.token_ids())) for t in trajs]
