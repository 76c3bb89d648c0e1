"""What the learned selector sees: candidate sentences for a question and their features.

Candidates come from FAISS (the sentences of the best paragraphs) and from lexical matches
(BM25). Each gets dense, token-level (MaxSim), lexical, answer-type and neighbourhood
features; the question as a whole gets the features that say whether the best candidate
answers it at all. The names here are the columns of the trained parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.pooling import TokenEncoding
from bot.spans import candidate_spans, nearness_each, tells_age_of
from bot.table import SentenceTable
from bot.text import (
    BIRTH,
    KINDS,
    NAME_PART,
    STOPWORDS,
    WH_WORDS,
    QuestionType,
    names_at_length,
    offers_answer,
    tells_birth,
)
from bot.vector_store_base import VectorsFirstStore

TOP_PARAGRAPHS = 8
LEXICAL_CANDIDATES = 10
ANSWER_AFTER_QUESTION = 2  # sentences after a question line ("Yes. zlib doesn't handle dates.")
_OTHER_ROLES = ("dateline", "credit", "caption", "standfirst")
_WORD_AT = re.compile(r"\w+")
_ENTRY_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})*\.?")  # "4.3." opening a FAQ entry

RANK_FEATURES = (
    "maxsim",
    "maxsim_idf",
    "maxsim_idf_gap",
    "maxsim_gap",
    "reverse_maxsim",
    "dense",
    "dense_gap",
    "paragraph_dense",
    "paragraph_dense_gap",
    "coverage",
    "coverage_gap",
    "bm25_share",
    "previous_maxsim",
    "next_maxsim",
    "paragraph_maxsim",
    "typed",
    *(f"typed_{kind}" for kind in KINDS),
    "answer_near",
    "log_tokens",
    "role_title",
    "role_heading",
    "role_other",
    "position",
    "leans",
)
CONFIDENCE_FEATURES = (
    "top_probability",
    "probability_gap",
    "top_maxsim_idf",
    "top_coverage",
    "top_dense",
    "unknown_share",
    "weakest_token",
    "weak_tokens",
    "weakest_token_anywhere",
    "top_typed",
    "any_typed",
    "top_answer_near",
    "log_terms",
    *(f"kind_{kind}" for kind in KINDS),
)


@dataclass(frozen=True)
class Question:
    """The question as the selector needs it: its analysis and its encoding."""

    text: str
    kind: QuestionType
    terms: tuple[str, ...]
    encoding: TokenEncoding
    document: int | None = None


@dataclass(frozen=True)
class Candidates:
    """Candidate positions, their feature rows, and for each the best similarity of every
    content token of the question within it (the confidence features read these)."""

    positions: tuple[int, ...]
    features: np.ndarray
    token_best: np.ndarray
    token_weights: np.ndarray


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
    kind, text = question.kind, table.sentences[position].text
    if kind.focus == BIRTH:
        return tells_birth(text)
    if kind.focus == NAME_PART:
        return names_at_length(text, question.text)
    if kind.subject:
        before = table.sentences[position - 1].text if position else ""
        return tells_age_of(text, before, kind.subject)
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
    return _asks(table, position) or _leads_into_question(table, position)


def _asks(table: SentenceTable, position: int) -> bool:
    return table.sentences[position].text.rstrip().endswith("?")


def _leads_into_question(table: SentenceTable, position: int) -> bool:
    """Whether the sentence opens a numbered FAQ entry ("4.3." on its own, then a statement)
    whose paragraph ends in the question it sets up."""
    sentence = table.sentences[position]
    rows = table.paragraph_positions(table.document_of(position), sentence.paragraph)
    if len(rows) < 3 or position == rows[-1]:
        return False  # cheap checks first: this runs for every candidate of every question
    label = table.sentences[rows[0]].text.strip()
    return _ENTRY_NUMBER.fullmatch(label) is not None and _asks(table, rows[-1])


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


def content_tokens(encoding: TokenEncoding, text: str) -> np.ndarray:
    """Which of the question's tokens carry meaning: not punctuation, stopwords or wh-words."""
    keep = np.zeros(len(encoding.ids), dtype=bool)
    for row, (start, _end) in enumerate(encoding.spans):
        word = _word_at(text, int(start)).lower()
        keep[row] = bool(word) and word not in STOPWORDS and word not in WH_WORDS
    return keep if keep.any() else np.ones(len(encoding.ids), dtype=bool)


