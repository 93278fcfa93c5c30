"""agentgym/TwentyQuestions-v0: ask yes/no questions about a hidden object, then guess it (LMRL-Gym's game)."""

from __future__ import annotations

from typing import Any

import numpy as np

from agentgym.core import AgentEnv, StepOutcome, Task
from agentgym.envs.text.twenty_questions import tasks as tq_tasks
from agentgym.envs.text.twenty_questions.oracle import (
    answer_masks, best_question, canonical_questions, guess_text,
)
from agentgym.envs.text.twenty_questions.questions import load_table, parse_question

INVALID_FEEDBACK = ("I can only answer yes/no questions about the object's kind and properties (\"Is it an animal?\", "
                    "\"Is it bigger than a breadbox?\", \"Can you eat it?\", \"Is it a kind of fruit?\") or a guess "
                    "(\"Is it a banana?\" or \"guess: banana\").")


class TwentyQuestionsEnv(AgentEnv):
    """Twenty questions: the env hides an object; the agent asks yes/no questions, then guesses it.

    Task:
        Find the hidden object (Task.answer, also info["answer"]) among the objects of data/objects.json (195
        objects in 19 categories, 51 boolean attributes). One task per object; held-out objects never appear in
        training.

    Observation:
        Text. On reset the rules ("I am thinking of an object ... You have 20 questions."). After each question the
        rule-based answer and the questions left: "Yes. (17 questions left)" / "No. (17 questions left)"; after a
        wrong guess "No, it is not a banana. (16 questions left)"; after the right one "Yes! It is a banana.".
        info["admissible_actions"] lists the canonical questions (one per category and attribute) and a guess of
        every object, sorted; info["candidates"] counts the objects still consistent with every answer.

    Actions:
        One yes/no question per turn. Understood: category questions ("Is it a kind of fruit?", "Is it a mammal?"),
        attribute questions in several phrasings ("Is it alive?", "Can you eat it?", "Is it bigger than a breadbox?",
        "Is it small?", "Is it made of metal?", "Does it have wheels?", ...), combinations with "and" (implicit:
        "Is it a living plant?") or "or" ("Is it a fruit or a vegetable?"), negation ("Is it not an animal?"), and
        guesses ("Is it a banana?", "guess: banana", "My guess is banana"; aliases and plurals count). A question the
        answerer cannot read gets "I can only answer yes/no questions about ..." and info["valid_action"] = False.

    Reward:
        As in LMRL-Gym's twenty questions: -1 for every turn (question, guess, or unreadable question), 0 for the
        turn that guesses the object. A wrong guess is answered "No" and the game goes on (LMRL-Gym ends only on the
        right guess or after the last question). Return = -(questions asked before the right guess), in [-20, 0].

    Episode end:
        Terminated on the right guess (info["success"] = True). Truncated after 20 questions (max_turns).
        info["progress"] = fraction of the wrong objects already ruled out by the answers:
        (N - candidates) / (N - 1) with N objects in the table; 1.0 once the object is guessed.

    Arguments:
        max_turns: the question budget (default 20).
        split: default split ("train"; also "heldout").

    Dependencies:
        None beyond the core (the object table ships as JSON).

    Version history:
        v0: first version (suite "twenty_questions" v1: 157 train objects, 38 held-out objects).
    """

    suite = tq_tasks.SUITE
    default_max_turns = 20

    def __init__(self, *, max_turns: int | None = None, split: str | None = None, render_mode: str | None = None):
        super().__init__(max_turns=max_turns, split=split, render_mode=render_mode)
        self.table = load_table()
        self._questions = canonical_questions(self.table)
        self._masks = answer_masks(self.table, self._questions)
        self._admissible = sorted({t for t, _ in self._questions}
                                  | {guess_text(self.table, o) for o in range(len(self.table.names))})
        self.hidden: int = -1
        self.candidates: list[int] = []

    def _start(self, task: Task, rng: np.random.Generator) -> str:
        name = task.params.get("object", task.answer)
        if name not in self.table.names:
            raise ValueError(f"task {task.id!r}: object {name!r} is not in the table {tq_tasks.SUITE_NAME} "
                             f"(data/objects.json); use one of its {len(self.table.names)} names")
        self.hidden = self.table.names.index(name)
        self.candidates = list(range(len(self.table.names)))
        return (f"I am thinking of an object. Ask me yes/no questions about it, then guess it (\"Is it a banana?\"). "
                f"You have {self.max_turns} questions.")

    def _act(self, action: str) -> StepOutcome:
        left = self.max_turns - self.turn - 1  # questions left after this one
        tail = f" ({left} question{'s' if left != 1 else ''} left)"
        q = parse_question(action)
        if q is None:
            return self._outcome(INVALID_FEEDBACK + tail, reward=-1.0, valid=False)
        yes = q.answer(self.table, self.hidden)
        if q.guess is not None and yes:
            self.candidates = [self.hidden]
            return self._outcome(f"Yes! It is {self._with_article(self.hidden)}.", reward=0.0, success=True)
        self.candidates = [o for o in self.candidates if q.answer(self.table, o) == yes]
        if q.guess is not None or q.unknown_guess is not None:
            what = self._with_article(q.guess) if q.guess is not None else f"a {q.unknown_guess}"
            return self._outcome(f"No, it is not {what}.{tail}", reward=-1.0)
        return self._outcome(("Yes." if yes else "No.") + tail, reward=-1.0)

    def oracle_action(self) -> str:
        if self.hidden < 0:
            raise RuntimeError("call reset() before oracle_action()")
        return best_question(self.table, self.candidates, self._masks)

    def _extra_info(self) -> dict[str, Any]:
        return {"admissible_actions": list(self._admissible), "candidates": len(self.candidates)}

    @property
    def system_prompt(self) -> str:
        return ("We are playing twenty questions. I am thinking of an object. Ask one yes/no question per turn about "
                "its kind or properties (\"Is it an animal?\", \"Is it bigger than a breadbox?\"), and when you know "
                "it, guess it (\"Is it a banana?\"). Every question costs a point; find it in as few as you can.")

    # -- helpers ------------------------------------------------------------------------------------------------------
    def _with_article(self, obj: int) -> str:
        name = self.table.names[obj]
        return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"

    def _outcome(self, text: str, *, reward: float, valid: bool = True, success: bool = False) -> StepOutcome:
        n = len(self.table.names)
        progress = 1.0 if success else (n - len(self.candidates)) / (n - 1)
        return StepOutcome(observation=text, reward=reward, terminated=success, valid_action=valid, success=success,
                           progress=progress)
