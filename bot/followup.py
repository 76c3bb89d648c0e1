"""Resolving a follow-up against the conversation, with no LLM.

- "Where did he speak?" after "Who is Ashton Carter?" becomes "Where did Ashton Carter
  speak?": he, his, she, her take the most recent person named in the conversation.
- "What about Facebook?", "And his wife?", "And third?" re-ask the previous question about
  something else: the name (or ordinal, or phrase of the same shape) it stands for is swapped.
- A follow-up with nothing to stand on ("Why?", "When?", "Which floor?") or leaning on a thing
  ("When does it launch?") carries the previous question along, after its own words.
- "What did he say next?" and "Who else ...?" ask past the previous answer (see `moves_on`);
  a bare "Why?", "When?", "Where?" or "How old was he?" is first asked of the previous
  answer's own sentence (see `bare_ask`), which often holds the reason, date, place or age.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.text import (
    PRONOUNS,
    STOPWORDS,
    WH_WORDS,
    content_terms,
    looks_like_organisation,
    names,
    stem,
)
from bot.types import Citation, Turn

_ELLIPSIS = re.compile(r"^(?:and|what about|how about|and what about|what of)\s+(.+?)\s*\??$", re.I)
_PERSON_PRONOUN = re.compile(r"\b(" + "|".join(PRONOUNS) + r")\b", re.I)
_THING_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|there|that|this|those|these)\b", re.I)
_ORDINAL = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)\b", re.I
)
_NEXT = re.compile(r"\b(?:next|then|afterwards?|after that|later|else|other)\b", re.I)
# "What did he say next?", "What happened then?": the text that follows the answer.
_CONTINUES = re.compile(
    r"\b(?:say|said|add|added|tell|told|happen|happened|write|wrote|do|did|go|went)\b.*"
    r"\b(?:next|then|after that|afterwards)\b",
    re.I,
)
# "Why?", "When?", "Where?" alone, after an answer: first of all, about that answer's sentence.
_BARE_ASK = re.compile(
    r"^\s*(?:and\s+|but\s+|so\s+)?(why|how come|when|where)(?:\s+(?:so|not|exactly))?\s*\??\s*$",
    re.I,
)
# "How old was he?" right after an answer that gives his age ("22-year-old George Washington"):
# his age then, in that sentence, before any other age the article gives him
_BARE_AGE = re.compile(
    r"^\s*(?:and\s+|so\s+)?how old (?:was|is|were|are) (?:he|she|they)"
    r"(?:\s+(?:then|at the time|at that time))?\s*\??\s*$",
    re.I,
)
# a sentence that gives a reason: "failed because of a typhoon", "to encourage it to ..."
_REASON = re.compile(
    r"\b(?:because|due to|owing to|as a result of|in order to|so as to|so that|thanks to|"
    r"caused by|for fear|the reason|reasons? for (?:this|that)|since (?!\d)|in protest)\b",
    re.I,
)
# "And which one to heat?", "So when?": a question that opens by joining on leans on the last.
_JOINED_ON = re.compile(r"^\s*(?:and|but|so|then)\b", re.I)
# "Which floor?", "What year?", "By what margin?", "On what grounds?": a wh-word and one noun
# (after a preposition, or not) name no subject of their own.
_WH_AND_NOUN = re.compile(
    r"^\s*(?:(?:by|on|in|at|for|from|to|over|under|with|since|until|during|after|before)\s+)?"
    r"(?:which|what|whose)\s+[a-z][\w\-]*\s*\??\s*$",
    re.I,
)
_SHORT_SUBJECT = 6  # words; a longer "and ..." is a question of its own
# "Who replaced Park?": the next "he" is the one who did, named in the answer; but after
# "Who is Nathan Law?" he is Nathan Law.
# (the capital is matched case-sensitively: "Who was the US envoy?" asks who, like "Who
# replaced Park?")
_ASKS_WHO = re.compile(
    r"^\s*(?:who|whom)\b(?!\s+(?:is|was|are|were)\s+(?-i:[A-Z])[^?]*\??\s*$)", re.I
)
# "Fort William Henry", "Vistula River", "August": places, buildings and times are not a "he"
_NOT_A_PERSON = re.compile(
    r"\b(?:Fort|River|Lake|Mount|Mountains?|Island|Islands|Sea|Ocean|Bay|Gulf|Strait|"
    r"Peninsula|Valley|Desert|Street|Avenue|Square|Park|Bridge|Castle|Palace|Cathedral|"
    r"Church|Station|Airport|Port|Province|County|City|Kingdom|Empire|Republic|Dynasty)\b|"
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$"
)
_GENDER = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she", "hers": "she"}
_NEXT_WORD = re.compile(r"\s+([A-Za-z][\w\-]*)")
_WHO = re.compile(r"^\s*(?:who|whom)\b", re.I)
_ASKS_WHICH = re.compile(r"^\s*(?:which|what)\s+([a-z][\w\-]*)", re.I)
_IT = re.compile(r"\b(?:it|its)\b", re.I)


def resolve_followup(
    question: str,
    history: Sequence[Turn],
    is_person: Callable[[str], bool],
    pronoun_of: Callable[[str], str] = lambda name: "",
    short_name: Callable[[str], str] = lambda name: name,
) -> str:
    """The question rewritten to stand alone; unchanged when it already does. `pronoun_of`
    says whether the text calls a person "he" or "she" ("" when it does not say)."""
    if not history:
        return question
    previous = history[-1].answer.resolved_question or history[-1].question
    subject = _elliptical_subject(question)
    people = _People(is_person, pronoun_of, short_name)
    if subject:
        return _people(_swap_subject(previous, subject, is_person), history, people)
    resolved = _people(_answered_thing(question, history), history, people)
    if _stands_alone(resolved, is_person):
        return resolved
    return f"{resolved} {previous}"


def moves_on(question: str) -> bool:
    """Whether the follow-up asks past the previous answer ("next", "else", "afterwards", a
    bare "why?")."""
    # a bare "why?" whose answer's sentence gives no reason: the reason lies elsewhere
    return _NEXT.search(question) is not None or bare_ask(question) == "reason"


def bare_ask(question: str) -> str:
    """What a bare "Why?", "When?", "Where?" or "How old was he?" asks for ('reason', 'date',
    'place', 'age'), or ''."""
    if _BARE_AGE.match(question):
        return "age"
    match = _BARE_ASK.match(question)
    if match is None:
        return ""
    word = match.group(1).lower()
    return {"when": "date", "where": "place"}.get(word, "reason")


def gives_reason(text: str) -> bool:
    return _REASON.search(text) is not None


def continues(question: str) -> bool:
    """Whether the follow-up asks for what the article says right after the last answer."""
    return _CONTINUES.search(question) is not None


def swapped_subject(question: str) -> str:
    """What "What about Facebook?" asks about instead ('Facebook'); '' for other questions.
    The previous answer, which did not mention it, is then no answer."""
    return _elliptical_subject(question)


def _elliptical_subject(question: str) -> str:
    """'And his wife?' -> 'his wife'; '' when the question is not elliptical."""
    match = _ELLIPSIS.match(question.strip())
    if not match:
        return ""
    subject = match.group(1).strip(" ,")
    words = subject.split()
    if len(words) > _SHORT_SUBJECT or any(w.lower().strip(",") in WH_WORDS for w in words):
        return ""
    return subject


def _answered_thing(question: str, history: Sequence[Turn]) -> str:
    """ "When was it lost?" after "Which shuttle flew the first mission?": "it" is the
    shuttle the answer names ("Space Shuttle Columbia"), a name holding the noun asked for."""
    last = history[-1]
    asked = _ASKS_WHICH.match(last.answer.resolved_question or last.question)
    if asked is None or not last.answer.answered or not _IT.search(question):
        return question
    thing = _name_holding(stem(asked.group(1)), last.answer.citations)
    if not thing:
        return question
    return _IT.sub(lambda it: thing + ("'s" if it.group(0).lower() == "its" else ""), question, 1)


def _name_holding(noun: str, citations: Sequence[Citation]) -> str:
    """The first name of two words or more in the citations that holds `noun`."""
    for citation in citations:
        for name in names(citation.text):
            parts = name.split()
            if len(parts) > 1 and noun in {stem(part) for part in parts}:
                return name
    return ""


def _stands_alone(question: str, is_person: Callable[[str], bool]) -> bool:
    """It names what it asks about: content words beyond its wh-word, and no pronoun for a
    thing or person from earlier in the conversation, and no opening "and"."""
    if not [t for t in content_terms(question) if t not in WH_WORDS]:
        return False
    if _JOINED_ON.match(question) or _WH_AND_NOUN.match(question):
        return False
    if _names_person(question, is_person):
        return True
    return _THING_PRONOUN.search(question) is None and _PERSON_PRONOUN.search(question) is None


@dataclass(frozen=True)
class _People:
    """What the text says of a name: is it a person it quotes, is it a he or a she."""

    is_person: Callable[[str], bool]
    pronoun_of: Callable[[str], str]
    short_name: Callable[[str], str]

    def fitting(self, pronoun: str) -> Callable[[str], bool]:
        """A person `pronoun` may stand for: "she" is never a man the text calls "he"."""
        wanted = _GENDER.get(pronoun.lower(), "")
        return lambda name: not wanted or self.pronoun_of(name) in ("", wanted)


def _people(question: str, history: Sequence[Turn], people: _People) -> str:
    """He, his, she, her replaced by the person they stand for, when there is one. A
    person the question names before the pronoun is who it stands for ("Did Carter say
    he would resign?"); one named after it is someone else ("What had he promised
    Montalvo?"), and "he" is the person of the conversation."""
    is_person = people.is_person
    pronoun = _PERSON_PRONOUN.search(question)
    if pronoun is None or _names_person(question[: pronoun.start()], is_person):
        return question
    antecedent = _antecedent(history, is_person, people.fitting(pronoun.group(1)))
    if not antecedent or antecedent in question:
        return question
    called = people.short_name(antecedent)
    return _PERSON_PRONOUN.sub(lambda m: called + _case(m), question, count=1)


def _case(match: re.Match[str]) -> str:
    """The ending a name takes for the pronoun: "his" is "'s"; "her" only before a noun
    ("her husband"), not at the end or before a little word ("in love with her?")."""
    pronoun = match.group(1).lower()
    if pronoun == "her":
        following = _NEXT_WORD.match(match.string, match.end())
        if following is None or following.group(1).lower() in STOPWORDS:
            return ""
    return PRONOUNS[pronoun]


def _names_person(question: str, is_person: Callable[[str], bool]) -> bool:
    return bool(_person_like(names(question), is_person))


def _antecedent(
    history: Sequence[Turn], is_person: Callable[[str], bool], fits: Callable[[str], bool]
) -> str:
    """The last person named who `fits` the pronoun: in the newest question first (unless it
    asked "who"), then in its answer."""
    for turn in reversed(history):
        asked = turn.answer.resolved_question or turn.question
        asks_who = _ASKS_WHO.match(asked) is not None
        # "Who was Sawa?": one word will do, the question itself says Sawa is someone
        about_someone = not asks_who and _WHO.match(asked) is not None
        in_question = _person_like(_fitting(names(asked), fits), is_person, single=about_someone)
        if in_question and not asks_who:
            return in_question
        for citation in turn.answer.citations:
            named = [n for n in names(citation.text) if n not in asked]
            in_answer = _person_like(_fitting(named, fits), is_person)
            if in_answer:
                return in_answer
        if in_question:
            return in_question
    newest = history[-1].answer.resolved_question or history[-1].question
    return _person_like(_fitting(names(newest), fits), is_person, single=True)


def _fitting(candidates: list[str], fits: Callable[[str], bool]) -> list[str]:
    return [n for n in candidates if fits(n)]


def _person_like(
    candidates: list[str], is_person: Callable[[str], bool], single: bool = False
) -> str:
    """A name the article quotes as a person, else the first full name that is not an
    organisation's ("Nathan Law"): news names many people it never quotes. With `single`,
    a lone name will do ("Gloria"): a question's own subject, when nothing better is there."""
    quoted = [n for n in candidates if is_person(n)]
    if quoted:
        return quoted[0]
    people = [
        n for n in candidates if not looks_like_organisation(n) and not _NOT_A_PERSON.search(n)
    ]
    full = [n for n in people if len(n.split()) >= 2]
    if full:
        return full[0]
    return people[0] if single and people else ""


def _swap_subject(previous: str, subject: str, is_person: Callable[[str], bool]) -> str:
    """The previous question about `subject` instead: a phrase of the same shape, an
    ordinal, or a name of the same kind (person for person) is replaced."""
    shaped = _same_shape(previous, subject)
    if shaped:
        return shaped
    ordinal = _ORDINAL.search(subject)
    if ordinal and _ORDINAL.search(previous):
        # "And the second one?" after "Who scored the first goal?": the second goal
        rest = set(_ORDINAL.sub("", subject).lower().split()) - {"the", "one", "ones"}
        return _ORDINAL.sub(subject if rest else ordinal.group(0), previous, count=1)
    candidates = names(previous)
    person = any(is_person(n) for n in names(subject)) or bool(_PERSON_PRONOUN.search(subject))
    same_kind = [n for n in candidates if is_person(n) == person]
    old = same_kind or candidates
    if old:
        return previous.replace(old[0], subject, 1)
    return f"{previous} {subject}"


def _same_shape(previous: str, subject: str) -> str:
    """'in the Belgium game' replaces 'in the Sweden game': the subject with its names as
    wildcards, found in the previous question."""
    subject_names = names(subject)
    if not subject_names or subject.split()[0][:1].isupper():
        return ""
    pattern = re.escape(subject)
    for name in subject_names:
        pattern = pattern.replace(re.escape(name), r"[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)*", 1)
    match = re.search(pattern, previous)
    if not match:
        return ""
    return previous[: match.start()] + subject + previous[match.end() :]
