"""Tokens across turns: start ids, env deltas, exact policy ids and masks, on ChatML (Qwen2.5), Llama 3 and a
Qwen3-like template that rewrites history."""

from __future__ import annotations

import pytest

from agentgym.chat import ChatTokenizer, EpisodeTokens, tokenize_trajectory
from agentgym.types import Completion, Message, Trajectory, Turn

SYSTEM = "You play a text adventure. Answer with one command."
OBSERVATIONS = ["You are in the kitchen. There is a red apple here.", "Taken.", "You are in the garden. Exits: north."]
ACTIONS = ["take the red apple", "go north"]


def conversation(with_system: bool = True) -> list[Message]:
    """system?, obs0, act0, obs1, act1, obs2 (ends with the env's reply, ready for the next action)."""
    msgs = [Message("system", SYSTEM)] if with_system else []
    for obs, act in zip(OBSERVATIONS, ACTIONS):
        msgs += [Message("user", obs), Message("assistant", act)]
    return msgs + [Message("user", OBSERVATIONS[-1])]


def play(chat: ChatTokenizer, msgs: list[Message], completions: list[list[int]]) -> EpisodeTokens:
    """Build an episode the way the rollout does: start ids, then per action its ids and the env's delta."""
    first_action = next(i for i, m in enumerate(msgs) if m.role == "assistant")
    ep = EpisodeTokens(chat, msgs[:first_action])
    user_after = [i + 1 for i, m in enumerate(msgs) if m.role == "assistant"]
    for ids, at in zip(completions, user_after):
        ep.add_completion(Completion(text=chat.tokenizer.decode(ids, skip_special_tokens=True), token_ids=ids,
                                     logprobs=[-1.0] * len(ids)))
        ep.add_messages([msgs[at]])
    return ep


def canonical(chat: ChatTokenizer, action: str) -> list[int]:
    return chat.encode(action) + chat.end_of_turn_ids


def spans(mask: list[int]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, m in enumerate(mask + [0]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i))
            start = None
    return out


@pytest.fixture(params=["chatml", "llama3"])
def chat(request, tiny_chatml, tiny_llama3) -> ChatTokenizer:
    _, tokenizer = {"chatml": tiny_chatml, "llama3": tiny_llama3}[request.param]
    return ChatTokenizer(tokenizer)


def test_end_of_turn_is_found_from_the_template(tiny_chatml, tiny_llama3):
    chatml, llama3 = ChatTokenizer(tiny_chatml[1]), ChatTokenizer(tiny_llama3[1])
    assert chatml.end_of_turn == "<|im_end|>"
    assert chatml.end_of_turn_ids == [tiny_chatml[1].convert_tokens_to_ids("<|im_end|>")]
    assert llama3.end_of_turn == "<|eot_id|>"
    assert llama3.end_of_turn_ids == [tiny_llama3[1].convert_tokens_to_ids("<|eot_id|>")]


def test_start_ids_equal_apply_chat_template(chat):
    msgs = [m.to_dict() for m in conversation()[:2]]
    expected = chat.tokenizer.apply_chat_template(msgs, tokenize=True, add_generation_prompt=True)
    # transformers 5 returns a BatchEncoding here (transformers 4 returned a list).
    expected = expected["input_ids"] if hasattr(expected, "keys") else expected
    assert chat.start_ids(msgs) == list(expected)


