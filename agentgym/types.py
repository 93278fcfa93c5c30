"""The shared vocabulary: observations, messages, completions, turns and trajectories.

Everything here is plain data (numpy at most, no torch) and round-trips through JSON lines without loss:
`write_jsonl` then `read_jsonl` gives equal objects, token ids, logprobs and images included. Text is full Unicode
everywhere (product titles, source code, game messages keep every character). Images (RGB arrays in observations)
are written as PNG files in an `images/` folder beside the JSONL file, named by the hash of their pixels, and
referenced by that relative path; reading the file back loads the same pixels.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

import numpy as np

Role = Literal["system", "user", "assistant", "tool"]

ErrorKind = Literal["env_error", "policy_error", "timeout", "context_limit", "parse_error"]

HistoryMode = Literal["full", "window"]
"""How a turn's prompt is built: the whole episode so far ("full") or a window of the last K turns ("window")."""

WindowHead = Literal["task", "system"]
"""What a windowed prompt always keeps before its last K turns: the system prompt and the first observation ("task",
for envs whose first observation states the task) or the system prompt alone ("system", for envs whose first
observation is only the first screen). An env declares it as its `window_head` attribute; "task" when absent."""

IMAGES_DIR = "images"
"""Folder, beside a trajectories JSONL file, that holds its observations' images as PNG files."""


# ---------------------------------------------------------------------------------------------------------------------
# Images and observations
# ---------------------------------------------------------------------------------------------------------------------
class Image:
    """One RGB image of an observation: pixels in memory (an H x W x 3 uint8 array), a PNG file, or both.

    Two images are equal when their pixels are (compared by `sha256`, a hash of shape and bytes), so trajectories
    compare, determinism checks and GiGPO's anchor states can key on images without holding the pixels.
    """

    __slots__ = ("_array", "path", "sha256")

    def __init__(self, array: np.ndarray | None = None, *, path: str | None = None, sha256: str | None = None):
        if array is None and path is None:
            raise ValueError("an Image needs its pixels (array) or the path of its PNG file, got neither")
        if array is not None:
            array = _as_rgb(array)
            sha256 = pixels_sha256(array)
        elif sha256 is None:
            raise ValueError(f"an Image read from {path!r} needs its sha256 (written beside the path)")
        self._array = array
        self.path = path
        self.sha256: str = sha256  # type: ignore[assignment]

    @property
    def array(self) -> np.ndarray:
        """The pixels, loaded from the PNG file on first use."""
        if self._array is None:
            self._array = read_png(self.path)  # type: ignore[arg-type]
            if pixels_sha256(self._array) != self.sha256:
                raise ValueError(f"image file {self.path!r} does not hold the pixels recorded for it "
                                 f"(sha256 {self.sha256[:12]}...); the file was changed or replaced")
        return self._array

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        where = f", path={self.path!r}" if self.path else ""
        return f"Image(sha256={self.sha256[:12]!r}{where})"

    def data_url(self) -> str:
        """The image as a base64 PNG data URL (what OpenAI-compatible servers and HTML pages take inline)."""
        return "data:image/png;base64," + base64.b64encode(png_bytes(self.array)).decode("ascii")

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the PNG's path when it has been saved, else the PNG itself (base64) so nothing is lost."""
        if self.path is not None:
            return {"sha256": self.sha256, "path": self.path}
        return {"sha256": self.sha256, "png_base64": base64.b64encode(png_bytes(self.array)).decode("ascii")}

    @classmethod
    def from_dict(cls, d: dict[str, Any], base_dir: str | None = None) -> Image:
        if "png_base64" in d:
            return cls(decode_png(base64.b64decode(d["png_base64"])))
        path = d["path"]
        if base_dir is not None and not os.path.isabs(path):
            path = os.path.join(base_dir, path)
        return cls(path=path, sha256=d["sha256"])


def _as_rgb(array: Any) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"images must be RGB arrays of shape (H, W, 3) and dtype uint8, got shape {a.shape} and "
                         f"dtype {a.dtype}")
    return np.ascontiguousarray(a)


