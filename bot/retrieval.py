"""The retrieval chain: condense -> retrieve paragraphs -> score sentences -> compose.

Sentences are scored on dense similarity (their own vector and their paragraph's), on how
much of the question's IDF-weighted vocabulary they cover (acronyms spelled out count), and on
their neighbours (a sentence opening with "He" borrows the terms of the one before). A sentence
must also hold the kind of thing asked for (a number for "how many", a date for "when"). The
article answers only if the best sentence clears a calibrated bar; otherwise we refuse.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.runnables import Runnable, RunnableLambda

from bot.followup import resolve_followup
from bot.prompts import render
from bot.text import (
    SPEECH_VERBS,
    QuestionType,
    content_terms,
    looks_like_organisation,
    offers_answer,
    question_type,
    term_set,
)
from bot.types import Answer, Citation, Sentence, Turn

# Calibrated by hand on the visible QA set and on held-out questions written for this project.
DENSE_WEIGHT, PARAGRAPH_WEIGHT, COVERAGE_WEIGHT = 0.45, 0.15, 0.40
ANSWER_THRESHOLD = 0.44
UNKNOWN_PENALTY = 0.5
BORROWED = 0.8
SECOND_SENTENCE_RATIO = 0.95
LEXICAL_CANDIDATES = 6
_ANAPHOR = re.compile(r"^[\"'“‘]?(?:he|she|they|it|this|these|that|his|her|their|its)\b", re.I)
_META = {
    "title": re.compile(r"\b(?:headline|title)\b", re.I),
    "date": re.compile(
        r"\bwhen (?:was|is) (?:it|this|the (?:article|story|report|piece))\b.*\b(?:published|updated|written|posted)\b|\b(?:publication|article'?s?) date\b|\bdate of (?:the|this) (?:article|story|report)\b",
        re.I,
    ),
    "credit": re.compile(
        r"\b(?:who wrote|author|byline|written by)\b|\b(?:where|who) does (?:this|the) (?:article|story|report|piece) come from\b|\bsource of (?:this|the) (?:article|story|report)\b",
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


@dataclass(frozen=True)
class Scored:
    position: int
    score: float
    dense: float
    coverage: float
    typed: bool


class SentenceTable:
    """Per-index lookups computed once: terms, IDF, neighbours, person names. Positions
    run over the sentences of every document, in order."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.documents = index.documents
        self.sentences: tuple[Sentence, ...] = tuple(s for d in self.documents for s in d.sentences)
        self.document_of = [i for i, d in enumerate(self.documents) for _ in d.sentences]
        self.document_by_sha = {d.sha256: i for i, d in enumerate(self.documents)}
        self.terms = [term_set(s.text) for s in self.sentences]
        self.positions = {s.id: i for i, s in enumerate(self.sentences)}
        by_paragraph: dict[tuple[int, int], list[int]] = {}
        for i, s in enumerate(self.sentences):
            by_paragraph.setdefault((self.document_of[i], s.paragraph), []).append(i)
        self.by_paragraph = by_paragraph
        postings: dict[str, list[int]] = {}
        for i, terms in enumerate(self.terms):
            for term in terms:
                postings.setdefault(term, []).append(i)
        self.postings = postings
        frequency = Counter({t: len(p) for t, p in postings.items()})
        total = len(self.sentences)
        self.idf = {t: math.log((total + 1) / (df + 0.5)) for t, df in frequency.items()}
        self.unknown_idf = math.log((total + 1) / 0.5)
        self.text = "\n\n".join(d.text for d in self.documents)
        self._leaning = tuple(
            i > 0 and self.document_of[i - 1] == self.document_of[i] and _needs_previous(s.text)
            for i, s in enumerate(self.sentences)
        )

    def in_scope(self, position: int, query: Query) -> bool:
        return query.document is None or self.document_of[position] == query.document

    def is_person(self, name: str) -> bool:
        """A name the article quotes: 'Kerry said', 'Khoja, the head ..., stated'."""
        if looks_like_organisation(name):
            return False
        pattern = rf"{re.escape(name)}(?:,[^.,]{{0,80}},)?\s+(?:also\s+)?{SPEECH_VERBS}\b|{SPEECH_VERBS},?\s+{re.escape(name)}\b"
        return re.search(pattern, self.text) is not None

    def coverage(self, query_terms: Sequence[str], terms: frozenset[str]) -> float:
        """IDF-weighted share of the question's terms that the article knows, found in `terms`.

        Terms the article never uses can't tell its sentences apart, so they don't rank;
        `unknown_share` weighs them for the decision to answer.
        """
        known = [t for t in query_terms if t in self.idf]
        if not known:
            return 0.0
        return sum(self.idf[t] for t in known if t in terms) / sum(self.idf[t] for t in known)

    def unknown_share(self, query_terms: Sequence[str]) -> float:
        """IDF-weighted share of the question that the article never mentions."""
        if not query_terms:
            return 1.0
        weights = {t: self.idf.get(t, self.unknown_idf) for t in query_terms}
        return sum(w for t, w in weights.items() if t not in self.idf) / sum(weights.values())

    def leans_on_previous(self, position: int) -> bool:
        return self._leaning[position]

    def context_coverage(self, query_terms: Sequence[str], position: int) -> float:
        """Coverage of a sentence; one that leans on the previous borrows its terms at a
        discount, so a self-contained sentence wins a tie."""
        own = self.coverage(query_terms, self.terms[position])
        if not self.leans_on_previous(position):
            return own
        joined = self.coverage(query_terms, self.terms[position] | self.terms[position - 1])
        return own + BORROWED * (joined - own)


