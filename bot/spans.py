"""The phrase of a cited sentence that answers: the number, the date, the name, the place.

Frontends highlight it. Found by the question's kind; None when no single phrase answers
(an open "what" or "why" question) or when the sentence offers none the question lacks.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence

from bot.text import (
    ANSWER_PATTERNS,
    CAPITALISED_RUN,
    NAME_PART,
    STOPWORDS,
    WH_WORDS,
    QuestionType,
    names_at_length,
    stem,
    words,
)

Span = tuple[int, int]
_JOINABLE = re.compile(r"^(?:,?\s+|\s*-\s*|\s+(?:of|in)\s+)$")  # "September 30, 2015"
_LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|at|from|near|inside|outside|across|to)\s+(?:the\s+)?$", re.I
)
_LETTERS = re.compile(r"[A-Za-z][A-Za-z\-]*")
_LOCATIVE_REACH = 200  # characters before a name that can hold its preposition
# "Who is Ashton Carter?", "Who was Sawa according to legend?"
_WHO_IS_NAMED = re.compile(r"^\s*[Ww]ho (?:is|was|are|were) (?:[A-Z][\w.\-]*\s*)+\??\s*$")
_FOCUS_REACH = 4  # words between a number and the counted thing: "20 flights", "36 civilians"
NEAR_CHARS = 40.0  # how fast nearness falls with distance from the question's words
_AGE_REACH = 45.0  # characters between an age and whose it is: "Gloria developed eczema at"
_STOP_STEMS = {stem(w) for w in STOPWORDS | set(WH_WORDS)}
_PERSONAL = {stem(w) for w in ("he", "she", "his", "her", "him")}


def answer_span(
    kind: QuestionType, sentence: str, question: str, is_person: Callable[[str], bool] = bool
) -> Span | None:
    """(start, end) of the answering phrase in `sentence`, or None: of the phrases of the
    wanted kind, the one nearest the question's own words (for "how many X?", among those
    that count X when any do: "36 civilians ... in five areas")."""
    if _WHO_IS_NAMED.match(question):
        return None  # it wants who she is (a role, a description), not another name
    spans = candidate_spans(kind, sentence, question, is_person)
    if kind.focus and kind.kind in ANSWER_PATTERNS:
        counting = [s for s in spans if _counts(sentence[s[0] : s[1]], kind.focus)]
        spans = counting or spans
    if not spans:
        return None
    near = nearness_each(sentence, spans, question)
    return spans[max(range(len(spans)), key=near.__getitem__)]


def candidate_spans(
    kind: QuestionType,
    sentence: str,
    question: str,
    is_person: Callable[[str], bool] = bool,
    *,
    firm: bool = False,
) -> list[Span]:
    """Every phrase of the wanted kind that the question does not already hold, best kind
    first (a person before another name, a place after "in"); with `firm`, only those
    surely of the kind (a person the text quotes, a place after "in")."""
    if kind.kind in ANSWER_PATTERNS:
        return [_trimmed(sentence, span) for span in _typed_spans(kind, sentence, question)]
    if kind.kind not in ("person", "place", "name"):
        return []
    asked = _stems(question)
    names = [m for m in _name_matches(sentence) if not _stems(m.group(0)) <= asked]
    if kind.focus == NAME_PART:  # "Lavrov's first name?": the name that holds "Lavrov"
        return [(m.start(), m.end()) for m in names if names_at_length(m.group(0), question)]
    if kind.kind == "place":
        preferred = [m for m in names if _after_locative(sentence, m.start())]
    else:
        preferred = [m for m in names if is_person(m.group(0))] if kind.kind == "person" else []
    chosen = {m.start() for m in preferred}  # a set: a list was quadratic in the names
    ordered = preferred + ([] if firm else [m for m in names if m.start() not in chosen])
    return [(m.start(), m.end()) for m in ordered]


def _after_locative(sentence: str, start: int) -> bool:
    """Whether "in", "at", "from the" ... comes right before `start` (only the words just
    before are read: the whole text before each name made a long sentence quadratic)."""
    return _LOCATIVE_BEFORE.search(sentence[max(0, start - _LOCATIVE_REACH) : start]) is not None


def _trimmed(sentence: str, span: Span) -> Span:
    """Without the commas and spaces a pattern took along (", 19," is "19")."""
    start, end = span
    while start < end and sentence[start] in ", ":
        start += 1
    while end > start and sentence[end - 1] in ", .":  # "$57,000." ends a sentence
        end -= 1
    return (start, end)


def nearness(sentence: str, span: Span, question: str) -> float:
    """1 beside a word of the question, falling to 0 far from every one: an answer sits
    next to what it is about ("Daniel Montalvo, 19,")."""
    return nearness_each(sentence, [span], question)[0]


def nearness_each(sentence: str, spans: Sequence[Span], question: str) -> list[float]:
    """`nearness` of each span, the sentence's words read once for all of them (features
    ask it of every candidate's spans: reading them again per span was ~0.2 ms a question)."""
    if not spans:
        return []
    return _near_each(sentence, spans, _stems(question) - _STOP_STEMS)


