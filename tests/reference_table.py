"""The straightforward reading of an index's sentences, kept to check bot.table against.

This is how bot.table worked before its lookups became arrays built with the index: every
sentence's terms, postings, IDF and BM25 counts as Python objects, and speakers found by a
search of the whole text. Both must give the answering core the same numbers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.speakers import pronoun_in, quoted_in, shares_last_name
from bot.table import MENTIONS_READ
from bot.text import SPEECH_VERBS, content_terms, stem, term_set
from bot.token_codes import token_idf

BM25_K1, BM25_B = 1.2, 0.75
_ANAPHOR = re.compile(r"^[\"'“‘]?(?:he|she|they|it|this|these|that|his|her|their|its)\b", re.I)


class ReferenceTable:
    """The same questions as bot.table.SentenceTable, answered from Document objects."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.structure = index.tables
        self.documents = list(index.documents)
        self.sentences = tuple(s for d in self.documents for s in d.sentences)
        self.document_of_list = [i for i, d in enumerate(self.documents) for _ in d.sentences]
        self.document_by_sha = {d.sha256: i for i, d in enumerate(self.documents)}
        self.paragraph_count = [len(d.paragraphs) for d in self.documents]
        self.terms = [term_set(s.text) for s in self.sentences]
        self.postings: dict[str, list[int]] = {}
        for i, terms in enumerate(self.terms):
            for term in terms:
                self.postings.setdefault(term, []).append(i)
        total = len(self.sentences)
        self.idf_of = {t: math.log((total + 1) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.frequencies = [Counter(content_terms(s.text, unique=False)) for s in self.sentences]
        lengths = np.array([sum(f.values()) for f in self.frequencies], dtype=np.float64)
        self.length_norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1.0))
        self.quotes = quoted_in("\n\n".join(d.text for d in self.documents))
        offsets = np.asarray(index.token_offsets)
        self.token_idf = token_idf(np.asarray(index.token_ids, dtype=np.int64), offsets, total)

    def document_of(self, position: int) -> int:
        return self.document_of_list[position]

    def paragraph_row(self, position: int) -> int:
        document = self.document_of_list[position]
        return sum(self.paragraph_count[:document]) + self.sentences[position].paragraph - 1

    def paragraph_rows(self, positions: Sequence[int]) -> dict[int, int]:
        return {p: self.paragraph_row(p) for p in positions}

    def paragraph_rows_of(self, document: int) -> tuple[int, int]:
        first = sum(self.paragraph_count[:document])
        return first, first + self.paragraph_count[document]

    def paragraph_positions(self, document: int, paragraph: int) -> list[int]:
        return [
            i
            for i, s in enumerate(self.sentences)
            if self.document_of_list[i] == document and s.paragraph == paragraph
        ]

    def role(self, position: int) -> str:
        return self.sentences[position].role

    def in_scope(self, position: int, document: int | None) -> bool:
        return document is None or self.document_of_list[position] == document

    def same_paragraph(self, a: int, b: int) -> bool:
        return (
            self.document_of_list[a] == self.document_of_list[b]
            and self.sentences[a].paragraph == self.sentences[b].paragraph
        )

    def is_person(self, name: str) -> bool:
        return self.quotes(name)

    def short_name(self, name: str) -> str:
        words = name.split()
        if len(words) < 2 or not all(re.fullmatch(r"[A-Z][a-z][\w'’\-]*", w) for w in words):
            return name
        if words[-1] in {"Jr", "Sr"}:
            return name
        first, last = (self.idf_of.get(stem(w)) for w in (words[0], words[-1]))
        if first is None or last is None or last >= first:
            return name
        return name if shares_last_name(self._mentions(name), name) else words[-1]

    def pronoun_of(self, name: str) -> str:
        """Every sentence whose terms hold the name's last word, up to the table's limit."""
        return pronoun_in(self._mentions(name), name)

    def _mentions(self, name: str) -> list[tuple[str, str]]:
        wanted = content_terms(name.split()[-1])[:1] if name.split() else []
        mentions = []
        for i, sentence in enumerate(self.sentences):
            if wanted and wanted[0] in term_set(sentence.text):
                following = i + 1 < len(self.sentences) and self.same_paragraph(i, i + 1)
                mentions.append((sentence.text, self.sentences[i + 1].text if following else ""))
        return mentions[:MENTIONS_READ]

    def coverage(self, query_terms: Sequence[str], position: int) -> float:
        known = [t for t in query_terms if t in self.idf_of]
        if not known:
            return 0.0
        terms = self.terms[position]
        return sum(self.idf_of[t] for t in known if t in terms) / sum(self.idf_of[t] for t in known)

    def coverages(self, query_terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        return np.array([self.coverage(query_terms, p) for p in positions])

    def bm25(self, query_terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        scores = np.zeros(len(positions))
        for term in query_terms:
            idf = self.idf_of.get(term)
            if idf is None:
                continue
            for row, position in enumerate(positions):
                count = self.frequencies[position].get(term, 0)
                if count:
                    norm = self.length_norm[position]
                    scores[row] += idf * count * (BM25_K1 + 1) / (count + norm)
        return scores

    def lexical_matches(self, query_terms: Sequence[str], document: int | None) -> list[int]:
        return sorted(
            {
                i
                for term in query_terms
                for i in self.postings.get(term, ())
                if self.in_scope(i, document)
            }
        )

    def best_lexical(
        self, query_terms: Sequence[str], document: int | None, count: int
    ) -> list[int]:
        """Every match scored, then the best taken (as bot.features first found them)."""
        lexical = self.lexical_matches(query_terms, document)
        scores = self.bm25(query_terms, lexical)
        best = np.argsort(-scores, kind="stable")[:count]
        return [lexical[i] for i in best if scores[i] > 0]

    def token_weights(self, ids: np.ndarray) -> np.ndarray:
        rarest = float(np.log(len(self.sentences) + 1) + np.log(2))
        known = ids < len(self.token_idf)
        return np.where(known, self.token_idf[np.minimum(ids, len(self.token_idf) - 1)], rarest)

    def leans_on_previous(self, position: int) -> bool:
        if position == 0 or not self.same_paragraph(position - 1, position):
            return False
        text = self.sentences[position].text
        bare_quote = text[:1] in '"“' and not re.search(SPEECH_VERBS, text)
        return bool(_ANAPHOR.match(text)) or bare_quote

    def relative_position(self, position: int) -> float:
        count = self.paragraph_count[self.document_of_list[position]]
        return (self.sentences[position].paragraph - 1) / max(count - 1, 1)

    def relative_positions(self, positions: Sequence[int]) -> np.ndarray:
        return np.array([self.relative_position(p) for p in positions])

    def roles(self, positions: Sequence[int]) -> list[str]:
        return [self.role(p) for p in positions]