def _word_at(text: str, offset: int) -> str:
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    match = _WORD_AT.match(text, start)
    return match.group(0) if match else ""


def rank_features(table: SentenceTable, question: Question, positions: Sequence[int]) -> Candidates:
    """The feature rows of the candidates, in RANK_FEATURES order."""
    keep = content_tokens(question.encoding, question.text)
    query_tokens = question.encoding.tokens[keep]
    weights = table.token_weights(question.encoding.ids[keep])
    weights = weights / max(float(weights.sum()), 1e-9)
    around = sorted(
        {n for p in positions for n in (p - 1, p, p + 1) if 0 <= n < len(table.sentences)}
    )
    best, reverse = _token_matches(table, around, query_tokens)
    row_of = {p: i for i, p in enumerate(around)}
    rows = [row_of[p] for p in positions]
    maxsim_idf_all = best @ weights
    paragraph_of = table.paragraph_rows(around)
    columns = _similarity_columns(table, question, positions, best[rows], reverse[rows], weights)
    columns["paragraph_dense"] = _paragraph_dense(table, question, positions, paragraph_of)
    columns |= _context_columns(positions, maxsim_idf_all, row_of, paragraph_of)
    columns |= _lexical_columns(table, question, positions)
    columns |= _shape_columns(table, question, positions)
    for name in ("maxsim_idf", "maxsim", "dense", "paragraph_dense", "coverage"):
        columns[f"{name}_gap"] = columns[name] - columns[name].max(initial=0.0)
    features = np.stack([columns[name] for name in RANK_FEATURES], axis=1)
    return Candidates(tuple(positions), features, best[rows], weights)


