"""Conversation <-> tokens, with the exact ids the policy saw and produced (DESIGN.md, "Tokens across turns").

An episode is one growing list of token ids:

    start_ids(system + first observation)      mask 0   the chat template with the generation prompt
    completion ids of turn 0                   mask 1   exactly what the policy generated, end-of-turn included
    delta_ids(observation 1)                   mask 0   the env's reply rendered as a token delta
    completion ids of turn 1                   mask 1
    ...

History is never re-rendered or re-tokenised, so templates that rewrite earlier turns (Qwen3 drops old <think>
blocks, Llama trims whitespace) cannot shift the tokens a trainer scores.

The delta (the "stand-in assistant" trick): render [stand-in user, stand-in assistant] + new messages with the
generation prompt, and keep everything after the stand-in assistant's end-of-turn token. Cutting right after the
end-of-turn token (not after the whole rendered stand-in) puts what the template writes between turns (ChatML's "\n"
after <|im_end|>) into the delta, since the policy stops generating at the end-of-turn token and never produces it.

Tokens of the delta come from tokenising the whole rendering and slicing off the stand-in prefix, which is what the
model would see in a full re-render. When that slice is not clean (the prefix's tokens are not a prefix of the full
rendering's tokens, e.g. a BPE merge across the cut), we tokenise the delta string on its own instead: still a
faithful rendering of the env's reply, only possibly tokenised differently from a full re-render at the seam.

Windowed history (`history="window"`, `window_turns=K`) is the other layout, for episodes longer than a context: each
turn's prompt is rendered afresh from the system prompt, the task (the first observation; left out for envs that
declare `window_head = "system"`, whose first observation is a screen) and the last K turns (see `window_messages`), and the policy generates from exactly those ids (WindowTokens). Each turn is then its own
training row (its prompt ids, mask 0, and its completion ids, mask 1), the step-wise layout of verl-agent's memory
and SkyRL. Older turns are re-rendered from their text in later prompts, which is what the policy saw there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from agentgym.types import Completion, HistoryMode, Message, Trajectory, WindowHead

# Words unlikely to interact with anything the template does around them (no whitespace at the ends, no markup).
_STAND_IN_USER = "stand-in question"
_STAND_IN_ASSISTANT = "stand-in answer"


def _as_dicts(messages: Sequence[Message | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [m.to_dict() if isinstance(m, Message) else dict(m) for m in messages]


def _images(messages: Sequence[Message | Mapping[str, Any]]) -> list[Any]:
    return [im for m in messages if isinstance(m, Message) for im in m.images]


class ChatTokenizer:
    """A transformers tokenizer with a chat template, seen as start ids, completions and env deltas.

    end_of_turn: the token that closes an assistant turn. Found from the template when None: the special token the
    template writes right after an assistant message's content (<|im_end|> for ChatML, <|eot_id|> for Llama 3).
    """

    def __init__(self, tokenizer: Any, *, end_of_turn: str | None = None, vision: Any = None):
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError(
                f"tokenizer {type(tokenizer).__name__} (name_or_path={getattr(tokenizer, 'name_or_path', None)!r}) "
                "has no chat_template; set tokenizer.chat_template to a Jinja template (see agentgym.tiny for examples)"
            )
        self.tokenizer = tokenizer
        self.vision = vision
        """agentgym.vision.ImageTokens for vision-language models: each image's placeholder token is expanded to the
        number of tokens the image takes. None: images are left as the template writes them."""
        eot = end_of_turn if end_of_turn is not None else self._find_end_of_turn()
        self.end_of_turn = eot
        self.end_of_turn_ids: list[int] = self.encode(eot)
        if not self.end_of_turn_ids:
            raise ValueError(f"end-of-turn string {eot!r} encodes to no tokens with this tokenizer")

    # -- rendering ---------------------------------------------------------------------------------------------------
    def render(self, messages: Sequence[Message | Mapping[str, Any]], *, add_generation_prompt: bool) -> str:
        """The chat template applied to `messages`, as text."""
        if self.vision is None and (n := len(_images(messages))):
            # A text model's template would fail on the image parts with a bare TypeError; say what is wrong.
            raise ValueError(f"the conversation carries {n} image(s) but the policy's model is text-only (no image "
                             "processor): use a vision-language model (a folder with preprocessor_config.json; "
                             "model.name = \"tiny-vl\" in a recipe) or the env's text-only observation mode")
        return self.tokenizer.apply_chat_template(
            _as_dicts(messages), tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def encode(self, text: str, images: Sequence[Any] = ()) -> list[int]:
        """Token ids of `text` with no BOS/EOS added (the template writes its own special tokens), like
        apply_chat_template(tokenize=True) does. With `vision` and images, each image token is first expanded."""
        if self.vision is not None and images:
            text = self.vision.expand(text, images)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def start_ids(self, messages: Sequence[Message | Mapping[str, Any]]) -> list[int]:
        """The template applied to `messages` with the generation prompt, as ids (the first turn's prompt)."""
        return self.encode(self.render(messages, add_generation_prompt=True), _images(messages))

    def delta_ids(self, new_messages: Sequence[Message | Mapping[str, Any]], *, completion_ended: bool = True) -> list[int]:
        """The env's reply as a token delta that follows an assistant turn's end-of-turn token.

        completion_ended=False (the policy hit its token limit before emitting end-of-turn) prepends end_of_turn_ids,
        so the sequence stays well-formed.
        """
        if not new_messages:
            raise ValueError("delta_ids needs at least one new message (the env's reply), got none")
        stand_in = [Message("user", _STAND_IN_USER), Message("assistant", _STAND_IN_ASSISTANT)]
        full_text = self.render(stand_in + list(new_messages), add_generation_prompt=True)
        cut = self._cut_after_stand_in(stand_in, full_text)
        images = _images(new_messages)  # the stand-in has none: every image token after the cut is theirs
        full_ids = self.encode(full_text, images)
        head_ids = self.encode(full_text[:cut])
        if full_ids[: len(head_ids)] == head_ids:
            delta = full_ids[len(head_ids):]
        else:
            # The tokens of the rendering do not split at the cut; tokenise the delta text alone (see module doc).
            delta = self.encode(full_text[cut:], images)
        return (list(self.end_of_turn_ids) if not completion_ended else []) + delta

    def ends_turn(self, token_ids: Sequence[int]) -> bool:
        """True when `token_ids` end with the end-of-turn token(s)."""
        n = len(self.end_of_turn_ids)
        return len(token_ids) >= n and list(token_ids[-n:]) == self.end_of_turn_ids

    # -- helpers -----------------------------------------------------------------------------------------------------
    def _cut_after_stand_in(self, stand_in: list[Message], full_text: str) -> int:
        """Character offset in `full_text` just after the stand-in assistant's end-of-turn string.

        Counted as the k-th end-of-turn in the full rendering, k being how many the stand-in rendering alone has:
        this holds even for templates that render the stand-in differently once a later message follows it (Qwen3
        adds an empty <think> block only to assistant messages after the last user message).
        """
        k = self.render(stand_in, add_generation_prompt=False).count(self.end_of_turn)
        pos = -1
        for _ in range(k):
            pos = full_text.find(self.end_of_turn, pos + 1)
            if pos < 0:
                raise ValueError(
                    f"chat template renders {k} end-of-turn strings {self.end_of_turn!r} for the stand-in turn but "
                    f"fewer once a new message follows; cannot cut the delta. Rendering: {full_text!r}"
                )
        return pos + len(self.end_of_turn)

    def _find_end_of_turn(self) -> str:
        text = self.render([Message("user", _STAND_IN_USER), Message("assistant", _STAND_IN_ASSISTANT)],
                           add_generation_prompt=False)
        after = text[text.rfind(_STAND_IN_ASSISTANT) + len(_STAND_IN_ASSISTANT):]
        specials = sorted({str(t) for t in self.tokenizer.all_special_tokens}
                          | {str(t) for t in getattr(self.tokenizer, "added_tokens_encoder", {})},
                          key=len, reverse=True)
        for token in specials:
            if token and after.startswith(token):
                return token
        raise ValueError(
            f"cannot tell the end-of-turn token of this chat template: after an assistant message it writes "
            f"{after!r}, which starts with no special token. Pass ChatTokenizer(tokenizer, end_of_turn='...')."
        )


class EpisodeTokens:
    """One episode's growing token sequence: ids, mask (1 = generated by the policy) and logprobs, in parallel."""

    def __init__(self, chat: ChatTokenizer, messages: Sequence[Message | Mapping[str, Any]]):
        self.chat = chat
        self.ids: list[int] = chat.start_ids(messages)
        self.mask: list[int] = [0] * len(self.ids)
        self.logprobs: list[float] = [0.0] * len(self.ids)
        self._turn_open = False
        """True after a completion that did not end with the end-of-turn token (cut by the token limit)."""

    def add_completion(self, completion: Completion) -> None:
        """Append the policy's exact ids (mask 1) and their logprobs (0.0 each when the policy gave none)."""
        if completion.token_ids is None:
            raise ValueError("EpisodeTokens.add_completion needs Completion.token_ids (a token-level policy); got None. "
                             "For text-only policies use agentgym.chat.tokenize_trajectory afterwards.")
        ids = list(completion.token_ids)
        lps = list(completion.logprobs) if completion.logprobs is not None else [0.0] * len(ids)
        if len(lps) != len(ids):
            raise ValueError(f"completion has {len(ids)} token ids but {len(lps)} logprobs; they must be parallel")
        self.ids += ids
        self.mask += [1] * len(ids)
        self.logprobs += lps
        self._turn_open = not self.chat.ends_turn(ids)

    def add_messages(self, messages: Sequence[Message | Mapping[str, Any]]) -> list[int]:
        """Append the env's reply as a delta (mask 0) and return the delta ids."""
        delta = self.chat.delta_ids(messages, completion_ended=not self._turn_open)
        self.ids += delta
        self.mask += [0] * len(delta)
        self.logprobs += [0.0] * len(delta)
        self._turn_open = False
        return delta


def window_messages(messages: Sequence[Message], window_turns: int, *, head: WindowHead = "task") -> list[Message]:
    """The messages a windowed-history turn is prompted with: the head of the conversation, then the last
    `window_turns` turns, ending with the current observation. With fewer turns played than the window, this is the
    whole conversation.

    head="task" (the default): the head is everything up to and including the first user message (the system prompt
    and the task), and a past turn is an assistant action with the env's reply to it; window_turns=0 keeps the head
    and the current observation only. head="system": the head is the leading system message(s) only, for envs whose
    first observation is a screen rather than a task statement (MiniHack states its goal in the system prompt, and a
    kept first screen would put a stale "stairs down east" next to the current one); a past turn is an observation
    with the action taken on it, and window_turns=0 keeps the system prompt and the current observation."""
    if window_turns < 0:
        raise ValueError(f"window_turns must be >= 0, got {window_turns}")
    if head not in ("task", "system"):
        raise ValueError(f"window head must be 'task' or 'system', got {head!r}")
    messages = list(messages)
    if head == "system":
        head_end = next((i for i, m in enumerate(messages) if m.role != "system"), len(messages))
    else:
        first_user = next((i for i, m in enumerate(messages) if m.role == "user"), None)
        if first_user is None:
            return messages
        head_end = first_user + 1
    kept_head, rest = messages[:head_end], messages[head_end:]
    actions = [i for i, m in enumerate(rest) if m.role == "assistant"]
    if len(actions) <= window_turns:
        return kept_head + rest
    if window_turns == 0:
        cut = actions[-1] + 1
    else:
        cut = actions[-window_turns]
        if head == "system":  # the turn starts at the observation the action answered
            while cut > 0 and rest[cut - 1].role == "user":
                cut -= 1
    return kept_head + rest[cut:]


class WindowTokens:
    """A windowed-history episode as a token-level policy sees it: `ids` is the current turn's whole prompt, rendered
    from window_messages(conversation, window_turns) with the generation prompt. Same interface as EpisodeTokens
    (ids, add_completion, add_messages), so the rollout drives both alike."""

    def __init__(self, chat: ChatTokenizer, messages: Sequence[Message], window_turns: int, *,
                 head: WindowHead = "task"):
        if window_turns < 0:
            raise ValueError(f"window_turns must be >= 0, got {window_turns}")
        self.chat = chat
        self.window_turns = window_turns
        self.head = head
        self.conversation: list[Message] = list(messages)
        self.ids: list[int] = chat.start_ids(self.messages)

    @property
    def messages(self) -> list[Message]:
        """The windowed messages the current prompt renders."""
        return window_messages(self.conversation, self.window_turns, head=self.head)

    def add_completion(self, completion: Completion) -> None:
        """The action joins the conversation as text; later windows render it afresh."""
        if completion.token_ids is None:
            raise ValueError("WindowTokens.add_completion needs Completion.token_ids (a token-level policy); got None")
        self.conversation.append(Message("assistant", completion.text))

    def add_messages(self, messages: Sequence[Message]) -> list[int]:
        """Add the env's reply and return the next turn's whole prompt (the new window)."""
        self.conversation += list(messages)
        self.ids = self.chat.start_ids(self.messages)
        return list(self.ids)


def episode_tokens(chat: ChatTokenizer, messages: Sequence[Message], *, history: HistoryMode = "full",
                   window_turns: int = 2, window_head: WindowHead = "task") -> EpisodeTokens | WindowTokens:
    """The token state of a new episode for `history` ("full": one growing sequence; "window": a fresh prompt of
    the last window_turns turns at every turn, after `window_head`; see window_messages)."""
    if history == "full":
        return EpisodeTokens(chat, messages)
    if history == "window":
        return WindowTokens(chat, messages, window_turns, head=window_head)
    raise ValueError(f"history must be 'full' or 'window', got {history!r}")


def tokenize_trajectory(traj: Trajectory, tokenizer: Any, *, history: HistoryMode = "full",
                        window_turns: int = 2) -> Trajectory:
    """A copy of a text-only trajectory (oracle, scripted, API) whose turns carry prompt_ids and completion_ids.

    Turn i's completion is the tokens of the i-th assistant message + end-of-turn. Its prompt is, in "full" history,
    the start ids (first turn) or the delta of the messages between the previous assistant message and this one; in
    "window" history, the whole windowed prompt (window_messages of the conversation before it, with the head the
    rollout recorded in traj.metadata["window_head"], "task" when absent). logprobs stay None
    (no policy distribution to report). `tokenizer` is a transformers tokenizer or a ChatTokenizer.
    """
    if history not in ("full", "window"):
        raise ValueError(f"history must be 'full' or 'window', got {history!r}")
    chat = tokenizer if isinstance(tokenizer, ChatTokenizer) else ChatTokenizer(tokenizer)
    assistant_at = [i for i, m in enumerate(traj.messages) if m.role == "assistant"]
    if len(assistant_at) != len(traj.turns):
        raise ValueError(
            f"trajectory of task {traj.task_id!r} has {len(traj.turns)} turns but {len(assistant_at)} assistant "
            "messages; tokenize_trajectory needs one assistant message (the action) per turn"
        )
    out = copy.deepcopy(traj)
    out.history = history
    out.final_prompt_ids = None
    previous_end = 0
    head = traj.metadata.get("window_head", "task")
    for turn, at in zip(out.turns, assistant_at):
        if history == "window":
            turn.prompt_ids = chat.start_ids(window_messages(traj.messages[:at], window_turns, head=head))
        else:
            context = traj.messages[previous_end:at]
            turn.prompt_ids = chat.start_ids(context) if previous_end == 0 else chat.delta_ids(context)
        turn.completion_ids = chat.encode(traj.messages[at].text) + list(chat.end_of_turn_ids)
        turn.logprobs = None
        previous_end = at + 1
    return out