def pixels_sha256(array: np.ndarray) -> str:
    """Hash of an image's shape and pixel bytes: equal pixels, equal hash."""
    h = hashlib.sha256(repr(tuple(array.shape)).encode())
    h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def _pil() -> Any:
    try:
        from PIL import Image as PILImage
    except ImportError as e:  # pillow is a core dependency; this only fires in a broken install
        raise ImportError("writing or reading observation images needs Pillow: `pip install pillow`") from e
    return PILImage


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    _pil().fromarray(array, mode="RGB").save(buf, format="PNG")
    return buf.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    with _pil().open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def read_png(path: str) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            return decode_png(f.read())
    except FileNotFoundError:
        raise FileNotFoundError(f"image file {path!r} is missing: it should sit in the {IMAGES_DIR}/ folder beside "
                                "the trajectories file that refers to it") from None


@dataclass
class TextPart:
    """Text inside a message made of several parts."""

    text: str
    type: Literal["text"] = "text"


@dataclass
class ImagePart:
    """An image inside a message made of several parts."""

    image: Image
    type: Literal["image"] = "image"


ContentPart = Union[TextPart, ImagePart]
Content = Union[str, list[ContentPart]]


@dataclass
class Observation:
    """What an env shows the agent: text, and for visual envs images. Envs return either a plain str or a dict
    {"text": str, "images": [RGB arrays]}; `Observation.parse` takes both."""

    text: str
    images: list[Image] = field(default_factory=list)

    @classmethod
    def parse(cls, obs: Any) -> Observation:
        """An env's observation as an Observation. Raises TypeError/ValueError naming what was wrong."""
        if isinstance(obs, Observation):
            return obs
        if isinstance(obs, str):
            return cls(obs)
        if isinstance(obs, dict) and "text" in obs:
            text = obs["text"]
            if not isinstance(text, str):
                raise TypeError(f"observation['text'] must be a str, got {type(text).__name__}")
            images = obs.get("images") or []
            if not isinstance(images, (list, tuple)):
                raise TypeError(f"observation['images'] must be a list of RGB arrays, got {type(images).__name__}")
            return cls(text, [im if isinstance(im, Image) else Image(im) for im in images])
        raise TypeError(f"observations must be text or a dict {{'text': str, 'images': [RGB arrays]}}, got "
                        f"{type(obs).__name__}")

    def content(self) -> Content:
        """Message content: the text alone when there is no image, else the images then the text as parts."""
        if not self.images:
            return self.text
        return [ImagePart(im) for im in self.images] + [TextPart(self.text)]

    def key(self) -> tuple[str, tuple[str, ...]]:
        """A hashable identity of the observation (text and image hashes): for anchor states and determinism."""
        return (self.text, tuple(im.sha256 for im in self.images))


