"""The retrieval chain: condense -> select -> compose.

1. condense: a follow-up is made standalone from the conversation (bot.followup).
2. select:   candidate sentences from FAISS and BM25 get features (bot.features); the learned
             selector (bot.selector) ranks them and says how likely the best one answers.
3. compose:  the best sentence, cited verbatim with its answering phrase marked, or, when the
             confidence is under the bar, an honest refusal with the closest passages.
Questions about the article itself (headline, date, author) are answered from the lines
with those roles, when the document has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.runnables import Runnable, RunnableConfig

from bot.article import PICTURE_CREDIT
from bot.candidates import Question, candidate_positions
from bot.conversation import TYPED_KINDS, continuation_of, excluded, offers_nothing_new
from bot.features import Candidates, confidence_features, rank_features
from bot.followup import (
    gives_reason,
    resolve_followup,
)
from bot.prompts import render
from bot.selector import Selector, load_selector
from bot.spans import answer_span
from bot.table import SentenceTable
from bot.text import QuestionType, content_terms, offers_answer, question_type
from bot.types import Answer, Citation, Turn

CLOSEST_SHOWN = 2
_ASKS_WHY = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?(?:why|how come)\b", re.I)
_DOCUMENT_NOUNS = "article|story|report|piece|document|text|page|post"
_DATED = "published|updated|written|posted|revised|dated|released|issued"
# "When was the manifesto revised?" of a text titled "The Debian Linux Manifesto"
_DATED_BY_NAME = re.compile(
    rf"\bwhen (?:was|is) (?:the|this) ([a-z][\w-]*) (?:last |first )?(?:{_DATED})\b", re.I
)
_TITLE_WORDS = re.compile(r"[\w-]+")
_META = {
    # a title or an author the text itself mentions ("What title did he hold?", "the author
    # points to ...") is asked through the ordinary path: only the document's own count
    "title": re.compile(
        r"\bheadline\b|\btitle of (?:the|this) (?:article|story|report|piece|page|document|text)\b"
        r"|^\s*what(?:'s| is| was) (?:the|its|this) title\s*\??\s*$",
        re.I,
    ),
    "date": re.compile(
        rf"\bwhen (?:was|is) (?:it|this|the (?:{_DOCUMENT_NOUNS}))\b.*\b(?:{_DATED})\b|\b(?:publication|article'?s?) date\b|\bdate of (?:the|this) (?:article|story|report)\b",
        re.I,
    ),
    "credit": re.compile(
        r"\b(?:who wrote|byline|written by)\b|\bwho is the author\s*\??\s*$"
        r"|\bauthor of (?:the|this) (?:article|story|report|piece|document|text)\b|\b(?:where|who) does (?:this|the) (?:article|story|report|piece) come from\b|\bsource of (?:this|the) (?:article|story|report)\b",
        re.I,
    ),
    "summary": re.compile(
        r"\bwhat is (?:this|the) (?:article|story|report|piece) about\b|\bsummar(?:y|ise|ize)\b|\bmain point\b|\bgist\b",
        re.I,
    ),
}
_META_ROLES = {
    "title": ("title",),
    "date": ("dateline",),
    "credit": ("credit",),
    "summary": ("title", "standfirst"),
}


@dataclass(frozen=True)
class Query:
    question: str
    resolved: str
    kind: QuestionType
    terms: tuple[str, ...]
    meta: str = ""
    document: int | None = None  # limit to this document of the index
    exclude: frozenset[int] = frozenset()  # "what did he say next?": not these, again
    # "what did he say next?": the sentence after the last answer, as sure as that answer
    continuation: tuple[int, float] | None = None

    @property
    def is_followup(self) -> bool:
        """It leans on the conversation: rewritten from it, or asked past an answer."""
        return self.resolved != self.question or bool(self.exclude)


@dataclass(frozen=True)
class Selection:
    """The ranked candidates of a query and the confidence that the best one answers."""

    query: Query
    candidates: Candidates | None
    scores: np.ndarray
    confidence: float

    def ranked(self) -> list[tuple[int, float]]:
        """Candidate positions, best first, each with the ranker's probability that it
        holds the answer."""
        if self.candidates is None:
            return []
        order = np.argsort(-self.scores, kind="stable")
        probability = 1.0 / (1.0 + np.exp(-self.scores))
        return [(self.candidates.positions[i], float(probability[i])) for i in order]


def make_query(
    table: SentenceTable,
    question: str,
    history: Sequence[Turn],
    resolved: str = "",
    document: int | None = None,
) -> Query:
    """The question made standalone (by `resolved`, else the core's rules) and analysed."""
    resolved = resolved or resolve_followup(
        question, history, table.is_person, table.pronoun_of, table.short_name
    )
    meta = next((name for name, rx in _META.items() if rx.search(resolved)), "")
    meta = meta or _dated_by_name(table, resolved, document)
    terms = tuple(content_terms(resolved))
    kind = question_type(resolved)
    exclude = excluded(table, question, history) | offers_nothing_new(
        table, kind, resolved, history
    )
    continuation = continuation_of(table, question, history, kind)
    return Query(question, resolved, kind, terms, meta, document, exclude, continuation)


def _dated_by_name(table: SentenceTable, question: str, document: int | None) -> str:
    """'date' when the question asks when the document itself was written, naming it by a
    word of its title; else ''."""
    match = _DATED_BY_NAME.search(question)
    if match is None:
        return ""
    word = match.group(1).lower()
    documents = range(len(table.documents)) if document is None else (document,)
    titled = any(word in _TITLE_WORDS.findall(table.title(d).lower()) for d in documents)
    return "date" if titled else ""


def select(
    table: SentenceTable, selector: Selector, query: Query, exclude: frozenset[int] = frozenset()
) -> Selection:
    """Rank the candidates of `query` (without the `exclude`d positions) and rate the best."""
    encoding = table.index.encoder.encode_tokens(query.resolved)
    question = Question(query.resolved, query.kind, query.terms, encoding, query.document)
    positions = candidate_positions(table, question, exclude | query.exclude)
    if not positions:
        return Selection(query, None, np.zeros(0), 0.0)
    candidates = rank_features(table, question, positions)
    scores = selector.rank(candidates.features)
    confidence = selector.confidence(confidence_features(table, question, candidates, scores))
    return Selection(query, candidates, scores, confidence)


def compose_answer(table: SentenceTable, selection: Selection, min_confidence: float) -> Answer:
    """The extractive answer: the best sentence when the confidence clears the bar (or the
    lines a question about the article itself asks for), else a refusal."""
    query = selection.query
    meta = _meta_positions(table, query)
    if meta:
        return _answer(table, query, [(position, 1.0) for position in meta], 1.0)
    if query.continuation is not None:
        position, confidence = query.continuation
        return _answer(table, query, [(position, confidence)], confidence)
    ranked = selection.ranked()
    if not ranked or selection.confidence < min_confidence:
        closest = tuple(
            _citation(table, query, position, n, score, with_span=False)
            for n, (position, score) in enumerate(ranked[:CLOSEST_SHOWN], start=1)
        )
        text = render("refusal")
        return Answer(
            query.question,
            text,
            False,
            (),
            query.resolved,
            closest,
            confidence=selection.confidence,
        )
    cited = _with_antecedent(table, query, ranked[0]) + _follow_on(table, query, ranked[0])
    return _answer(table, query, cited, selection.confidence)


def _with_antecedent(
    table: SentenceTable, query: Query, best: tuple[int, float]
) -> list[tuple[int, float]]:
    """A sentence that opens "He told ..." answers "who?" only with the one before it,
    which names him: both are cited."""
    position, score = best
    if query.kind.kind in ("person", "name") and table.leans_on_previous(position):
        return [(position - 1, score), best]
    return [best]


def _follow_on(
    table: SentenceTable, query: Query, best: tuple[int, float]
) -> list[tuple[int, float]]:
    """The next sentence of the paragraph, when it gives what the best one only leads up to:
    the reason a "why?" asks for ("There is a simple reason for this: ..."), or the phrase
    of the wanted kind in a sentence that leans on it ("It is available as an RFC ...")."""
    position, score = best
    after = position + 1
    if after >= len(table.sentences) or not table.same_paragraph(position, after):
        return []
    text, following = table.sentences[position].text, table.sentences[after].text
    if _ASKS_WHY.match(query.resolved):
        completes = not gives_reason(text) and gives_reason(following)
    else:
        completes = (
            query.kind.kind in TYPED_KINDS
            and table.leans_on_previous(after)
            and not offers_answer(query.kind, text, query.resolved)
            and offers_answer(query.kind, following, query.resolved)
        )
    return [(after, score)] if completes else []


def _meta_positions(table: SentenceTable, query: Query) -> list[int]:
    """Lines with the role a question about the article asks for; none when the document
    has no such line, and the question goes the ordinary way. A picture's credit ("Photo
    by: AFP") is no answer to who wrote the text."""
    if not query.meta:
        return []
    if query.meta != "credit":
        return table.positions_with_role(_META_ROLES[query.meta], query.document, limit=3)
    credits = table.positions_with_role(_META_ROLES["credit"], query.document, limit=12)
    return [p for p in credits if not PICTURE_CREDIT.match(table.sentences[p].text)][:3]


def _answer(
    table: SentenceTable, query: Query, chosen: list[tuple[int, float]], confidence: float
) -> Answer:
    citations = tuple(
        _citation(table, query, position, n, score, with_span=True)
        for n, (position, score) in enumerate(chosen, start=1)
    )
    text = " ".join(f"{c.text} [{c.n}]" for c in citations)
    return Answer(query.question, text, True, citations, query.resolved, confidence=confidence)


def _citation(
    table: SentenceTable, query: Query, position: int, n: int, score: float, *, with_span: bool
) -> Citation:
    sentence = table.sentences[position]
    document = table.structure.meta[table.document_of(position)]
    span = (
        answer_span(query.kind, sentence.text, query.resolved, table.is_person)
        if with_span
        else None
    )
    return Citation(
        n,
        str(document["source"]),
        sentence.paragraph,
        sentence.number,
        sentence.text,
        score,
        sentence.id,
        str(document["title"]),
        span,
    )


class Extractive:
    """The extractive path bound to one index: the LLM path builds on it too."""

    def __init__(self, index: Any, settings: Any, selector: Selector | None = None) -> None:
        self.table = SentenceTable(index)
        self.selector = selector or load_selector()
        # a bar the user sets holds for every question; else the trained ones
        self.min_confidence: float | None = settings.min_confidence

    def bar(self, query: Query) -> float:
        if self.min_confidence is not None:
            return self.min_confidence
        return self.selector.bar(query.is_followup)

    def condense(self, inputs: dict[str, Any], resolved: str = "") -> Query:
        history = inputs.get("history", ())
        question = inputs["question"]
        return make_query(self.table, question, history, resolved, inputs.get("document"))

    def answer(self, query: Query) -> Answer:
        return compose_answer(self.table, select(self.table, self.selector, query), self.bar(query))


class ExtractiveChain(Runnable[dict[str, Any], Answer]):
    """condense -> select -> compose, traced as one run: two RunnableLambdas in a sequence
    cost 0.25-0.35 ms a question in callback set-up and signature inspection; this 0.04."""

    name = "articlebot"

    def __init__(self, extractive: Extractive) -> None:
        self.extractive = extractive

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **_: Any
    ) -> Answer:
        step = self.extractive
        return self._call_with_config(lambda i: step.answer(step.condense(i)), input, config)


def build_chain(
    index: Any, settings: Any, selector: Selector | None = None
) -> Runnable[dict[str, Any], Answer]:
    return ExtractiveChain(Extractive(index, settings, selector))
