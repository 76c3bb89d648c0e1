"""Which sentences may answer a question: the candidates the selector then scores.

The sentences of the paragraphs nearest the question by FAISS, and the best BM25 matches;
less a FAQ's question lines (what follows them stands in), and, for the questions only one
kind of sentence can answer (a birth, a first name, someone's age), those of other kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.pooling import TokenEncoding
from bot.spans import tells_age_of
from bot.table import SentenceTable
from bot.text import BIRTH, NAME_PART, QuestionType, names_at_length, tells_birth
from bot.vector_store_base import VectorsFirstStore

TOP_PARAGRAPHS = 8
LEXICAL_CANDIDATES = 10
ANSWER_AFTER_QUESTION = 2  # sentences after a question line ("Yes. zlib doesn't handle dates.")
_ENTRY_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})*\.?")  # "4.3." opening a FAQ entry


@dataclass(frozen=True)
class Question:
    """The question as the selector needs it: its analysis and its encoding."""

    text: str
    kind: QuestionType
    terms: tuple[str, ...]
    encoding: TokenEncoding
    document: int | None = None


def candidate_positions(
    table: SentenceTable, question: Question, exclude: frozenset[int] = frozenset()
) -> list[int]:
    """Sentences of the top paragraphs by dense similarity, plus the best BM25 matches.
    `exclude` lets training ask a question of an article that lacks its answer."""
    positions: set[int] = set()
    for document, paragraph in _top_paragraphs(table, question):
        positions.update(table.paragraph_positions(document, paragraph))
    positions.update(table.best_lexical(question.terms, question.document, LEXICAL_CANDIDATES))
    positions = {p for p in positions if _may_answer(table, question, p)}
    return sorted(_answers_not_questions(table, positions) - exclude)


def _may_answer(table: SentenceTable, question: Question, position: int) -> bool:
    """Whether the sentence can answer a question that only one kind of sentence can: when
    or where X was born (one that tells a birth), X's first name (one naming X at more
    length), how old X is (one with an age that is X's): else the article does not say."""
    kind = question.kind  # the sentence is read only for these: this runs for every candidate
    if kind.focus == BIRTH:
        return tells_birth(table.sentences[position].text)
    if kind.focus == NAME_PART:
        return names_at_length(table.sentences[position].text, question.text)
    if kind.subject:
        before = table.sentences[position - 1].text if position else ""
        return tells_age_of(table.sentences[position].text, before, kind.subject)
    return True


def _answers_not_questions(table: SentenceTable, positions: set[int]) -> set[int]:
    """A sentence that asks ("1. Is zlib Y2K-compliant?") answers nothing: a FAQ's answer is
    what follows it, so the next sentences stand in for it. So does what leads up to the
    question in a numbered entry ("4.3. The stack traces seem wrong. What's happening?")."""
    asked = {p for p in positions if _is_question_part(table, p)}
    return (positions - asked) | {n for p in asked for n in _answer_after(table, p)}


def _answer_after(table: SentenceTable, position: int) -> list[int]:
    """The first sentences after a question (and the rest of it) in the same document."""
    found: list[int] = []
    document = table.document_of(position)
    for n in range(position + 1, len(table.sentences)):
        if len(found) == ANSWER_AFTER_QUESTION or table.document_of(n) != document:
            break
        if not _is_question_part(table, n):
            found.append(n)
    return found


def _is_question_part(table: SentenceTable, position: int) -> bool:
    return asks(table, position) or _leads_into_question(table, position)


def asks(table: SentenceTable, position: int) -> bool:
    """Whether the sentence is a question the text asks ("1. Is zlib Y2K-compliant?")."""
    return table.sentences[position].text.rstrip().endswith("?")


def _leads_into_question(table: SentenceTable, position: int) -> bool:
    """Whether the sentence opens a numbered FAQ entry ("4.3." on its own, then a statement)
    whose paragraph ends in the question it sets up."""
    sentence = table.sentences[position]
    rows = table.paragraph_positions(table.document_of(position), sentence.paragraph)
    if len(rows) < 3 or position == rows[-1]:
        return False  # cheap checks first: this runs for every candidate of every question
    label = table.sentences[rows[0]].text.strip()
    return _ENTRY_NUMBER.fullmatch(label) is not None and asks(table, rows[-1])


def _top_paragraphs(table: SentenceTable, question: Question) -> list[tuple[int, int]]:
    """The best paragraphs by dense similarity: from the store, or, for one document, from
    that document's own paragraph vectors (no scan of the others)."""
    if question.document is not None:
        return _top_paragraphs_of(table, question.document, question.encoding.vector)
    store = table.index.store
    if isinstance(store, VectorsFirstStore):
        rows = store.nearest_rows(question.encoding.vector, k=TOP_PARAGRAPHS)
        if rows is not None:  # our own store, loaded: no Documents made
            return [table.paragraph_at(row) for row, _score in rows]
    hits = store.similarity_search_with_score_by_vector(question.encoding.vector, k=TOP_PARAGRAPHS)
    return [
        (table.document_by_sha.get(doc.metadata.get("sha", ""), 0), int(doc.metadata["paragraph"]))
        for doc, _score in hits
    ]


def _top_paragraphs_of(
    table: SentenceTable, document: int, vector: np.ndarray
) -> list[tuple[int, int]]:
    first, last = table.paragraph_rows_of(document)
    scores = np.asarray(table.index.paragraph_vectors[first:last], dtype=np.float32) @ vector
    best = np.argsort(-scores, kind="stable")[:TOP_PARAGRAPHS]
    return [(document, int(row) + 1) for row in best]
