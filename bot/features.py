"""What the learned selector sees: the features of a question's candidate sentences.

Each candidate (bot.candidates) gets dense, token-level (MaxSim), lexical, answer-type and
neighbourhood features; the question as a whole gets the features that say whether the best
candidate answers it at all. The names here are the columns of the trained parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.candidates import Question, asks
from bot.pooling import TokenEncoding
from bot.spans import candidate_spans, nearness_each
from bot.table import SentenceTable
from bot.text import (
    KINDS,
    STOPWORDS,
    WH_WORDS,
    offers_answer,
)

_OTHER_ROLES = ("dateline", "credit", "caption", "standfirst")
_WORD_AT = re.compile(r"\w+")

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
    "top_dense",
    "top_typed",
    "any_typed",
    "top_answer_near",
    "log_terms",
    *(f"kind_{kind}" for kind in KINDS),
)


@dataclass(frozen=True)
class Candidates:
    """Candidate positions and their feature rows, in RANK_FEATURES order."""

    positions: tuple[int, ...]
    features: np.ndarray


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
    # a sentence right after a question line stands in for it (bot.candidates): a FAQ's
    # "Yes. zlib doesn't handle dates." is as close to "Is zlib Y2K-compliant?" as the line
    # that asks it, which the candidates leave out
    asking = [row_of[p - 1] if _asks_before(table, p, row_of) else row_of[p] for p in positions]
    columns = _similarity_columns(table, question, positions, best[rows], reverse[rows], weights)
    if asking != rows:
        asked = _similarity_columns(
            table, question, [around[r] for r in asking], best[asking], reverse[asking], weights
        )
        columns = {name: np.maximum(columns[name], asked[name]) for name in columns}
    columns["paragraph_dense"] = _paragraph_dense(table, question, positions, paragraph_of)
    columns |= _context_columns(positions, maxsim_idf_all, row_of, paragraph_of)
    columns |= _lexical_columns(table, question, positions)
    columns |= _shape_columns(table, question, positions)
    for name in ("maxsim_idf", "maxsim", "dense", "paragraph_dense", "coverage"):
        columns[f"{name}_gap"] = columns[name] - columns[name].max(initial=0.0)
    features = np.stack([columns[name] for name in RANK_FEATURES], axis=1)
    return Candidates(tuple(positions), features)


def _asks_before(table: SentenceTable, position: int, row_of: dict[int, int]) -> bool:
    """Whether the sentence before `position` is a question of the text (not a candidate)."""
    return position - 1 in row_of and asks(table, position - 1)


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
    values = {
        # probabilities, not raw scores: bounded, so a question far from anything the
        # models saw (an off-topic one) cannot ride an extrapolated weight to an answer
        "top_probability": _sigmoid(scores[top]),
        "probability_gap": _sigmoid(scores[top])
        - (_sigmoid(scores[order[1]]) if len(order) > 1 else 0.0),
        "top_maxsim_idf": row[column["maxsim_idf"]],
        "top_dense": row[column["dense"]],
        "top_typed": row[column["typed"]],
        "any_typed": float(candidates.features[:, column["typed"]].max()),
        "top_answer_near": row[column["answer_near"]],
        "log_terms": math.log1p(len(question.terms)),
    }
    for kind in KINDS:
        values[f"kind_{kind}"] = float(question.kind.kind == kind)
    return np.array([values[name] for name in CONFIDENCE_FEATURES])
