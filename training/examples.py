"""Questions turned into what the selector learns from: candidates, features and labels.

Every document is indexed in memory (its vectors cached under .cache/training), and every
question goes through the same candidate and feature code as a live question. An answerable
question also yields a second, unanswerable example: the same question asked of the
document without the sentences that answer it, as a reader asks for a detail the report
never gives.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.candidates import Question, candidate_positions
from bot.embeddings import Encoder, OnnxEncoder, SentenceTransformerEncoder
from bot.evaluate import norm
from bot.features import Candidates, rank_features
from bot.index import ArticleIndex, Vectors, embed_document, memory_index
from bot.onnx_export import ensure_query_encoder
from bot.retrieval import make_query
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT
from bot.table import SentenceTable
from bot.types import Document
from training.datasets import Entry

CACHE = PROJECT_ROOT / ".cache" / "training"


@dataclass(frozen=True)
class Example:
    """One question asked of one document (`removed`: without its answering sentences)."""

    document: str
    kind: str
    item_id: str
    unanswerable: bool
    removed: bool
    table: SentenceTable
    question: Question
    candidates: Candidates
    labels: np.ndarray  # per candidate: does it hold the evidence and the answer?

    @property
    def answerable(self) -> bool:
        return not self.unanswerable and not self.removed and bool(self.labels.any())


class Indexer:
    """In-memory indexes of the training documents, with the live query encoder."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.encoder = SentenceTransformerEncoder(model)
        CACHE.mkdir(parents=True, exist_ok=True)
        ready = ensure_query_encoder(self.encoder, CACHE, model)
        self.query_encoder: Encoder = (
            OnnxEncoder(CACHE / "query_encoder") if ready else self.encoder
        )

    def index(self, document: Document) -> ArticleIndex:
        vectors = self.index_vectors(document)
        return memory_index([document], self.encoder, self.query_encoder, [vectors])

    def index_vectors(self, document: Document) -> Vectors:
        """The document's vectors as embedded (float, before any quantisation), cached and
        keyed by the text and its sentence cuts, so a new splitter re-embeds."""
        cuts = [(s.start, s.end) for s in document.sentences]
        key = hashlib.sha256(json.dumps([document.sha256, cuts]).encode()).hexdigest()[:24]
        path = CACHE / "vectors" / f"{key}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                return Vectors(*(data[name] for name in Vectors.__dataclass_fields__))
        vectors = embed_document(self.encoder, document)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{name: getattr(vectors, name) for name in Vectors.__dataclass_fields__})
        return vectors


def entry_examples(entry: Entry, index: ArticleIndex) -> Iterator[Example]:
    """The examples of one document's QA items."""
    table = SentenceTable(index)
    texts = [norm(s.text) for s in table.sentences]
    for item in entry.qa:
        query = make_query(table, item["q"], [])
        encoding = index.encoder.encode_tokens(query.resolved)
        question = Question(query.resolved, query.kind, query.terms, encoding)
        unanswerable = bool(item.get("unanswerable"))
        holds = np.zeros(len(texts), dtype=bool) if unanswerable else _holds(item, texts)
        variants = [frozenset()]
        if holds.any():
            variants.append(frozenset(np.flatnonzero(holds).tolist()))
        for removed in variants:
            example = _example(entry, item, table, question, holds, removed, unanswerable)
            if example is not None:
                yield example


def _example(
    entry: Entry,
    item: dict[str, Any],
    table: SentenceTable,
    question: Question,
    holds: np.ndarray,
    removed: frozenset[int],
    unanswerable: bool,
) -> Example | None:
    positions = candidate_positions(table, question, removed)
    if not positions:
        return None
    candidates = rank_features(table, question, positions)
    labels = holds[list(positions)]
    return Example(
        entry.name,
        entry.kind,
        str(item["id"]),
        unanswerable,
        bool(removed),
        table,
        question,
        candidates,
        labels,
    )


def _holds(item: dict[str, Any], texts: list[str]) -> np.ndarray:
    """Sentences a citation of which scores as correct: evidence and answer both in it."""
    evidence = [norm(e) for e in item["evidence_any"]]
    answers = [norm(a) for a in item["answer_any"]]
    return np.array(
        [any(e in t for e in evidence) and any(a in t for a in answers) for t in texts],
        dtype=bool,
    )
