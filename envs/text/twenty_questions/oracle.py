"""The twenty-questions expert: ask the question that splits the remaining candidates most evenly, then guess.

Candidates are the objects of the table consistent with every answer so far (the env keeps them). With one or two
left it guesses (the first, in table order); otherwise it asks the canonical question, category or attribute, whose
yes/no split of the candidates is most balanced (ties: the first in canonical order). Over the shipped table it
needs at most 12 turns (questions and the final guess) for any object (checked by the tests).
"""

from __future__ import annotations

from collections.abc import Sequence

from agentgym.envs.text.twenty_questions.questions import (
    CANONICAL_ATTRIBUTE_QUESTIONS, ObjectTable, Query, canonical_category_question, parse_question,
)


def canonical_questions(table: ObjectTable) -> list[tuple[str, Query]]:
    """Every canonical question with its parsed query, in a fixed order: categories, then attributes."""
    texts = [canonical_category_question(c) for c in table.category_names]
    texts += [CANONICAL_ATTRIBUTE_QUESTIONS[a] for a in table.attributes]
    out = []
    for text in texts:
        q = parse_question(text)
        assert q is not None, f"canonical question {text!r} does not parse"
        out.append((text, q))
    return out


def guess_text(table: ObjectTable, obj: int) -> str:
    name = table.names[obj]
    article = "an" if name[0] in "aeiou" else "a"
    return f"Is it {article} {name}?"


def answer_masks(table: ObjectTable, questions: list[tuple[str, Query]]) -> list[tuple[str, int]]:
    """Per question, the set of objects it answers "yes" for, as a bitmask (bit o = object o)."""
    return [(text, sum(1 << o for o in range(len(table.names)) if q.answer(table, o))) for text, q in questions]


def best_question(table: ObjectTable, candidates: Sequence[int], masks: list[tuple[str, int]]) -> str:
    if len(candidates) <= 2:
        return guess_text(table, candidates[0])
    cand = sum(1 << o for o in candidates)
    best_text, best_score = None, 0
    for text, mask in masks:
        yes = (mask & cand).bit_count()
        score = min(yes, len(candidates) - yes)
        if score > best_score:
            best_text, best_score = text, score
    return best_text if best_text is not None else guess_text(table, candidates[0])