# ---------------------------------------------------------------------------------------------------------------------
# Messages and completions
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class Message:
    """One chat message. `content` is text, or a list of parts (text and images) as multimodal chat templates and
    OpenAI-compatible servers take them."""

    role: Role
    content: Content

    @property
    def text(self) -> str:
        """The message's text (its text parts joined by newlines when it has several parts)."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> list[Image]:
        if isinstance(self.content, str):
            return []
        return [p.image for p in self.content if isinstance(p, ImagePart)]

    def to_dict(self) -> dict[str, Any]:
        """The form chat templates take: {"role", "content"} with content a str, or a list of {"type": "text",
        "text": ...} and {"type": "image"} parts (the pixels travel separately, as processors expect)."""
        if isinstance(self.content, str):
            return {"role": self.role, "content": self.content}
        return {"role": self.role, "content": [{"type": "text", "text": p.text} if isinstance(p, TextPart)
                                               else {"type": "image"} for p in self.content]}

    @classmethod
    def from_json_dict(cls, d: dict[str, Any], base_dir: str | None = None) -> Message:
        content = d["content"]
        if isinstance(content, list):
            content = [TextPart(p["text"]) if p["type"] == "text" else ImagePart(Image.from_dict(p["image"], base_dir))
                       for p in content]
        return cls(d["role"], content)


@dataclass
class Completion:
    """What a policy returned for one conversation.

    Token-level policies fill `token_ids` (the exact generated ids, end-of-turn token included when the model emitted
    it) and `logprobs` (one per id, under the sampling distribution). Message-level policies (an API model) leave them
    None unless the server returned them; when it does, the rollout keeps them on the Turn.
    """

    text: str
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    finish_reason: str | None = None
    """"stop" (end-of-turn emitted), "length" (max new tokens reached), or None when unknown."""


@dataclass
class TurnError:
    """A failure inside an episode, recorded instead of raised. The trainer decides to drop or penalise it."""

    kind: ErrorKind
    message: str
    traceback: str | None = None

    def headline(self, limit: int = 300) -> str:
        """The message's first line, cut to `limit` characters: what a summary or a report shows."""
        line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return line if len(line) <= limit else line[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------------------------------
# Turns and trajectories
# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class Turn:
    """One policy action and the environment's answer to it.

    The episode's token sequence is the concatenation over turns of `prompt_ids` (mask 0: the chat-template prefix on
    the first turn, the environment's reply as a delta afterwards) and `completion_ids` (mask 1: what the policy
    generated). That sequence is exactly what the policy saw and produced, with no re-tokenising. A message-level
    policy whose server returned token ids and logprobs leaves `prompt_ids` None and fills the other two.
    """

    index: int
    observation: str
    """The text the policy was shown before acting (the env's observation for this turn)."""
    action: str
    """The policy's raw text, as the environment received it."""
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    prompt_ids: list[int] | None = None
    completion_ids: list[int] | None = None
    logprobs: list[float] | None = None
    error: TurnError | None = None
    images: list[Image] = field(default_factory=list)
    """The images of the observation shown before acting (visual envs); empty for text envs."""

    def state_key(self) -> tuple[str, tuple[str, ...]]:
        """A hashable identity of the state the policy acted in: observation text and image hashes."""
        return (self.observation, tuple(im.sha256 for im in self.images))

    def to_dict(self, image_dir: str | None = None) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in ("index", "observation", "action", "reward", "terminated", "truncated",
                                           "info", "prompt_ids", "completion_ids", "logprobs")}
        d["error"] = asdict(self.error) if self.error is not None else None
        d["images"] = [_image_dict(im, image_dir) for im in self.images]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base_dir: str | None = None) -> Turn:
        d = dict(d)
        if d.get("error") is not None:
            d["error"] = TurnError(**d["error"])
        d["images"] = [Image.from_dict(im, base_dir) for im in d.get("images", [])]
        return cls(**d)


@dataclass
class TokenRow:
    """One training row of an episode: token ids with the loss mask and sampling logprobs in parallel, and where each
    of its turns' completions sits. A "full"-history episode is one row; a "window"-history episode has one per
    turn (trainers read both the same way)."""

    ids: list[int]
    mask: list[int]
    """1 on tokens the policy generated, 0 on prompt and environment tokens."""
    logprobs: list[float] | None
    """Sampling logprobs (0.0 on masked tokens); None when a turn of the row has none (oracle, scripted)."""
    spans: list[tuple[int, int]]
    """[start, end) of each completion in the row, parallel to `turns`."""
    turns: list[int]
    """Index (in Trajectory.turns) of each completion's turn."""
    ends_in_final_state: bool = False
    """True when the row ends with Trajectory.final_prompt_ids: the state after its last token is where a limit cut
    the episode."""

    @classmethod
    def of_turns(cls, turns: list[Turn], indices: list[int]) -> TokenRow:
        ids: list[int] = []
        mask: list[int] = []
        logprobs: list[float] | None = []
        spans = []
        for t in turns:
            prompt, completion = list(t.prompt_ids), list(t.completion_ids)  # type: ignore[arg-type]
            ids += prompt
            spans.append((len(ids), len(ids) + len(completion)))
            ids += completion
            mask += [0] * len(prompt) + [1] * len(completion)
            if logprobs is not None and t.logprobs is not None and len(t.logprobs) == len(completion):
                logprobs += [0.0] * len(prompt) + list(t.logprobs)
            else:
                logprobs = None
        return cls(ids=ids, mask=mask, logprobs=logprobs, spans=spans, turns=list(indices))

    def require_logprobs(self, task_id: str) -> None:
        if self.logprobs is None:
            raise ValueError(f"a turn of task {task_id!r} has no logprobs for its completion tokens (turns "
                             f"{self.turns}); it was not sampled by a token-level policy")


