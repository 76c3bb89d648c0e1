"""Per-index lookups computed once at load: terms, IDF, BM25 postings, neighbours, token DF.

Positions run over the sentences of every document, in order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.text import SPEECH_VERBS, content_terms, looks_like_organisation, term_set
from bot.types import Sentence

BM25_K1, BM25_B = 1.2, 0.75
MAX_REMEMBERED_NAMES = 10_000
_ANAPHOR = re.compile(r"^[\"'“‘]?(?:he|she|they|it|this|these|that|his|her|their|its)\b", re.I)


class SentenceTable:
    """What questions need to know about the index's sentences, beyond their vectors."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.documents = index.documents
        self.sentences: tuple[Sentence, ...] = tuple(s for d in self.documents for s in d.sentences)
        self.document_of = [i for i, d in enumerate(self.documents) for _ in d.sentences]
        self.document_by_sha = {d.sha256: i for i, d in enumerate(self.documents)}
        self.paragraph_count = [len(d.paragraphs) for d in self.documents]
        self.terms = [term_set(s.text) for s in self.sentences]
        self.positions = {s.id: i for i, s in enumerate(self.sentences)}
        by_paragraph: dict[tuple[int, int], list[int]] = {}
        for i, s in enumerate(self.sentences):
            by_paragraph.setdefault((self.document_of[i], s.paragraph), []).append(i)
        self.by_paragraph = by_paragraph
        self._init_lexical()
        self.text = "\n\n".join(d.text for d in self.documents)
        self._people: dict[str, bool] = {}
        self._leaning = tuple(
            i > 0 and self.same_paragraph(i - 1, i) and _needs_previous(s.text)
            for i, s in enumerate(self.sentences)
        )
        self.token_idf = _token_idf(index.token_ids, index.token_offsets, len(self.sentences))

    def _init_lexical(self) -> None:
        """IDF over the sentences' terms, and BM25 postings of their content stems."""
        postings: dict[str, list[int]] = {}
        for i, terms in enumerate(self.terms):
            for term in terms:
                postings.setdefault(term, []).append(i)
        self.postings = postings
        total = len(self.sentences)
        self.idf = {t: math.log((total + 1) / (len(p) + 0.5)) for t, p in postings.items()}
        self.unknown_idf = math.log((total + 1) / 0.5)
        self.frequencies = [Counter(content_terms(s.text, unique=False)) for s in self.sentences]
        lengths = np.array([sum(f.values()) for f in self.frequencies], dtype=np.float64)
        self.length_norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))

    def in_scope(self, position: int, document: int | None) -> bool:
        return document is None or self.document_of[position] == document

    def same_paragraph(self, a: int, b: int) -> bool:
        return (
            self.document_of[a] == self.document_of[b]
            and self.sentences[a].paragraph == self.sentences[b].paragraph
        )

    def is_person(self, name: str) -> bool:
        """A name the article quotes: 'Kerry said', 'Khoja, the head ..., stated'. Each name
        is looked up in the whole text once."""
        if name not in self._people:
            if len(self._people) > MAX_REMEMBERED_NAMES:  # names come from questions: bounded
                self._people.clear()
            self._people[name] = self._quotes(name)
        return self._people[name]

    def _quotes(self, name: str) -> bool:
        if looks_like_organisation(name):
            return False
        name = re.escape(name)
        said = rf"{name}(?:,[^.,]{{0,80}},)?\s+(?:also\s+)?{SPEECH_VERBS}\b"
        pattern = rf"{said}|{SPEECH_VERBS},?\s+{name}\b"
        return re.search(pattern, self.text) is not None

    def coverage(self, query_terms: Sequence[str], position: int) -> float:
        """IDF-weighted share of the question's terms that the article knows, found in the
        sentence. Terms the article never uses can't tell its sentences apart."""
        known = [t for t in query_terms if t in self.idf]
        if not known:
            return 0.0
        terms = self.terms[position]
        return sum(self.idf[t] for t in known if t in terms) / sum(self.idf[t] for t in known)

    def unknown_share(self, query_terms: Sequence[str]) -> float:
        """IDF-weighted share of the question that the article never mentions."""
        if not query_terms:
            return 1.0
        weights = {t: self.idf.get(t, self.unknown_idf) for t in query_terms}
        return sum(w for t, w in weights.items() if t not in self.idf) / sum(weights.values())

    def bm25(self, query_terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        """Okapi BM25 of each position for the question's content stems."""
        scores = np.zeros(len(positions))
        for term in query_terms:
            idf = self.idf.get(term)
            if idf is None:
                continue
            for row, position in enumerate(positions):
                count = self.frequencies[position].get(term, 0)
                if count:
                    norm = self.length_norm[position]
                    scores[row] += idf * count * (BM25_K1 + 1) / (count + norm)
        return scores

    def lexical_matches(self, query_terms: Sequence[str], document: int | None) -> list[int]:
        """Every in-scope position sharing a content term with the question."""
        return sorted(
            {
                i
                for term in query_terms
                for i in self.postings.get(term, ())
                if self.in_scope(i, document)
            }
        )

    def token_weights(self, ids: np.ndarray) -> np.ndarray:
        """IDF of each token id; an id the index never saw is as rare as can be."""
        rarest = float(np.log(len(self.sentences) + 1) + np.log(2))
        known = ids < len(self.token_idf)
        return np.where(known, self.token_idf[np.minimum(ids, len(self.token_idf) - 1)], rarest)

    def leans_on_previous(self, position: int) -> bool:
        return self._leaning[position]

    def relative_position(self, position: int) -> float:
        """How far into its document the sentence's paragraph lies, 0 to 1."""
        count = self.paragraph_count[self.document_of[position]]
        return (self.sentences[position].paragraph - 1) / max(count - 1, 1)


def _needs_previous(text: str) -> bool:
    """A sentence that needs the one before it: it opens with a pronoun, or it is a bare
    quotation whose speaker was named just before. Fixed per sentence, so computed once."""
    bare_quote = text[:1] in '"“' and not re.search(SPEECH_VERBS, text)
    return bool(_ANAPHOR.match(text)) or bare_quote


def _token_idf(token_ids: np.ndarray, offsets: np.ndarray, sentences: int) -> np.ndarray:
    """IDF of every token id over sentences (ids absent from the index get the rarest IDF)."""
    ids = np.asarray(token_ids, dtype=np.int64)
    owner = np.repeat(np.arange(sentences), np.diff(offsets))
    size = int(ids.max()) + 1 if len(ids) else 1
    pairs = np.unique(owner * size + ids) % size if len(ids) else ids
    frequency = np.bincount(pairs, minlength=size)
    idf: np.ndarray = np.log((sentences + 1) / (frequency + 0.5))
    return idf