def test_deltas_render_exactly_the_env_reply(tiny_chatml, tiny_llama3):
    chatml, llama3 = ChatTokenizer(tiny_chatml[1]), ChatTokenizer(tiny_llama3[1])
    reply = [Message("user", "Taken.")]
    # ChatML's newline after <|im_end|> belongs to the delta: the policy stops at <|im_end|> and never writes it.
    assert chatml.tokenizer.decode(chatml.delta_ids(reply)) == (
        "\n<|im_start|>user\nTaken.<|im_end|>\n<|im_start|>assistant\n")
    assert llama3.tokenizer.decode(llama3.delta_ids(reply)) == (
        "<|start_header_id|>user<|end_header_id|>\n\nTaken.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    # Several messages in one reply (a tool result then a user nudge) render in order.
    two = [Message("tool", "42"), Message("user", "Go on.")]
    assert chatml.tokenizer.decode(chatml.delta_ids(two)) == (
        "\n<|im_start|>tool\n42<|im_end|>\n<|im_start|>user\nGo on.<|im_end|>\n<|im_start|>assistant\n")
    with pytest.raises(ValueError, match="at least one new message"):
        chatml.delta_ids([])


@pytest.mark.parametrize("with_system", [True, False])
def test_delta_built_ids_equal_full_rerender(chat, with_system):
    # Prefix-stable templates: start + exact completions + deltas == one render of the whole conversation.
    # Without a system message the ChatML template inserts its default one at the start; deltas are unaffected.
    msgs = conversation(with_system)
    ep = play(chat, msgs, [canonical(chat, a) for a in ACTIONS])
    assert ep.ids == chat.start_ids(msgs)
    assert len(ep.ids) == len(ep.mask) == len(ep.logprobs)


def test_masked_spans_decode_to_the_actions(chat):
    ep = play(chat, conversation(), [canonical(chat, a) for a in ACTIONS])
    found = spans(ep.mask)
    assert [chat.tokenizer.decode(ep.ids[s:e], skip_special_tokens=True) for s, e in found] == ACTIONS
    assert all(ep.ids[e - 1] == chat.end_of_turn_ids[-1] for _, e in found)
    # Logprobs sit on the policy's tokens only.
    assert [lp for lp, m in zip(ep.logprobs, ep.mask) if m] == [-1.0] * sum(ep.mask)
    assert all(lp == 0.0 for lp, m in zip(ep.logprobs, ep.mask) if not m)


def test_truncated_completion_gets_end_of_turn_in_next_delta(chat):
    # The policy hit max tokens inside "take the red apple": its ids end without end-of-turn.
    cut = chat.encode(ACTIONS[0])[:3]
    truncated_text = chat.tokenizer.decode(cut)
    ep = EpisodeTokens(chat, conversation()[:2])
    ep.add_completion(Completion(text=truncated_text, token_ids=cut, logprobs=[-0.5] * 3, finish_reason="length"))
    delta = ep.add_messages([Message("user", OBSERVATIONS[1])])
    assert delta[: len(chat.end_of_turn_ids)] == chat.end_of_turn_ids
    assert ep.mask.count(1) == 3  # the closing end-of-turn is the env's (mask 0), not the policy's
    # The sequence is the same as a conversation whose assistant turn was the truncated text.
    msgs = conversation()[:2] + [Message("assistant", truncated_text), Message("user", OBSERVATIONS[1])]
    assert ep.ids == chat.start_ids(msgs)
    # A completion that did end its turn gets no extra end-of-turn.
    ep.add_completion(Completion(text=ACTIONS[1], token_ids=canonical(chat, ACTIONS[1])))
    assert ep.add_messages([Message("user", OBSERVATIONS[2])])[: len(chat.end_of_turn_ids)] != chat.end_of_turn_ids


def test_ids_keep_what_the_policy_wrote_when_the_template_trims(tiny_llama3):
    # Llama 3 trims message contents on render; the policy's ids keep its trailing space, so a re-render differs.
    chat = ChatTokenizer(tiny_llama3[1])
    msgs = conversation()
    actions = ["take the red apple ", "go north"]
    ep = play(chat, msgs, [canonical(chat, a) for a in actions])
    assert [chat.tokenizer.decode(ep.ids[s:e], skip_special_tokens=True) for s, e in spans(ep.mask)] == actions
    rerender = chat.start_ids(msgs[:2] + [Message("assistant", actions[0])] + msgs[3:])
    assert ep.ids != rerender
    assert "red apple <|eot_id|>" in chat.tokenizer.decode(ep.ids)
    assert "red apple<|eot_id|>" in chat.tokenizer.decode(rerender)


def test_qwen3_like_template_rewrites_history_but_ids_stay_what_the_policy_saw():
    from agentgym.tiny import build_tokenizer

    chat = ChatTokenizer(build_tokenizer("qwen3"))
    actions = ["<think>\nThe apple is food.\n</think>\n\ntake the red apple", "<think>\nNorth.\n</think>\n\ngo north"]
    msgs = conversation()
    # The stand-in renders with an empty <think> block alone but without it once a user message follows: the
    # rendering of the stand-in is not a text prefix of the full rendering, and the delta must still be exact.
    alone = chat.render([Message("user", "q"), Message("assistant", "a")], add_generation_prompt=False)
    followed = chat.render([Message("user", "q"), Message("assistant", "a"), Message("user", "r")],
                           add_generation_prompt=True)
    assert not followed.startswith(alone)
    assert chat.tokenizer.decode(chat.delta_ids([Message("user", "Taken.")])) == (
        "\n<|im_start|>user\nTaken.<|im_end|>\n<|im_start|>assistant\n")

    ep = EpisodeTokens(chat, msgs[:2])
    seen, produced = [], []
    for action, reply in zip(actions, [msgs[3], msgs[5]]):
        seen.append(list(ep.ids))  # what a policy would be given
        ids = canonical(chat, action)
        produced.append(ids)
        ep.add_completion(Completion(text=action, token_ids=ids))
        ep.add_messages([reply])
    for prompt, ids in zip(seen, produced):
        assert ep.ids[: len(prompt) + len(ids)] == prompt + ids
    assert [chat.tokenizer.decode(ep.ids[s:e], skip_special_tokens=True) for s, e in spans(ep.mask)] == actions
    # A full re-render drops the earlier <think> blocks, so it is not what the policy saw.
    full = chat.start_ids(msgs[:2] + [Message("assistant", actions[0]), msgs[3],
                                      Message("assistant", actions[1]), msgs[5]])
    assert ep.ids != full
    assert "The apple is food." not in chat.tokenizer.decode(full)


def test_delta_falls_back_to_tokenising_the_delta_text_when_the_cut_is_not_clean():
    # A plain-text template whose end-of-turn "</s>" is no special token: BPE merges it with the "<" that follows
    # ("></" is frequent in the corpus), so the rendering's tokens do not split at the cut.
    from agentgym.tiny import build_tokenizer

    tokenizer = build_tokenizer("chatml", corpus=["<user>hi</s><assistant>yo</s><user>ok</s>"] * 50)
    tokenizer.chat_template = ("{% for m in messages %}{{ '<' + m['role'] + '>' + m['content'] + '</s>' }}{% endfor %}"
                               "{% if add_generation_prompt %}{{ '<assistant>' }}{% endif %}")
    chat = ChatTokenizer(tokenizer, end_of_turn="</s>")
    text = chat.render([Message("user", "stand-in question"), Message("assistant", "stand-in answer"),
                        Message("user", "Taken.")], add_generation_prompt=True)
    cut = text.index("</s>", text.index("stand-in answer")) + len("</s>")
    head, full = chat.encode(text[:cut]), chat.encode(text)
    assert full[: len(head)] != head  # the clean slice is impossible here
    delta = chat.delta_ids([Message("user", "Taken.")])
    assert delta == chat.encode("<user>Taken.</s><assistant>")
    assert chat.tokenizer.decode(delta) == "<user>Taken.</s><assistant>"


def test_end_of_turn_not_found_names_the_fix():
    from agentgym.tiny import build_tokenizer

    tokenizer = build_tokenizer("chatml")
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endfor %}"
    with pytest.raises(ValueError, match="end_of_turn="):
        ChatTokenizer(tokenizer)
    tokenizer.chat_template = None
    with pytest.raises(ValueError, match="no chat_template"):
        ChatTokenizer(tokenizer)