@dataclass
class Trajectory:
    """One episode: the task, the conversation, every turn, and how it ended."""

    env_id: str
    task_id: str
    seed: int | None = None
    group: int = 0
    """Index of the group (the same task played group_size times) this episode belongs to."""
    messages: list[Message] = field(default_factory=list)
    """The whole conversation: system prompt, observations (user, with their images) and actions (assistant)."""
    turns: list[Turn] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    success: bool = False
    error: TurnError | None = None
    """Set when the episode ended because the env or the policy failed; the failing turn carries it too."""
    answer: str | None = None
    """The task's ground-truth answer where it has one (information-gain credit reads it)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form, JSON-typed: seconds, final_observation (text), truncated_reason, turn_advantages, ..."""
    final_images: list[Image] = field(default_factory=list)
    """Images of the observation the episode ended on (its text is metadata["final_observation"])."""
    history: HistoryMode = "full"
    """How the turns' token ids are laid out. "full": one growing sequence; each turn's prompt_ids is the chat
    prefix (first turn) or the env's reply as a delta after the previous completion. "window": each turn's prompt_ids
    is the whole prompt that turn was generated from (system prompt, task and the last K turns, rendered afresh),
    so each turn is its own training row. `token_rows()` reads both."""
    final_prompt_ids: list[int] | None = None
    """Token-level policies, episodes cut by a limit (truncated, not terminated): the ids of the state the episode
    ended in, laid out as the next turn's prompt_ids would have been (a delta in "full" history, the whole windowed
    prompt in "window" history). The value of the state where a limit cut the episode is read after them (PPO's
    GAE bootstraps with it). None otherwise."""

    # -- derived views -------------------------------------------------------------------------------------------------
    @property
    def total_reward(self) -> float:
        return float(sum(t.reward for t in self.turns))

    @property
    def num_turns(self) -> int:
        return len(self.turns)

    @property
    def progress(self) -> float:
        """The env's own final measure of how far the task got, in [0, 1] (0 when no turn was played)."""
        return float(self.turns[-1].info.get("progress", 0.0)) if self.turns else 0.0

    @property
    def has_tokens(self) -> bool:
        return bool(self.turns) and all(t.prompt_ids is not None and t.completion_ids is not None for t in self.turns)

    def token_rows(self, *, with_final: bool = False) -> list[TokenRow]:
        """The episode's training rows: one for "full" history (the whole sequence), one per turn for "window".

        with_final: also lay out final_prompt_ids, when the episode has them (a limit cut it): appended to the last
        row in "full" history, as a row of their own (no policy token) in "window" history; that row's
        `ends_in_final_state` is True, and the state after its last token is the one the limit cut.
        """
        self._require_tokens()
        final = self.final_prompt_ids if with_final else None
        if self.history == "window":
            rows = [TokenRow.of_turns([t], [i]) for i, t in enumerate(self.turns)]
            if final is not None:
                rows.append(TokenRow(ids=list(final), mask=[0] * len(final), logprobs=[0.0] * len(final), spans=[],
                                     turns=[], ends_in_final_state=True))
            return rows
        row = TokenRow.of_turns(self.turns, list(range(len(self.turns))))
        if final is not None:
            row.ids += list(final)
            row.mask += [0] * len(final)
            if row.logprobs is not None:
                row.logprobs += [0.0] * len(final)
            row.ends_in_final_state = True
        return [row]

    def token_ids(self) -> list[int]:
        """The episode's full token sequence (prompt/env deltas and completions, in order); "full" history only."""
        return self._full_row().ids

    def loss_mask(self) -> list[int]:
        """1 on tokens the policy generated, 0 on prompt and environment tokens; parallel to token_ids()."""
        return self._full_row().mask

    def completion_spans(self) -> list[tuple[int, int]]:
        """[start, end) of each turn's completion tokens inside token_ids()."""
        return self._full_row().spans

    def old_logprobs(self) -> list[float]:
        """Sampling logprobs parallel to token_ids() (0.0 on masked tokens)."""
        row = self._full_row()
        row.require_logprobs(self.task_id)
        return row.logprobs  # type: ignore[return-value]

    def _full_row(self) -> TokenRow:
        if self.history != "full":
            raise ValueError(f"trajectory of task {self.task_id!r} has windowed history: its turns are separate token "
                             "rows, not one sequence; read them with token_rows()")
        return self.token_rows()[0]

    def _require_tokens(self) -> None:
        if not self.has_tokens:
            raise ValueError(
                f"trajectory of task {self.task_id!r} carries no token ids: it was played by a message-level policy "
                "(scripted, oracle, API). Build tokens with agentgym.chat.tokenize_trajectory(traj, tokenizer)."
            )

    # -- JSON ----------------------------------------------------------------------------------------------------------
    def to_dict(self, image_dir: str | None = None) -> dict[str, Any]:
        """JSON-typed form. image_dir: save images there as PNG files and refer to them by 'images/<hash>.png'
        (what write_jsonl does); without it an image keeps its path, or is embedded as base64 PNG."""
        d: dict[str, Any] = {f: getattr(self, f) for f in ("env_id", "task_id", "seed", "group", "terminated",
                                                           "truncated", "success", "answer", "metadata", "history",
                                                           "final_prompt_ids")}
        d["messages"] = [_message_dict(m, image_dir) for m in self.messages]
        d["turns"] = [t.to_dict(image_dir) for t in self.turns]
        d["error"] = asdict(self.error) if self.error is not None else None
        d["final_images"] = [_image_dict(im, image_dir) for im in self.final_images]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base_dir: str | None = None) -> Trajectory:
        """Inverse of to_dict; base_dir resolves relative image paths (the JSONL file's folder)."""
        d = dict(d)
        d["messages"] = [Message.from_json_dict(m, base_dir) for m in d.get("messages", [])]
        d["turns"] = [Turn.from_dict(t, base_dir) for t in d.get("turns", [])]
        if d.get("error") is not None:
            d["error"] = TurnError(**d["error"])
        d["final_images"] = [Image.from_dict(im, base_dir) for im in d.get("final_images", [])]
        return cls(**d)

    def to_json(self, image_dir: str | None = None) -> str:
        return json.dumps(self.to_dict(image_dir), ensure_ascii=False, default=_json_default)

    @classmethod
    def from_json(cls, line: str, base_dir: str | None = None) -> Trajectory:
        return cls.from_dict(json.loads(line), base_dir)


