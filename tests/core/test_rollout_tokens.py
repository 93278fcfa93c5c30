"""A rollout with a tiny random transformers model on a built-in env: the stored token ids are exactly what the
model was given and what it generated, the masked spans decode to the actions, and the stored logprobs equal a fresh
forward pass on the stored ids."""

import pytest
import torch

from agentgym.chat import ChatTokenizer
from agentgym.core import AgentEnv, StepOutcome, Task, TaskSuite
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


@pytest.mark.parametrize("fixture", ["tiny_chatml", "tiny_llama3"])
def test_windowed_history_prompts_each_turn_with_the_task_and_the_last_k_turns(fixture, request):
    # history="window": every turn's prompt is rendered afresh from the system prompt, the task and the last K
    # turns; the stored prompt ids are exactly what the policy was handed, each turn is its own row, the masked
    # span decodes to the action, and the stored logprobs equal a fresh forward pass on the row.
    from agentgym.chat import window_messages

    model, tokenizer = request.getfixturevalue(fixture)
    chat = ChatTokenizer(tokenizer)
    policy = RecordingPolicy(model, tokenizer, max_new_tokens=8, temperature=1.0, seed=0)
    tasks = ["twenty_questions/train/" + name for name in ("apple", "dog")]
    trajs = rollout("agentgym/TwentyQuestions-v0", policy, tasks, group_size=2, max_turns=4, seed=3,
                    history="window", window_turns=1)
    assert all(t.error is None and t.history == "window" and t.num_turns == 4 for t in trajs)
    for traj in trajs:
        rows = traj.token_rows()
        assert len(rows) == traj.num_turns
        assistant_at = [i for i, m in enumerate(traj.messages) if m.role == "assistant"]
        for turn, row, at in zip(traj.turns, rows, assistant_at):
            shown = window_messages(traj.messages[:at], 1)
            assert sum(m.role == "assistant" for m in shown) == min(turn.index, 1)  # at most K past actions
            assert turn.prompt_ids == chat.start_ids(shown)
            (start, end), = row.spans
            assert row.ids[:start] == turn.prompt_ids and row.ids[start:end] == turn.completion_ids
            assert (row.ids[:start], row.ids[start:end]) in policy.seen[(traj.task_id, turn.index)]
            assert tokenizer.decode(turn.completion_ids, skip_special_tokens=True) == turn.action
            with torch.no_grad():
                logits = model(torch.tensor([row.ids])).logits[0].float()
            fresh = torch.log_softmax(logits[:-1], dim=-1).gather(1, torch.tensor(row.ids[1:])[:, None])[:, 0]
            assert torch.allclose(fresh[start - 1:end - 1], torch.tensor(turn.logprobs), atol=1e-4)
        # The window dropped turn 0 from turn 2's prompt: shorter than the whole conversation rendered.
        assert len(traj.turns[2].prompt_ids) < len(chat.start_ids(traj.messages[:assistant_at[2]]))
        with pytest.raises(ValueError, match="token_rows"):
            traj.token_ids()


def _twenty_questions_with_head(head):
    def make():
        import gymnasium as gym

        env = gym.make("agentgym/TwentyQuestions-v0")
        env.unwrapped.window_head = head  # as an env whose first observation is a screen declares it
        return env
    return make


def test_an_env_whose_head_is_the_system_prompt_is_windowed_without_its_first_observation(tiny_chatml):
    # window_head="system": turn 0 sees the first observation, later turns only the system prompt, the last K turns
    # and the current observation; the trajectory records the head, so tokenize_trajectory rebuilds the same prompts
    # (SFT on oracle episodes trains on what a windowed rollout shows).
    from agentgym.chat import tokenize_trajectory, window_messages

    model, tokenizer = tiny_chatml
    chat = ChatTokenizer(tokenizer)
    policy = RecordingPolicy(model, tokenizer, max_new_tokens=8, temperature=1.0, seed=0)
    traj, = rollout(_twenty_questions_with_head("system"), policy, ["twenty_questions/train/apple"], max_turns=3,
                    seed=1, history="window", window_turns=0)
    assert traj.error is None and traj.num_turns == 3 and traj.metadata["window_head"] == "system"
    assistant_at = [i for i, m in enumerate(traj.messages) if m.role == "assistant"]
    system, first = traj.messages[0], traj.messages[1]
    for turn, at in zip(traj.turns, assistant_at):
        shown = [system, traj.messages[at - 1]]  # the system prompt and the observation this action answered
        assert window_messages(traj.messages[:at], 0, head="system") == shown
        assert turn.prompt_ids == chat.start_ids(shown)
        assert (turn.prompt_ids, turn.completion_ids) in policy.seen[(traj.task_id, turn.index)]
    assert first.text not in tokenizer.decode(traj.turns[2].prompt_ids)
    import copy

    text_only = copy.deepcopy(traj)
    for t in text_only.turns:
        t.prompt_ids = t.completion_ids = t.logprobs = None
    again = tokenize_trajectory(text_only, tokenizer, history="window", window_turns=0)
    assert [t.prompt_ids for t in again.turns] == [t.prompt_ids for t in traj.turns]