def test_tokenize_trajectory_matches_full_render(chat):
    msgs = conversation()
    traj = Trajectory(env_id="agentgym/Test-v0", task_id="t0", messages=msgs,
                      turns=[Turn(index=i, observation=o, action=a) for i, (o, a) in
                             enumerate(zip(OBSERVATIONS, ACTIONS))])
    out = tokenize_trajectory(traj, chat.tokenizer)
    assert traj.turns[0].prompt_ids is None  # the input is not modified
    # The turns end with the last action; the env's final reply (no action follows it) is not part of any turn.
    assert out.token_ids() + chat.delta_ids([msgs[-1]]) == chat.start_ids(msgs)
    assert out.turns[0].prompt_ids == chat.start_ids(msgs[:2])
    assert out.turns[1].prompt_ids == chat.delta_ids([msgs[3]])
    assert [t.completion_ids for t in out.turns] == [canonical(chat, a) for a in ACTIONS]
    assert all(t.logprobs is None for t in out.turns)
    ids, mask = out.token_ids(), out.loss_mask()
    assert [chat.tokenizer.decode(ids[s:e], skip_special_tokens=True) for s, e in out.completion_spans()] == ACTIONS
    assert spans(mask) == out.completion_spans()

    traj.turns.append(Turn(index=2, observation="x", action="y"))
    with pytest.raises(ValueError, match="3 turns but 2 assistant messages"):
        tokenize_trajectory(traj, chat)