def _needs_previous(text: str) -> bool:
    """A sentence that needs the one before it: it opens with a pronoun, or it is a bare
    quotation whose speaker was named just before. Fixed per sentence, so computed once."""
    bare_quote = text[:1] in '"“' and not re.search(SPEECH_VERBS, text)
    return bool(_ANAPHOR.match(text)) or bare_quote


def build_chain(index: Any, settings: Any) -> Runnable[dict[str, Any], Answer]:
    table = SentenceTable(index)

    def condense(inputs: dict[str, Any]) -> Query:
        history = inputs.get("history", ())
        return make_query(table, inputs["question"], history, document=inputs.get("document"))

    def retrieve(query: Query) -> tuple[Query, list[Scored]]:
        return query, score_sentences(table, query, settings.top_paragraphs)

    def compose(step: tuple[Query, list[Scored]]) -> Answer:
        return compose_answer(table, *step, settings.max_citations)

    return (
        RunnableLambda(condense) | RunnableLambda(retrieve) | RunnableLambda(compose)
    ).with_config(run_name="articlebot")


def make_query(
    table: SentenceTable,
    question: str,
    history: Sequence[Turn],
    resolved: str = "",
    document: int | None = None,
) -> Query:
    """The question made standalone (by `resolved`, else the core's rules) and analysed."""
    resolved = resolved or resolve_followup(question, history, table.is_person)
    meta = next((name for name, rx in _META.items() if rx.search(resolved)), "")
    terms = tuple(content_terms(resolved))
    return Query(question, resolved, question_type(resolved), terms, meta, document)


def compose_answer(table: SentenceTable, query: Query, scored: list[Scored], limit: int) -> Answer:
    """The extractive answer: the sentences chosen from `scored`, or a refusal."""
    return make_answer(table, query, choose(table, query, scored, limit), scored)


def score_sentences(table: SentenceTable, query: Query, top_paragraphs: int) -> list[Scored]:
    """Candidates from the top paragraphs (dense) and the best lexical matches, best first."""
    index = table.index
    vector = index.encoder.encode([query.resolved])[0]
    paragraph_score = _paragraph_scores(table, query, vector, top_paragraphs)
    candidates = {i for p in paragraph_score for i in table.by_paragraph.get(p, [])}
    sharing = {
        i for term in query.terms for i in table.postings.get(term, ()) if table.in_scope(i, query)
    }
    lexical = sorted(sharing, key=lambda i: (-table.coverage(query.terms, table.terms[i]), i))[
        :LEXICAL_CANDIDATES
    ]
    candidates.update(lexical)
    positions = sorted(candidates)
    vectors = table.index.sentence_vectors
    dense = vectors[positions] @ vector
    scored = []
    for position, similarity in zip(positions, dense, strict=True):
        sentence = table.sentences[position]
        if table.leans_on_previous(position):
            joined = vectors[position] + vectors[position - 1]
            borrowed = BORROWED * float(joined @ vector) / float(np.linalg.norm(joined))
            similarity = max(similarity, borrowed)
        coverage = table.context_coverage(query.terms, position)
        key = (table.document_of[position], sentence.paragraph)
        paragraph = paragraph_score.get(key, float(similarity))
        score = (
            DENSE_WEIGHT * float(similarity)
            + PARAGRAPH_WEIGHT * paragraph
            + COVERAGE_WEIGHT * coverage
        )
        typed = offers_answer(query.kind, _with_context(table, position), query.resolved)
        scored.append(Scored(position, score, float(similarity), coverage, typed))
    return sorted(scored, key=lambda s: s.score, reverse=True)


