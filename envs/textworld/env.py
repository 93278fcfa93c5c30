"""agentgym/TextWorld-v0: Microsoft TextWorld games (made offline with textworld's generator), played as an AgentEnv."""

from __future__ import annotations

import os
import re
import warnings
from typing import Any

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task
from agentgym.envs.textworld.games import TEXTWORLD_LOCK, ensure_game, require_textworld, resolve_cache_dir
from agentgym.envs.textworld.tasks import build_suite

MAX_COMMAND_LENGTH = 180
"""Jericho truncates (with a warning) commands of 198 bytes or more; cut them here instead."""
BLOCKED_COMMANDS = frozenset({"quit", "q", "restart", "restore", "save", "undo", "oops", "script", "unscript",
                              "transcript", "again", "g"})
"""Interpreter meta-commands: they would end, rewind or replay the game behind the env's back."""
BLOCKED_FEEDBACK = "That command is not available here."
NO_RESPONSE = "Nothing happens."
"""Shown when the game answers with no text (the contract wants feedback on every step)."""

_PROMPT_LINE = re.compile(r"\n>[^\n]*\s*$")  # the trailing "> ... -= Room =-0/1" prompt and status line
_END_MENU = re.compile(r"\s*Would you like to RESTART, RESTORE a saved game, QUIT or UNDO[^\n]*")  # refused here
_COMMAND_SEPARATOR = re.compile(r"\.|\bthen\b", re.IGNORECASE)
_BANNER_LINE = re.compile(r"^[ _|\\/$<>]*[_|\\/$][ _|\\/$<>]*$")  # the ASCII-art title: lines of only $ _ | \ / < >