def test_an_env_with_an_unknown_window_head_ends_its_episode_with_an_error(tiny_chatml):
    model, tokenizer = tiny_chatml
    policy = HFPolicy(model, tokenizer, max_new_tokens=4, seed=0)
    traj, = rollout(_twenty_questions_with_head("first"), policy, ["twenty_questions/train/apple"], max_turns=2,
                    history="window", window_turns=0)
    assert traj.error is not None and traj.error.kind == "env_error"
    assert "window_head must be 'task' or 'system', got 'first'" in traj.error.message


@pytest.mark.parametrize("history", ["full", "window"])
def test_a_limit_keeps_the_state_it_cut_as_tokens(tiny_chatml, history):
    # Truncation by the turn limit: the final observation is tokenised as the next prompt would have been (a delta
    # in full history, the whole window otherwise). A terminated episode has none.
    from agentgym.chat import window_messages
    from agentgym.types import Message

    model, tokenizer = tiny_chatml
    chat = ChatTokenizer(tokenizer)
    policy = HFPolicy(model, tokenizer, max_new_tokens=6, temperature=1.0, seed=0)
    cut = rollout("agentgym/TwentyQuestions-v0", policy, ["twenty_questions/train/apple"], group_size=2, max_turns=2,
                  history=history, window_turns=1)
    for t in cut:
        assert t.truncated and not t.terminated and t.metadata["truncated_reason"] == "turn_limit"
        final = Message("user", t.metadata["final_observation"])
        if history == "full":
            ended_turn = chat.ends_turn(t.turns[-1].completion_ids)  # else the delta first closes the turn
            assert t.final_prompt_ids == chat.delta_ids([final], completion_ended=ended_turn)
            row, = t.token_rows(with_final=True)
            assert row.ids == t.token_ids() + t.final_prompt_ids and row.ends_in_final_state
            assert row.mask == t.loss_mask() + [0] * len(t.final_prompt_ids)
        else:
            assert t.final_prompt_ids == chat.start_ids(window_messages(t.messages + [final], 1))
            rows = t.token_rows(with_final=True)
            assert len(rows) == 3 and rows[-1].ids == t.final_prompt_ids and rows[-1].spans == []
            assert rows[-1].ends_in_final_state and not any(rows[-1].mask)
    # An episode that ends (terminated) has no state to bootstrap from.
    ended = rollout(_OneShotEnv, policy, ["one/0"], history=history)
    assert ended[0].terminated and not ended[0].truncated and ended[0].final_prompt_ids is None


class _OneShotEnv(AgentEnv):
    """Any action ends the episode (terminated)."""

    suite = TaskSuite("one", "0", {"train": [Task(id="one/0", split="train", seed=0)],
                                   "heldout": [Task(id="one/1", split="heldout", seed=1)]})

    def _start(self, task, rng):
        return "Say anything."

    def _act(self, action):
        return StepOutcome(observation="done", reward=1.0, terminated=True, success=True, progress=1.0)


def test_context_limit_keeps_the_reply_no_turn_acted_on(tiny_chatml):
    model, tokenizer = tiny_chatml
    policy = HFPolicy(model, tokenizer, max_new_tokens=16, temperature=1.0, seed=0)
    first_prompt = rollout("agentgym/TwentyQuestions-v0", policy, ["twenty_questions/train/apple"],
                           max_turns=1)[0].turns[0].prompt_ids
    trajs = rollout("agentgym/TwentyQuestions-v0", policy, ["twenty_questions/train/apple"], group_size=4,
                    max_context_tokens=len(first_prompt) + 40, seed=2)
    cut = [t for t in trajs if t.metadata.get("truncated_reason") == "context_limit"]
    assert cut
    for t in cut:
        # the last delta was appended (the sequence hit the limit) but no turn acted on it
        assert t.final_prompt_ids and len(t.token_ids()) + len(t.final_prompt_ids) >= len(first_prompt) + 40
