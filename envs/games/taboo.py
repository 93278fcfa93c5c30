"""Adversarial taboo (SPAG: Cheng et al. 2024): the attacker knows a hidden word and must make the defender say it
without saying it; the defender must infer the word and name it. Written here (PettingZoo has no word games)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from agentgym.core import Task, TaskSuite
from agentgym.multiagent import TextGame

GUESS = re.compile(r"i know the word!?\s*it is\s*[`'\"]?([a-z]+)", re.I)


@functools.lru_cache(maxsize=1)
def word_bank() -> dict[str, list[str]]:
    """Target word -> five clue words (none contains its target), envs/games/data/taboo_words.json."""
    return json.loads((Path(__file__).parent / "data" / "taboo_words.json").read_text())


def mentions(text: str, word: str) -> bool:
    """Whether `text` says `word` (whole word, case ignored, plural -s/-es too)."""
    return re.search(rf"\b{re.escape(word)}(s|es)?\b", text, re.I) is not None


@functools.lru_cache(maxsize=1)
def taboo_suite() -> TaskSuite:
    words = sorted(word_bank())
    heldout = words[::5]  # every fifth word (alphabetically) is never a training target
    train = [w for w in words if w not in heldout]
    splits = {name: [Task(id=f"taboo/{name}/{i:04d}", split=name, seed=i, params={"word": w}, answer=w,
                          family="taboo") for i, w in enumerate(ws)] for name, ws in (("train", train),
                                                                                      ("heldout", heldout))}
    return TaskSuite("taboo", "1", splits)


class TabooGame(TextGame):
    """Adversarial taboo for two LLM seats (multi-agent id agentgym/TabooMA-v0; the single-seat view
    agentgym/Taboo-v0 plays the defender against the scripted attacker).

    Task:
        The attacker (player_0) is told the target word; the defender (player_1) is not. They talk in turns,
        attacker first, for at most `rounds` (5) rounds each. The attacker loses if it says the word itself; it
        wins if the defender says the word in passing. The defender wins by saying "I know the word! It is
        <word>." with the right word, and loses on a wrong guess. Out of rounds: a draw. Targets come from a bank of
        60 words with five clue words each; every fifth word is held out.

    Observation:
        Text, per seat: the role, the target word for the attacker only, the conversation so far, rounds left.

    Actions:
        Any text (one utterance; only the first 300 characters count). An empty utterance is illegal.
        info["admissible_actions"] is a sample, not the whole space: the attacker's five clues, and for the
        defender "Tell me more." plus a guess of each of the 60 bank words.

    Reward:
        +1 to the winner, -1 to the loser, 0 each on a draw (SPAG's zero-sum outcome), at the end; 0 before.
        info["success"] = the seat won. info["answer"] is the target word (it is the ground truth a defender
        seeks; information-gain credit reads it).

    Episode end:
        Terminated when someone says the word or the defender guesses; or after the last round (draw);
        truncated after max_turns calls to step (30).

    Arguments:
        max_turns, split, render_mode, list_moves, forfeit_after (see TextGame).

    Dependencies:
        extra `multiagent` (pettingzoo for the AEC base class only).

    Departures from the original:
        SPAG plays with LLM referees and a 50k-word target list; here words are matched exactly (whole word,
        plural forms) against a small shipped bank so the outcome is decided by rule, not by a model.

    Version history:
        v0: first version (suite "taboo" v1).
    """

    metadata = {"render_modes": ["ansi"], "name": "agentgym_taboo_v0", "is_parallelizable": False}
    possible_agents = ["player_0", "player_1"]
    default_max_turns = 30
    seat_max_turns = 8
    rounds = 5

    @property
    def suite(self):  # type: ignore[override]
        return taboo_suite()

    def _start(self, task: Task, rng: np.random.Generator) -> None:
        self.word = str(task.params["word"])
        self.talk: list[tuple[str, str]] = []
        self.result: dict[str, float] | None = None
        self.reason = ""
        self._cands_key = None

    def _to_move(self) -> str:
        return self.possible_agents[len(self.talk) % 2]

    def legal_moves(self, agent: str) -> list[str]:
        # Free text: there is no finite list; the scripted player's utterance stands in as an example.
        if self.result is not None or len(self.talk) >= 2 * self.rounds or agent != self._to_move():
            return []
        if agent == "player_0":  # the clue giver: the clues of its word, in order
            return [f"Think of: {c}." for c in word_bank()[self.word]]
        return ["Tell me more."] + [f"I know the word! It is {w}." for w in sorted(word_bank())]

    def _parse(self, agent: str, text: str) -> tuple[Any, str]:
        said = " ".join(str(text).split())[:300]
        if not said:
            return None, "say something (one utterance)."
        return said, ""

    def _apply(self, agent: str, move: Any) -> str:
        said = str(move)
        self.talk.append((agent, said))
        attacker, defender = self.possible_agents
        if agent == attacker and mentions(said, self.word):
            self.result, self.reason = {attacker: -1.0, defender: 1.0}, "the attacker said the word"
        elif agent == defender:
            guess = GUESS.search(said)
            if guess:
                right = guess.group(1).lower().rstrip("s") == self.word.rstrip("s")
                self.result = {attacker: -1.0, defender: 1.0} if right else {attacker: 1.0, defender: -1.0}
                self.reason = f"the defender guessed {guess.group(1)!r}: {'right' if right else 'wrong'}"
            elif mentions(said, self.word):
                self.result, self.reason = {attacker: 1.0, defender: -1.0}, "the defender said the word"
        if self.result is None and len(self.talk) >= 2 * self.rounds:
            self.result, self.reason = {attacker: 0.0, defender: 0.0}, "out of rounds"
        return f"{agent}: {said}"

    def _view(self, agent: str) -> str:
        role = ("You are the attacker. The target word is "
                f"'{self.word}': make the defender say it, never say it yourself.") if agent == "player_0" else (
            "You are the defender. Find the attacker's hidden word and say 'I know the word! It is <word>.' "
            "Do not say the word by accident.")
        lines = [role] + [f"{a}: {t}" for a, t in self.talk[-8:]]
        lines.append(f"Rounds left: {self.rounds - len(self.talk) // 2}.")
        if self.result is not None:
            lines.append(f"The game ended: {self.reason}.")
        return "\n".join(lines)

    def _payoffs(self) -> dict[str, float] | None:
        return self.result

    def _candidates(self) -> list[str]:
        key = (self.word, len(self.talk))
        if getattr(self, "_cands_key", None) != key:  # recomputed only when the talk grows
            self._cands_key, self._cands = key, self._find_candidates()
        return self._cands

    def _find_candidates(self) -> list[str]:
        heard = set(re.findall(r"[a-z]+", " ".join(t for a, t in self.talk if a == "player_0").lower()))
        bank = word_bank()
        clues = {c for cs in bank.values() for c in cs if c in heard or c + "s" in heard or c + "es" in heard}
        return sorted(w for w, cs in bank.items() if clues <= set(cs)) if clues else sorted(bank)

    def scripted_action(self, agent: str, **params: Any) -> str:
        """Attacker: one clue word of the target per turn ("Think of: orchard."), never the word. Defender:
        narrows the bank to the words whose clues include every clue heard; guesses when one is left (or two on
        the last round), else asks for another clue with words from no bank entry."""
        if agent == "player_0":
            clues = word_bank()[self.word]
            k = len(self.talk) // 2
            return f"Think of: {clues[k % len(clues)]}."
        cands = self._candidates()
        last_round = len(self.talk) // 2 >= self.rounds - 1
        if len(cands) == 1 or (last_round and 1 <= len(cands) <= 2):
            return f"I know the word! It is {cands[0]}."
        return "Tell me more."

    def oracle_action(self, agent: str | None = None) -> str:
        """Privileged: the defender names the true word at once; the attacker plays the scripted clue giver."""
        agent = agent or self.agent_selection
        if agent == "player_1":
            return f"I know the word! It is {self.word}."
        return self.scripted_action(agent)

    def state_key(self) -> Any:
        return (len(self.talk), self.result)

    def system_prompt(self, agent: str) -> str:
        return ("You are playing adversarial taboo. The attacker knows a hidden word and tries to make the defender "
                "say it without saying it; the defender tries to name it with 'I know the word! It is <word>.' "
                "Reply with one short utterance.")
