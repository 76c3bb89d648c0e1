"""Resolving a follow-up against the conversation, with no LLM.

"Where did he speak?" after "Who is Ashton Carter?" becomes "Where did Ashton Carter speak?":
a pronoun takes the most recent person named in the conversation; "What about Kerry?" re-asks
the previous question about someone else; a bare "Why?" borrows the previous question's topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.text import PLURAL_PRONOUNS, PRONOUNS, WH_WORDS, content_terms, names
from bot.types import Turn

_ELLIPSIS = re.compile(r"^(?:and|what about|how about|and what about)\s+(.+?)\??$", re.I)
_PRONOUN = re.compile(r"\b(" + "|".join([*PRONOUNS, *PLURAL_PRONOUNS]) + r")\b", re.I)


def resolve_followup(
    question: str, history: Sequence[Turn], is_person: Callable[[str], bool]
) -> str:
    """The question rewritten to stand alone; unchanged when it already does."""
    if not history:
        return question
    previous = history[-1].answer.resolved_question or history[-1].question
    elliptical = _ELLIPSIS.match(question)
    if elliptical:
        return _swap_subject(previous, elliptical.group(1), is_person)
    antecedent = _antecedent(history, is_person)
    if antecedent and _PRONOUN.search(question) and not _names_person(question, is_person):
        return _PRONOUN.sub(lambda m: _replace(m.group(1), antecedent), question, count=1)
    if not [t for t in content_terms(question) if t not in WH_WORDS]:
        return f"{question} {previous}"
    return question


def _replace(pronoun: str, antecedent: str) -> str:
    suffix = {**PRONOUNS, **PLURAL_PRONOUNS}.get(pronoun.lower(), "")
    return antecedent + suffix


def _names_person(question: str, is_person: Callable[[str], bool]) -> bool:
    return any(is_person(name) for name in names(question))


def _antecedent(history: Sequence[Turn], is_person: Callable[[str], bool]) -> str:
    """The last person named: in the newest question first, then in its answer."""
    for turn in reversed(history):
        asked = turn.answer.resolved_question or turn.question
        people = [n for n in names(asked) if is_person(n)]
        if people:
            return people[0]
        for citation in turn.answer.citations:
            people = [n for n in names(citation.text) if is_person(n) and n not in asked]
            if people:
                return people[0]
    return ""


def _swap_subject(previous: str, subject: str, is_person: Callable[[str], bool]) -> str:
    subject = subject.strip().rstrip("?")
    old = [n for n in names(previous) if is_person(n)] or names(previous)
    if old:
        return previous.replace(old[0], subject, 1)
    return f"{previous} {subject}"