def _near_each(sentence: str, spans: Sequence[Span], asked: set[str]) -> list[float]:
    return [math.exp(-d / NEAR_CHARS) for d in _distances(sentence, spans, asked)]


def _distances(sentence: str, spans: Sequence[Span], asked: set[str]) -> list[float]:
    """Characters from each span to the nearest word outside it whose stem is `asked`."""
    found = [
        (m.start(), m.end())
        for m in re.finditer(r"[A-Za-z0-9][\w'’\-]*", sentence)
        if stem(m.group(0)) in asked
    ]
    # words come in order and never overlap: the nearest before a span is the last that
    # starts before it, the nearest after it the first that starts at its end or later (a
    # scan of every word for every span took minutes and gigabytes on one long sentence)
    starts = [start for start, _end in found]
    distances = []
    for a, b in spans:
        before, after = bisect_left(starts, a), bisect_left(starts, max(a, b))
        nearest = max(a - found[before - 1][1], 0) if before else math.inf
        if after < len(found):
            nearest = min(nearest, found[after][0] - b)
        distances.append(float(nearest))
    return distances


def _typed_spans(kind: QuestionType, sentence: str, question: str) -> list[Span]:
    lowered = question.lower()
    matches = [
        m
        for m in ANSWER_PATTERNS[kind.kind].finditer(sentence)
        if m.group(0).lower() not in lowered
    ]
    if kind.kind == "date":
        return _joined(sentence, matches)
    spans = []
    for match in matches:
        end = _focus_end(sentence, match.end(), kind.focus) if kind.focus else None
        spans.append((match.start(), end if end is not None else match.end()))
    if kind.focus:  # "36 civilians" before a number that counts something else
        spans.sort(key=lambda span: _focus_end(sentence, span[0], kind.focus) is None)
    return spans


def tells_age_of(sentence: str, before: str, subject: str) -> bool:
    """Whether an age in `sentence` is the subject's: within a few words of its name or
    noun ("Daniel Montalvo, 19", "his 45-year-old father"), or of "he"/"she" when the name
    is in the sentence or the one `before` ("Chopin ... when he was seven months old").
    Another's age ("a 19-year-old" quoted about Moxon) does not tell Montalvo's."""
    ages = _typed_spans(QuestionType("age"), sentence, "")
    named = subject[:1].isupper()
    whose = _stems(subject)  # not less stopwords: "Sam" stems as "same" does
    if named and whose & _stems(f"{before} {sentence}"):
        whose |= _PERSONAL
    # someone else's name nearer the age makes it theirs ("Ahmed Khan, 35, joined Maria Lopez"),
    # though not the name of a noun asked about ("his wife Manju Sam, 36"); the subject's
    # full name is the subject ("22-year-old George Washington" tells Washington's age)
    runs = [{stem(w) for w in words(n.group(0))} for n in _name_matches(sentence)]
    if named:
        whose |= {w for run in runs if run & whose for w in run}
    names = {w for run in runs for w in run}
    others = names - whose if named else set()
    mine, theirs = _distances(sentence, ages, whose), _distances(sentence, ages, others)
    return any(d <= _AGE_REACH and d <= other for d, other in zip(mine, theirs, strict=True))


def _joined(sentence: str, matches: list[re.Match[str]]) -> list[Span]:
    """Dates with the parts that follow them joined ("September 30" + ", 2015")."""
    spans: list[Span] = []
    for match in matches:
        if spans and _JOINABLE.match(sentence[spans[-1][1] : match.start()]):
            spans[-1] = (spans[-1][0], match.end())
        else:
            spans.append((match.start(), match.end()))
    return spans


def _counts(phrase: str, focus: str) -> bool:
    """Whether a number's phrase ends in the thing counted ("36 civilians")."""
    found = words(phrase)
    return bool(found) and stem(found[-1]) == focus


def _focus_end(sentence: str, after: int, focus: str) -> int | None:
    """Where the counted thing ends, if it follows the number closely ("36 civilians")."""
    # read from `after` in place: a copy of the rest per number made a long sentence quadratic
    for count, match in enumerate(_LETTERS.finditer(sentence, after)):
        if count >= _FOCUS_REACH:
            return None
        if stem(match.group(0)) == focus:
            return match.end()
    return None


def _name_matches(sentence: str) -> list[re.Match[str]]:
    """Capitalised runs that are names, not a sentence's capitalised first word."""
    found = []
    for match in CAPITALISED_RUN.finditer(sentence):
        first = match.group(0).split()[0].lower()
        if first in STOPWORDS or first in WH_WORDS:
            continue
        found.append(match)
    return found


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}