def test_window_messages_keeps_the_head_and_the_last_k_turns():
    from agentgym.chat import window_messages
    from agentgym.types import Message

    conv = [Message("system", "s"), Message("user", "task"), Message("assistant", "a0"), Message("user", "o1"),
            Message("assistant", "a1"), Message("user", "o2"), Message("assistant", "a2"), Message("user", "o3")]
    text = lambda ms: [m.text for m in ms]  # noqa: E731
    assert text(window_messages(conv, 2)) == ["s", "task", "a1", "o2", "a2", "o3"]
    assert text(window_messages(conv, 1)) == ["s", "task", "a2", "o3"]
    assert text(window_messages(conv, 0)) == ["s", "task", "o3"]
    assert text(window_messages(conv, 3)) == text(conv) == text(window_messages(conv, 10))
    assert text(window_messages(conv[:2], 0)) == ["s", "task"]
    with pytest.raises(ValueError, match="window_turns must be >= 0"):
        window_messages(conv, -1)


def test_window_messages_with_the_system_prompt_as_head_drops_the_first_screen():
    # head="system" (envs whose first observation is a screen, like MiniHack): the first observation is an ordinary
    # turn, so it leaves the window like the others; a past turn is an observation and the action taken on it.
    from agentgym.chat import window_messages
    from agentgym.types import Message

    conv = [Message("system", "s"), Message("user", "o0"), Message("assistant", "a0"), Message("user", "o1"),
            Message("assistant", "a1"), Message("user", "o2"), Message("assistant", "a2"), Message("user", "o3")]
    text = lambda ms: [m.text for m in ms]  # noqa: E731
    assert text(window_messages(conv, 0, head="system")) == ["s", "o3"]
    assert text(window_messages(conv, 1, head="system")) == ["s", "o2", "a2", "o3"]
    assert text(window_messages(conv, 2, head="system")) == ["s", "o1", "a1", "o2", "a2", "o3"]
    assert text(window_messages(conv, 3, head="system")) == text(conv)
    assert text(window_messages(conv[:2], 0, head="system")) == ["s", "o0"]  # the first turn sees the first screen
    assert text(window_messages(conv[1:], 0, head="system")) == ["o3"]  # no system prompt: nothing is kept
    with pytest.raises(ValueError, match="window head must be 'task' or 'system'"):
        window_messages(conv, 1, head="first")


def test_tokenize_trajectory_in_windowed_history(tiny_chatml):
    from agentgym.chat import ChatTokenizer, tokenize_trajectory, window_messages
    from agentgym.types import Message, Trajectory, Turn

    _model, tokenizer = tiny_chatml
    chat = ChatTokenizer(tokenizer)
    conv = [Message("system", "s"), Message("user", "task"), Message("assistant", "a0"), Message("user", "o1"),
            Message("assistant", "a1"), Message("user", "o2"), Message("assistant", "a2")]
    traj = Trajectory(env_id="e", task_id="t", messages=conv,
                      turns=[Turn(i, "o", f"a{i}") for i in range(3)])
    out = tokenize_trajectory(traj, tokenizer, history="window", window_turns=1)
    assert out.history == "window" and traj.history == "full"
    assert [t.prompt_ids for t in out.turns] == [chat.start_ids(window_messages(conv[:at], 1)) for at in (2, 4, 6)]
    assert out.turns[2].prompt_ids == chat.start_ids([conv[0], conv[1], conv[4], conv[5]])
    assert all(t.completion_ids == chat.encode(f"a{i}") + chat.end_of_turn_ids for i, t in enumerate(out.turns))
    full = tokenize_trajectory(traj, tokenizer)
    assert full.turns[1].prompt_ids == chat.delta_ids([conv[3]])  # full history: the reply as a delta
    with pytest.raises(ValueError, match="history must be"):
        tokenize_trajectory(traj, tokenizer, history="sliding")


def test_a_text_only_chat_refuses_images_by_saying_so():
    import numpy as np

    from agentgym.tiny import build_tokenizer
    from agentgym.types import Image, ImagePart, TextPart

    chat = ChatTokenizer(build_tokenizer())
    msgs = [Message("user", [ImagePart(Image(np.zeros((4, 4, 3), dtype=np.uint8))), TextPart("click the icon")])]
    with pytest.raises(ValueError, match=r"carries 1 image\(s\) but the policy's model is text-only"):
        chat.start_ids(msgs)
    assert chat.start_ids([Message("user", "click the icon")])  # text alone is fine