def _token_matches(
    table: SentenceTable, positions: Sequence[int], query_tokens: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each position: the best similarity of each question token among the sentence's
    tokens (n, q), and the mean over its tokens of their best match in the question."""
    offsets = table.index.token_offsets
    where = np.asarray(positions, dtype=np.int64)
    first = offsets[where]
    counts = offsets[where + 1] - first
    starts = np.cumsum(counts) - counts  # where each sentence's rows begin in `similarity`
    # every sentence's token rows in one go (an arange per sentence was 0.1-0.2 ms)
    rows = np.arange(int(counts.sum())) + np.repeat(first - starts, counts)
    similarity = table.index.token_similarity(rows, query_tokens)
    if len(similarity) == 0 or (counts == 0).any():
        return _token_matches_slowly(similarity, counts, len(query_tokens))
    best = np.maximum.reduceat(similarity, starts, axis=0)
    reverse = np.add.reduceat(similarity.max(axis=1), starts) / counts
    return best, reverse


def _token_matches_slowly(
    similarity: np.ndarray, counts: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """The same, tolerating sentences without tokens (they match nothing)."""
    best = np.zeros((len(counts), width))
    reverse = np.zeros(len(counts))
    at = 0
    for i, count in enumerate(counts):
        if count:
            block = similarity[at : at + count]
            best[i], reverse[i] = block.max(axis=0), block.max(axis=1).mean()
        at += count
    return best, reverse


def _similarity_columns(
    table: SentenceTable,
    question: Question,
    positions: Sequence[int],
    best: np.ndarray,
    reverse: np.ndarray,
    weights: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "maxsim": best.mean(axis=1),
        "maxsim_idf": best @ weights,
        "reverse_maxsim": reverse,
        "dense": table.index.sentence_rows(positions) @ question.encoding.vector,
    }


def _paragraph_dense(
    table: SentenceTable, question: Question, positions: Sequence[int], paragraph_of: dict[int, int]
) -> np.ndarray:
    rows = [paragraph_of[p] for p in positions]
    vectors = np.asarray(table.index.paragraph_vectors[rows])
    similarity: np.ndarray = vectors @ question.encoding.vector
    return similarity


def _context_columns(
    positions: Sequence[int],
    maxsim_idf: np.ndarray,
    row_of: dict[int, int],
    paragraph_of: dict[int, int],
) -> dict[str, np.ndarray]:
    """How well the neighbours match: an answer often sits next to the question's words."""

    def neighbour(position: int, step: int) -> float:
        other = position + step
        if other not in row_of or paragraph_of[other] != paragraph_of[position]:
            return 0.0
        return float(maxsim_idf[row_of[other]])

    paragraph_best: dict[int, float] = {}
    for p, row in row_of.items():
        key = paragraph_of[p]
        paragraph_best[key] = max(paragraph_best.get(key, 0.0), float(maxsim_idf[row]))
    return {
        "previous_maxsim": np.array([neighbour(p, -1) for p in positions]),
        "next_maxsim": np.array([neighbour(p, 1) for p in positions]),
        "paragraph_maxsim": np.array([paragraph_best[paragraph_of[p]] for p in positions]),
    }


def _lexical_columns(
    table: SentenceTable, question: Question, positions: Sequence[int]
) -> dict[str, np.ndarray]:
    bm25 = table.bm25(question.terms, positions)
    return {
        "coverage": table.coverages(question.terms, positions),
        "bm25_share": bm25 / max(float(bm25.max(initial=0.0)), 1e-9),
    }


def _shape_columns(
    table: SentenceTable, question: Question, positions: Sequence[int]
) -> dict[str, np.ndarray]:
    """Answer type, length, role and place in the document."""
    typed = np.array(
        [
            float(offers_answer(question.kind, _with_context(table, p), question.text))
            for p in positions
        ]
    )
    roles = table.roles(positions)
    where = np.asarray(positions, dtype=np.int64)
    offsets = table.index.token_offsets
    columns = {
        "typed": typed,
        "log_tokens": np.log1p((offsets[where + 1] - offsets[where]).astype(float)),
        "role_title": np.array([r == "title" for r in roles], dtype=float),
        "role_heading": np.array([r == "heading" for r in roles], dtype=float),
        "role_other": np.array([r in _OTHER_ROLES for r in roles], dtype=float),
        "position": table.relative_positions(positions),
        "leans": np.array([table.leans_on_previous(p) for p in positions], dtype=float),
    }
    for kind in KINDS:
        columns[f"typed_{kind}"] = typed * (question.kind.kind == kind)
    columns["answer_near"] = np.array([_answer_near(table, question, p) for p in positions])
    return columns


def _answer_near(table: SentenceTable, question: Question, position: int) -> float:
    """How close the nearest phrase of the wanted kind sits to the question's words."""
    text = table.sentences[position].text
    spans = candidate_spans(question.kind, text, question.text, table.is_person)
    return max(nearness_each(text, spans, question.text), default=0.0)


def _with_context(table: SentenceTable, position: int) -> str:
    sentence = table.sentences[position]
    if table.leans_on_previous(position):
        return table.sentences[position - 1].text + " " + sentence.text
    return sentence.text


def _sigmoid(score: float) -> float:
    return float(1.0 / (1.0 + math.exp(-max(min(float(score), 50.0), -50.0))))


def confidence_features(
    table: SentenceTable, question: Question, candidates: Candidates, scores: np.ndarray
) -> np.ndarray:
    """The question's row in CONFIDENCE_FEATURES order, about its best-scored candidate."""
    order = np.argsort(-scores, kind="stable")
    top = int(order[0])
    column = {name: i for i, name in enumerate(RANK_FEATURES)}
    row = candidates.features[top]
    token_best = candidates.token_best[top]
    anywhere = candidates.token_best.max(axis=0)
    values = {
        # probabilities, not raw scores: bounded, so a question far from anything the
        # models saw (an off-topic one) cannot ride an extrapolated weight to an answer
        "top_probability": _sigmoid(scores[top]),
        "probability_gap": _sigmoid(scores[top])
        - (_sigmoid(scores[order[1]]) if len(order) > 1 else 0.0),
        "top_maxsim_idf": row[column["maxsim_idf"]],
        "top_coverage": row[column["coverage"]],
        "top_dense": row[column["dense"]],
        "unknown_share": table.unknown_share(question.terms),
        "weakest_token": float(token_best.min(initial=1.0)),
        "weak_tokens": float((token_best < 0.5) @ candidates.token_weights),
        "weakest_token_anywhere": float(anywhere.min(initial=1.0)),
        "top_typed": row[column["typed"]],
        "any_typed": float(candidates.features[:, column["typed"]].max()),
        "top_answer_near": row[column["answer_near"]],
        "log_terms": math.log1p(len(question.terms)),
    }
    for kind in KINDS:
        values[f"kind_{kind}"] = float(question.kind.kind == kind)
    return np.array([values[name] for name in CONFIDENCE_FEATURES])