def clean_feedback(text: str) -> str:
    """The game's text without the title art, the prompt/status line, the end-of-game menu and blank-line runs."""
    text = _END_MENU.sub("", _PROMPT_LINE.sub("", text))
    lines = [line.rstrip() for line in text.split("\n") if not _BANNER_LINE.match(line)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitize_command(action: str) -> str:
    """One command: the first line, up to the first "." or "then", printable ASCII without backslashes, at most 180
    characters. The interpreter would run a second line or a chained command as extra turns behind the env's back."""
    first = action.strip().splitlines()[0] if action.strip() else ""
    # Backslashes go too: the interpreter (dumb-frotz) reads a line starting with "\\" as its own escape command.
    text = "".join(c for c in first if 32 <= ord(c) < 127 and c != "\\")
    # Inform chains commands with "." and "then" ("g.look" is "again", then "look"): keep the first one only.
    first_command = next((part for part in _COMMAND_SEPARATOR.split(text) if part.strip()), "")
    return first_command[:MAX_COMMAND_LENGTH].strip()


class TextWorldEnv(AgentEnv):
    """Microsoft TextWorld games: explore rooms, open containers, carry objects to complete a generated quest.

    Task:
        A game made by textworld's generator (`tw-make custom --world-size W --nb-objects N --quest-length L
        --seed S`) from the task's settings and seed; the quest is stated in the first observation. Suite
        "textworld" v1: train (1000 tasks, seeds 1-1000, easy/medium settings), heldout (6, new seeds, same
        settings), heldout_hard (3, 5 rooms, 10 objects, quests of 6 actions). Games are made on first use (~2 s
        each) and cached; `agentgym.envs.textworld.games.generate_games(tasks, workers=N)` pre-makes them.
    Observation:
        The game's text (the title art and the interpreter's prompt/status line removed). info carries
        admissible_actions (the game's admissible commands, sorted), score, max_score, objective, moves and
        quest_steps_left (length of the game's current winning policy).
    Actions:
        One TextWorld command per turn ("go north", "open chest", "take key from chest", "put mouse on shelf",
        "unlock door with key", ...). Only the first line is sent, stripped to printable ASCII and 180 characters.
        Interpreter meta-commands (quit, restart, undo, save, ...) are refused. info["valid_action"] is True when the
        command was among the admissible commands (case-insensitive); the game still answers any text (e.g.
        "That's not a verb I recognise."). Never raises on bad input.
    Reward:
        The change in the game's score (TextWorld quests score 1 point per completed quest by default).
        info["progress"] = score / max_score.
    Episode end:
        Terminated when the game is won (success=True) or lost (success=False). Truncated after `max_turns`
        (default 50).
    Arguments:
        max_turns (int, default 50), split ("train" | "heldout" | "heldout_hard"), render_mode (None | "ansi"),
        cache_dir (folder of made games; default $AGENTGYM_CACHE/textworld or ~/.cache/agentgym/textworld).
    Dependencies:
        Extra `textworld` (`pip install 'agentgym[textworld]'`, textworld >= 1.6; its bundled Inform 7 compiles the
        games). Importing this module does not need textworld; building the env does.
    Version history:
        v0: first version.
    """

    suite = build_suite()
    default_max_turns = 50

    def __init__(self, *, max_turns: int | None = None, split: str | None = None, render_mode: str | None = None,
                 cache_dir: str | os.PathLike[str] | None = None):
        textworld = require_textworld()
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.cache_dir = resolve_cache_dir(cache_dir)
        self._request_infos = textworld.EnvInfos(
            admissible_commands=True, won=True, lost=True, score=True, max_score=True, policy_commands=True,
            objective=True, moves=True, feedback=True)
        self._game: Any = None
        self._game_file: str | None = None
        self._state: Any = None

    @property
    def system_prompt(self) -> str:
        return ("You are playing a text adventure. Complete the quest stated at the start. Reply with exactly one "
                "command per turn, such as: go north, open chest, take key, take key from chest, put key on table, "
                "insert key into box, unlock door with key, examine box, inventory, look.")

    # -- AgentEnv hooks -------------------------------------------------------------------------------------------
    def _start(self, task: Task, rng: np.random.Generator) -> str:
        import textworld

        path = str(ensure_game(task, self.cache_dir))
        with TEXTWORLD_LOCK:  # textworld is not thread-safe (see games.TEXTWORLD_LOCK)
            if path != self._game_file:  # a reset on the same game reuses the loaded interpreter (fast)
                self.close()
                with warnings.catch_warnings():
                    # Jericho warns that it cannot track score/moves in TextWorld's .z8 games; the TWInform7 wrapper
                    # that textworld.start adds does that tracking, so the warning is noise here.
                    warnings.filterwarnings("ignore", message=".*is not fully supported.*")
                    self._game = textworld.start(path, request_infos=self._request_infos)
                self._game_file = path
            self._state = self._game.reset()
        return clean_feedback(self._state.feedback)

    def _act(self, action: str) -> StepOutcome:
        command = sanitize_command(action)
        before = self._state
        if not command or command.lower() in BLOCKED_COMMANDS:
            return StepOutcome("I beg your pardon?" if not command else BLOCKED_FEEDBACK, valid_action=False,
                               progress=self._score_fraction(before))
        valid = command.lower() in {c.lower() for c in before.admissible_commands or []}
        with TEXTWORLD_LOCK:
            self._state, _, done = self._game.step(command)
        state = self._state
        return StepOutcome(clean_feedback(state.feedback) or NO_RESPONSE, reward=float(state.score - before.score),
                           terminated=bool(state.won or state.lost or done), valid_action=valid,
                           success=bool(state.won), progress=self._score_fraction(state))

    def oracle_action(self) -> str:
        """The first command of the game's winning policy, which TextWorld recomputes from the current state after
        every command (so the oracle recovers after any detour). "look" if the game has no winning policy left."""
        if self._state is None:
            raise RuntimeError("call reset() before oracle_action()")
        policy = self._state.policy_commands or []
        return policy[0] if policy else "look"

    def _extra_info(self) -> dict[str, Any]:
        s = self._state
        if s is None:
            return {}
        return {"admissible_actions": sorted(s.admissible_commands or []), "score": int(s.score),
                "max_score": int(s.max_score), "objective": s.objective, "moves": int(s.moves or 0),
                "quest_steps_left": len(s.policy_commands or [])}

    def close(self) -> None:
        if self._game is not None:
            with TEXTWORLD_LOCK:
                self._game.close()
        self._game, self._game_file, self._state = None, None, None
        super().close()

    # -- helpers ------------------------------------------------------------------------------------------------
    @staticmethod
    def _score_fraction(state: Any) -> float:
        return float(state.score) / state.max_score if state.max_score else 0.0
