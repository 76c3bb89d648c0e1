"""The citation guard: no generated sentence reaches the user unless what it cites supports it.

A generated answer is split into sentences and its [n] markers are read (out-of-range ones are
dropped). A sentence is kept only if every number, date and name in it appears in the sources
it cites, and its meaning is close to them (embedding and lexical similarity together). A
sentence with no marker gets the best-supporting source attached when that support is strong,
and is dropped otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.text import STOPWORDS, term_set
from bot.types import Claim

# Set by hand from SmolLM2's drafts on the visible set and hand-written right and wrong
# paraphrases: right ones scored 0.79-0.96, wrong ones 0.41-0.79. Post-hoc citing has no
# marker to go on, so it asks for more. Facts decide most cases; the bar catches the rest,
# and a drop costs only fluency (the extractive answer stays).
SUPPORT_THRESHOLD = 0.7
POST_HOC_THRESHOLD = 0.8
DENSE_SHARE = 0.5
MAX_DERIVED_SUFFIX = 3  # Russia -> Russian(s), Iran -> Iranian

NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12"}
MONTHS_AND_DAYS = frozenset(
    "january february march april may june july august september october november december"
    " monday tuesday wednesday thursday friday saturday sunday".split()
)
COMMON_OPENERS = frozenset(
    "according also although after before both during however meanwhile no yes while yet"
    " instead earlier later today yesterday there".split()
)
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS_AFTER_STOP = re.compile(r"([.!?][\"”’)]*)((?:\s*\[[\d\s,;]+\])+)")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z0-9])|(?<=[.!?][\"”’)])\s+|\s*\n+\s*")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|St|Lt|Col|Gov|Prof)\.)$"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot)\b|n['’]t\b", re.I)
NEGATED = "(a negation)"
_META_SENTENCE = re.compile(
    r":$|\b(?:the|these|this|following) sources?\b|\bsources? (?:that|which) support", re.I
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_NOT_COVERED = re.compile(
    r"NOT IN ARTICLE|\b(?:does not|doesn't|do not|don't|did not|didn't) (?:say|mention|state|"
    r"specify|provide|contain|cover|answer|know)\b|\bno (?:information|mention)\b|"
    r"\bnot (?:mentioned|stated|specified|provided|covered|given)\b|\bunable to\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Draft:
    """A generated sentence with its markers removed and the sources it cites (0-based)."""

    text: str
    cited: tuple[int, ...]


def split_draft(answer: str, source_count: int) -> list[Draft]:
    """Sentences of a generated answer; markers outside 1..source_count are dropped."""
    text = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), answer.strip())
    pieces: list[str] = []
    for piece in _BOUNDARY.split(text):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece and piece.strip():
            pieces.append(piece.strip())
    drafts = []
    for piece in pieces:
        numbers = [int(n) for m in _MARKER.finditer(piece) for n in re.findall(r"\d+", m.group(1))]
        cited = tuple(dict.fromkeys(n - 1 for n in numbers if 1 <= n <= source_count))
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", piece))
        clean = " ".join(clean.split()).strip(" -*•")
        if clean:
            drafts.append(Draft(clean, cited))
    return drafts


def says_not_covered(answer: str) -> bool:
    """The model declined: the article, it says, does not answer."""
    return _NOT_COVERED.search(answer) is not None


def facts(text: str, is_common_word: Callable[[str], bool]) -> set[str]:
    """The numbers, dates and names a sentence asserts, and whether it negates, normalised
    for comparison.

    A capitalised word counts as a name unless it is a stopword, or it opens the sentence
    and is an ordinary word (`is_common_word`).
    """
    found = _numbers_and_negation(text)
    for position, match in enumerate(_WORD.finditer(text)):
        word = re.sub(r"['’]s$", "", match.group(0))
        lower = word.lower()
        if lower in NUMBER_WORDS:
            found.add(NUMBER_WORDS[lower])
        elif lower in MONTHS_AND_DAYS:
            found.add(lower)
        elif word[0].isupper() and lower not in STOPWORDS and word != "I":
            if position == 0 and is_common_word(lower):
                continue
            found.add(lower)
    return found


def source_facts(text: str) -> set[str]:
    """Everything a source can vouch for: its numbers (digits or words), all its words, and
    a negation if it has one (so 'did not' needs a source that says 'not')."""
    found = _numbers_and_negation(text)
    for match in _WORD.finditer(text):
        lower = re.sub(r"['’]s$", "", match.group(0)).lower()
        found.add(NUMBER_WORDS.get(lower, lower))
        found.update(part for part in lower.split("-") if part)
    return found


def _numbers_and_negation(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    if _NEGATION.search(text):
        found.add(NEGATED)
    return found


def unsupported_facts(
    sentence: str, cited: Sequence[str], is_common_word: Callable[[str], bool]
) -> set[str]:
    """The facts of `sentence` that none of `cited` contains (empty means all supported)."""
    available: set[str] = set()
    for text in cited:
        available |= source_facts(text)
    missing = facts(sentence, is_common_word) - available
    return {fact for fact in missing if not _derived_form_present(fact, available)}


def _derived_form_present(name: str, available: set[str]) -> bool:
    """'Russia' is vouched for by 'Russian', 'Syria' by 'Syrians'; numbers never are."""
    if not name.isalpha() or len(name) < 4:
        return False
    return any(
        word.startswith(name) and len(word) - len(name) <= MAX_DERIVED_SUFFIX for word in available
    )


@dataclass(frozen=True)
class Guard:
    """Checks drafts against numbered sources. `encode` maps texts to unit vectors."""

    sources: Sequence[str]
    question: str
    encode: Callable[[list[str]], np.ndarray]
    is_common_word: Callable[[str], bool]

    def check(self, answer: str) -> tuple[Claim, ...]:
        drafts = split_draft(answer, len(self.sources))
        if not drafts:
            return ()
        vectors = self.encode([d.text for d in drafts] + list(self.sources))
        sentence_vectors, source_vectors = vectors[: len(drafts)], vectors[len(drafts) :]
        similarity = sentence_vectors @ source_vectors.T
        claims: list[Claim] = []
        for i, draft in enumerate(drafts):
            claim = self._judge(draft, similarity[i])
            if claim.kept and any(c.kept and c.text == claim.text for c in claims):
                claim = Claim(claim.text, claim.cited, (), "repeats an earlier sentence")
            claims.append(claim)
        return tuple(claims)

    def support(self, text: str, cited: Sequence[int], similarity: np.ndarray) -> float:
        """How well the cited sources carry `text`: the best embedding similarity, blended
        with the share of its terms found in them (or in the question it restates)."""
        terms = term_set(text)
        if not terms or not cited:
            return 0.0
        known = term_set(self.question).union(*(term_set(self.sources[i]) for i in cited))
        lexical = len(terms & known) / len(terms)
        dense = max(float(similarity[i]) for i in cited)
        return DENSE_SHARE * dense + (1 - DENSE_SHARE) * lexical

    def _judge(self, draft: Draft, similarity: np.ndarray) -> Claim:
        cited_texts = tuple(self.sources[i] for i in draft.cited)
        if says_not_covered(draft.text):
            return Claim(draft.text, cited_texts, (), "declines to answer")
        if _META_SENTENCE.search(draft.text) or not term_set(draft.text):
            return Claim(draft.text, cited_texts, (), "talks about the sources, not the article")
        if draft.cited:
            return self._judge_cited(draft, cited_texts, similarity)
        best = max(range(len(self.sources)), key=lambda i: float(similarity[i]), default=None)
        if best is None:
            return Claim(draft.text, (), (), "no sources")
        support = self.support(draft.text, [best], similarity)
        missing = unsupported_facts(draft.text, [self.sources[best]], self.is_common_word)
        if missing or support < POST_HOC_THRESHOLD:
            return Claim(draft.text, (), (), "no citation, and no source supports it strongly")
        return Claim(draft.text, (), (self.sources[best],), "cited post hoc")

    def _judge_cited(
        self, draft: Draft, cited_texts: tuple[str, ...], similarity: np.ndarray
    ) -> Claim:
        missing = unsupported_facts(draft.text, cited_texts, self.is_common_word)
        if missing:
            listed = ", ".join(sorted(missing))
            return Claim(draft.text, cited_texts, (), f"cited sources lack: {listed}")
        if self.support(draft.text, draft.cited, similarity) < SUPPORT_THRESHOLD:
            return Claim(draft.text, cited_texts, (), "cited sources do not say this")
        return Claim(draft.text, cited_texts, cited_texts)


def common_words(document_text: str) -> frozenset[str]:
    """Words a sentence may open with, capitalised, without being names: those the
    document writes in lower case, stopwords, and a few usual openers."""
    lowercase = re.findall(r"\b[a-z][a-z'’\-]*", document_text)
    return frozenset(lowercase) | STOPWORDS | COMMON_OPENERS


def faithful(claim_text: str, cited: Sequence[str], is_common_word: Callable[[str], bool]) -> bool:
    """The evaluation's test: a sentence with citations that contain all of its facts."""
    return bool(cited) and not unsupported_facts(claim_text, cited, is_common_word)