def _image_dict(im: Image, image_dir: str | None) -> dict[str, Any]:
    if image_dir is None:
        return im.to_dict()
    name = f"{im.sha256}.png"
    target = os.path.join(image_dir, name)
    if not os.path.exists(target):  # named by content: an image seen on many turns is written once
        os.makedirs(image_dir, exist_ok=True)
        tmp = target + ".tmp"
        with open(tmp, "wb") as f:
            f.write(png_bytes(im.array))
        os.replace(tmp, target)
    return {"sha256": im.sha256, "path": f"{IMAGES_DIR}/{name}"}


def _message_dict(m: Message, image_dir: str | None) -> dict[str, Any]:
    if isinstance(m.content, str):
        return {"role": m.role, "content": m.content}
    return {"role": m.role, "content": [{"type": "text", "text": p.text} if isinstance(p, TextPart)
                                       else {"type": "image", "image": _image_dict(p.image, image_dir)}
                                       for p in m.content]}


def _json_default(o: Any) -> Any:
    # numpy scalars and arrays sneak into info dicts; keep them as plain JSON values.
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"info value of type {type(o).__name__} is not JSON-serialisable: {o!r}")


def write_jsonl(path: str, trajectories: list[Trajectory]) -> None:
    """One trajectory per line; images go to an images/ folder beside the file as PNG files named by their hash."""
    image_dir = os.path.join(os.path.dirname(os.path.abspath(path)), IMAGES_DIR)
    with open(path, "w", encoding="utf-8") as f:
        for t in trajectories:
            f.write(t.to_json(image_dir) + "\n")


def read_jsonl(path: str) -> list[Trajectory]:
    base_dir = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        return [Trajectory.from_json(line, base_dir) for line in f if line.strip()]
