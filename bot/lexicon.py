"""The terms of an index's sentences as sorted arrays: IDF, term postings and BM25 counts.

Built once, when the index is built; read memory-mapped, so loading costs nothing and a
question touches only the postings of its own terms. Positions run over the sentences of
every document, in order. The figures are those of the textbook formulas, computed in the
same order as a plain Python reading would, so they are equal to the last bit.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.memo import BoundedMemo
from bot.text import content_terms, term_set

BM25_K1, BM25_B = 1.2, 0.75
Arrays = dict[str, np.ndarray]


def build_lexicon(texts: Sequence[str]) -> Arrays:
    """Vocabulary (sorted by UTF-8 bytes), term postings over every term a sentence offers,
    and per term the sentences whose content terms hold it, with their counts."""
    sets = [term_set(text) for text in texts]
    counts = [Counter(content_terms(text, unique=False)) for text in texts]
    vocabulary = sorted({term for terms in sets for term in terms}, key=str.encode)
    number = {term: i for i, term in enumerate(vocabulary)}
    encoded = [term.encode("utf-8") for term in vocabulary]
    lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))
    post_offsets, post_sentences, _ = _csr(
        [(number[t], i, 1) for i, terms in enumerate(sets) for t in terms], len(vocabulary)
    )
    tf_offsets, tf_sentences, tf_counts = _csr(
        [(number[t], i, n) for i, c in enumerate(counts) for t, n in c.items()], len(vocabulary)
    )
    return {
        "vocab_bytes": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "vocab_offsets": np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(
            np.int64
        ),
        "post_offsets": post_offsets,
        "post_sentences": post_sentences,
        "tf_offsets": tf_offsets,
        "tf_sentences": tf_sentences,
        "tf_counts": tf_counts,
        "length_norm": norm,
    }


def _csr(
    triples: list[tuple[int, int, int]], rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row offsets, columns and values of (row, column, value) triples; columns ascending."""
    table = np.array(triples, dtype=np.int64).reshape(-1, 3)
    order = np.lexsort((table[:, 1], table[:, 0]))
    table = table[order]
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(table[:, 0], minlength=rows), out=offsets[1:])
    return offsets, table[:, 1].astype(np.int32), table[:, 2].astype(np.int32)


def merged_postings(postings: Sequence[np.ndarray]) -> np.ndarray:
    """The positions in any of `postings`, ascending (np.unique hashes: 4 times as long)."""
    merged = np.sort(np.concatenate(postings))
    return merged[np.concatenate([[True], merged[1:] != merged[:-1]])] if len(merged) else merged


def best_of(scores: np.ndarray, count: int) -> np.ndarray:
    """Where the `count` highest scores above 0 are, highest first, ties to the earlier: a
    stable sort of what can be among them, not of every score."""
    wanted = scores > 0
    if 0 < count < len(scores):
        wanted &= scores >= np.partition(scores, len(scores) - count)[len(scores) - count]
    where = np.flatnonzero(wanted)
    return where[np.argsort(-scores[where], kind="stable")[:count]]


MAX_REMEMBERED_TERMS = 65_536