def _paragraph_scores(
    table: SentenceTable, query: Query, vector: np.ndarray, top_paragraphs: int
) -> dict[tuple[int, int], float]:
    """The best paragraphs by dense similarity, keyed by (document, paragraph)."""
    store = table.index.store
    k = top_paragraphs if query.document is None else len(store)
    scores: dict[tuple[int, int], float] = {}
    for doc, score in store.similarity_search_with_score_by_vector(vector, k=k):
        document = table.document_by_sha.get(doc.metadata.get("sha", ""), 0)
        if query.document is None or document == query.document:
            scores[(document, doc.metadata["paragraph"])] = score
        if len(scores) >= top_paragraphs:
            break
    return scores


def _with_context(table: SentenceTable, position: int) -> str:
    sentence = table.sentences[position]
    if table.leans_on_previous(position):
        return table.sentences[position - 1].text + " " + sentence.text
    return sentence.text


def choose(table: SentenceTable, query: Query, scored: list[Scored], limit: int) -> list[int]:
    """The positions to cite, in article order; empty when the article does not answer."""
    if query.meta:
        roles = _META_ROLES[query.meta]
        return [
            i for i, s in enumerate(table.sentences) if s.role in roles and table.in_scope(i, query)
        ][:limit]
    typed = [s for s in scored if s.typed]
    if not typed or confidence(table, query, typed[0]) < ANSWER_THRESHOLD:
        return []
    best = typed[0]
    chosen = [best.position]
    if _ANAPHOR.match(table.sentences[best.position].text) and query.kind.kind in (
        "person",
        "open",
    ):
        previous = best.position - 1
        if (
            previous >= 0
            and table.document_of[previous] == table.document_of[best.position]
            and table.sentences[previous].paragraph == table.sentences[best.position].paragraph
        ):
            chosen.insert(0, previous)
    for other in typed[1:]:
        if len(chosen) >= limit or other.score < SECOND_SENTENCE_RATIO * best.score:
            break
        if other.position not in chosen and abs(other.position - best.position) > 1:
            chosen.append(other.position)
    return sorted(chosen)


def confidence(table: SentenceTable, query: Query, best: Scored) -> float:
    """How sure we are that the best sentence answers: its score, less what the article lacks."""
    return best.score * (1.0 - UNKNOWN_PENALTY * table.unknown_share(query.terms))


def make_answer(
    table: SentenceTable, query: Query, chosen: list[int], scored: list[Scored]
) -> Answer:
    scores = {s.position: s.score for s in scored}
    if not chosen:
        closest = tuple(
            _citation(table, s.position, n, s.score) for n, s in enumerate(scored[:2], start=1)
        )
        return Answer(query.question, render("refusal"), False, (), query.resolved, closest)
    citations = tuple(
        _citation(table, position, n, scores.get(position, 1.0))
        for n, position in enumerate(chosen, start=1)
    )
    text = " ".join(f"{c.text} [{c.n}]" for c in citations)
    return Answer(query.question, text, True, citations, query.resolved)


def _citation(table: SentenceTable, position: int, n: int, score: float) -> Citation:
    sentence = table.sentences[position]
    document = table.documents[table.document_of[position]]
    return Citation(
        n,
        document.source,
        sentence.paragraph,
        sentence.number,
        sentence.text,
        score,
        sentence.id,
        document.title,
    )