class Lexicon:
    """Lookups over the arrays of `build_lexicon`, for `sentences` sentences."""

    def __init__(self, arrays: Arrays, sentences: int) -> None:
        self.arrays = arrays
        self.sentences = sentences
        self.vocabulary_size = len(arrays["vocab_offsets"]) - 1
        self._vocabulary = arrays["vocab_bytes"]
        self._vocab_offsets = arrays["vocab_offsets"]
        # a question looks each of its terms up some 10 times (candidates, coverage, BM25)
        self._term_ids = BoundedMemo(self._search, MAX_REMEMBERED_TERMS)  # terms from questions

    def term_id(self, term: str) -> int | None:
        """The term's row, by binary search over the sorted vocabulary (remembered)."""
        return self._term_ids(term)

    def _search(self, term: str) -> int | None:
        wanted = term.encode("utf-8")
        low, high = 0, self.vocabulary_size
        while low < high:
            middle = (low + high) // 2
            start, end = self._vocab_offsets[middle], self._vocab_offsets[middle + 1]
            found = self._vocabulary[start:end].tobytes()
            if found == wanted:
                return middle
            if found < wanted:
                low = middle + 1
            else:
                high = middle
        return None

    def postings(self, term_id: int) -> np.ndarray:
        """The sentences whose terms include the term, ascending."""
        offsets = self.arrays["post_offsets"]
        return self.arrays["post_sentences"][offsets[term_id] : offsets[term_id + 1]]

    def idf(self, term: str) -> float | None:
        """log((N + 1) / (df + 0.5)) over sentences, None for a term no sentence uses."""
        term_id = self.term_id(term)
        if term_id is None:
            return None
        offsets = self.arrays["post_offsets"]
        frequency = int(offsets[term_id + 1] - offsets[term_id])
        return math.log((self.sentences + 1) / (frequency + 0.5))

    def holds(self, term_id: int, positions: np.ndarray) -> np.ndarray:
        """Whether each position's terms include the term."""
        postings = self.postings(term_id)
        at = np.minimum(np.searchsorted(postings, positions), max(len(postings) - 1, 0))
        return postings[at] == positions if len(postings) else np.zeros(len(positions), bool)

    def counts(self, term_id: int, positions: np.ndarray) -> np.ndarray:
        """How often the term is among each position's content terms (0 when not)."""
        offsets = self.arrays["tf_offsets"]
        start, end = offsets[term_id], offsets[term_id + 1]
        sentences = self.arrays["tf_sentences"][start:end]
        if not len(sentences):
            return np.zeros(len(positions))
        at = np.minimum(np.searchsorted(sentences, positions), len(sentences) - 1)
        found = sentences[at] == positions
        return np.where(found, self.arrays["tf_counts"][start:end][at], 0).astype(np.float64)

    def best_bm25(self, terms: Sequence[str], count: int, scope: range | None) -> list[int]:
        """The `count` positions in `scope` of highest BM25, ties to the earlier, above 0.
        Scored over the terms' own postings in arrays: an archive's common terms hold
        thousands of sentences, and scoring them as a list of positions took 1.3 ms."""
        hits = [self._frequencies(term, scope) for term in terms]
        found = [hit for hit in hits if hit is not None]
        if not found:
            return []
        positions = merged_postings([sentences for _, sentences, _ in found])
        scores, norm = np.zeros(len(positions)), self.arrays["length_norm"][positions]
        for idf, sentences, counts in found:  # in the question's order, as `bm25` adds them
            at = np.searchsorted(positions, sentences)
            scores[at] += idf * counts * (BM25_K1 + 1) / (counts + norm[at])
        return [int(p) for p in positions[best_of(scores, count)]]

    def _frequencies(
        self, term: str, scope: range | None
    ) -> tuple[float, np.ndarray, np.ndarray] | None:
        """The term's IDF, and the sentences in `scope` whose content terms hold it with
        how often; None for a term no sentence uses."""
        term_id, idf = self.term_id(term), self.idf(term)
        if term_id is None or idf is None:
            return None
        start, end = (int(n) for n in self.arrays["tf_offsets"][term_id : term_id + 2])
        sentences = self.arrays["tf_sentences"][start:end]
        if scope is not None:
            first, last = np.searchsorted(sentences, [scope.start, scope.stop])
            start, end, sentences = start + first, start + last, sentences[first:last]
        return idf, sentences, self.arrays["tf_counts"][start:end].astype(np.float64)

    def bm25(self, terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        """Okapi BM25 of each position for the question's content stems."""
        where = np.asarray(positions, dtype=np.int64)
        scores = np.zeros(len(where))
        norm = self.arrays["length_norm"][where]
        for term in terms:
            term_id, idf = self.term_id(term), self.idf(term)
            if term_id is None or idf is None:
                continue
            count = self.counts(term_id, where)
            hit = count > 0
            scores[hit] += idf * count[hit] * (BM25_K1 + 1) / (count[hit] + norm[hit])
        return scores
