"""What questions need to know about an index's sentences, read from its arrays.

Nothing is computed here at load: terms, IDF, BM25 postings, speakers, neighbours and token
IDF were computed when the index was built (bot.tables, bot.lexicon, bot.speakers) and are
memory-mapped. A question touches the entries of its own terms and candidates only.
Positions run over the sentences of every document, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from bot.lexicon import Lexicon
from bot.memo import BoundedMemo
from bot.speakers import Speakers, pronoun_in, shares_last_name
from bot.tables import ROLES, Tables
from bot.text import content_terms, stem
from bot.types import Sentence

MAX_REMEMBERED_NAMES = 10_000
MAX_REMEMBERED_SENTENCES = 4_096
_NAME_WORD = re.compile(r"(?!(?:Jr|Sr)\b)[A-Z][a-z][\w'’\-]*")  # not "II", "Jr"
MENTIONS_READ = 24  # a name's first mentions tell how the text refers to it


class SentenceTable:
    """The index's sentences: structure, lexical statistics, speakers and token IDF."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.structure: Tables = index.tables
        arrays = self.structure.arrays
        self.documents = index.documents
        self.sentences = Sentences(self.structure)
        self.document_by_sha = {str(m["sha256"]): i for i, m in enumerate(self.structure.meta)}
        self.lexicon = Lexicon(arrays, self.structure.sentence_count)
        self.speakers = Speakers(arrays, arrays["text"])
        self.token_idf = arrays["token_idf"]
        self._people = BoundedMemo(
            self.speakers.quotes, MAX_REMEMBERED_NAMES
        )  # names from questions
        # a follow-up asks pronoun_of and short_name of the same few names: read them once
        self._mentions_of = BoundedMemo(self._mentions, MAX_REMEMBERED_NAMES)

    @property
    def text(self) -> str:
        """Every document's text, one after another (read whole: only the LLM path asks)."""
        return self.structure.text_bytes(0, len(self.structure.arrays["text"]))

    def document_of(self, position: int) -> int:
        return self.structure.document_of(position)

    def title(self, document: int) -> str:
        """A document's title, read from the index's metadata: making the document whole to
        read it took 4 ms a document, 1.4 s a question over an archive of 350."""
        return str(self.structure.meta[document]["title"])

    def position_of(self, sentence_id: str) -> int | None:
        return self.structure.position_of(sentence_id)

    def paragraph_positions(self, document: int, paragraph: int) -> range:
        return self.structure.paragraph_positions(document, paragraph)

    def paragraph_row(self, position: int) -> int:
        return self.structure.paragraph_row(position)

    def paragraph_rows(self, positions: Sequence[int]) -> dict[int, int]:
        """`paragraph_row` of each position, found in one search (features ask hundreds)."""
        first = self.structure.arrays["par_sentences"]
        rows = np.searchsorted(first, np.asarray(positions, dtype=np.int64), side="right") - 1
        return dict(zip(positions, rows.tolist(), strict=True))

    def paragraph_rows_of(self, document: int) -> tuple[int, int]:
        """The paragraph rows of one document: first, and one past the last."""
        first, last = self.structure.arrays["doc_paragraphs"][document : document + 2]
        return int(first), int(last)

    def paragraph_at(self, row: int) -> tuple[int, int]:
        """The document and paragraph number of a paragraph row (a row of the store), the
        document found by its sha256 as the store's records name it."""
        starts = self.structure.arrays["doc_paragraphs"]
        document = int(starts.searchsorted(row, side="right")) - 1
        sha = str(self.structure.meta[document]["sha256"])
        return self.document_by_sha.get(sha, 0), row - int(starts[document]) + 1

    def role(self, position: int) -> str:
        return self.structure.role(position)

    def in_scope(self, position: int, document: int | None) -> bool:
        return document is None or self.document_of(position) == document

    def same_paragraph(self, a: int, b: int) -> bool:
        return self.paragraph_row(a) == self.paragraph_row(b)

    def is_person(self, name: str) -> bool:
        """A name the article quotes: 'Kerry said', 'Khoja, the head ..., stated'."""
        return self._people(name)

    def pronoun_of(self, name: str) -> str:
        """ "he" or "she" as the text refers to the person `name`, "" when it does not say."""
        return pronoun_in(self._mentions_of(name.split()[-1]) if name.split() else [], name)

    def _mentions(self, surname: str) -> list[tuple[str, str]]:
        """The first sentences that mention a last name, each with the next one in its
        paragraph ("" when there is none)."""
        terms = content_terms(surname)
        term_id = self.lexicon.term_id(terms[0]) if terms else None
        if term_id is None:
            return []
        mentions = []
        for position in self.lexicon.postings(term_id)[:MENTIONS_READ].tolist():
            following = position + 1 < len(self.sentences) and self.same_paragraph(
                position, position + 1
            )
            after = self.sentences[position + 1].text if following else ""
            mentions.append((self.sentences[position].text, after))
        return mentions

    def short_name(self, name: str) -> str:
        """The last name alone when the text uses it more often than the first ("Jafari
        said" after "Amneh Jafari") and no one else mentioned goes by it ("Thomas Sam" and
        "Manju Sam"), so that a question matches those sentences too."""
        words = name.split()
        # "John Paul II", "Shah of Iran", "Martin Luther King Jr": not a first and last name
        if len(words) < 2 or not all(_NAME_WORD.fullmatch(w) for w in words):
            return name
        first, last = self.lexicon.idf(stem(words[0])), self.lexicon.idf(stem(words[-1]))
        if first is None or last is None or last >= first:
            return name
        mentions = self._mentions_of(words[-1])
        return name if shares_last_name(mentions, name) else words[-1]

    def idf(self, term: str) -> float | None:
        return self.lexicon.idf(term)

    def coverage(self, query_terms: Sequence[str], position: int) -> float:
        """IDF-weighted share of the question's terms that the article knows, found in the
        sentence. Terms the article never uses can't tell its sentences apart."""
        return float(self.coverages(query_terms, [position])[0])

    def coverages(self, query_terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        """`coverage` of each position, summed term by term in the question's order."""
        where = np.asarray(positions, dtype=np.int64)
        found, total = np.zeros(len(where)), 0.0
        for term in query_terms:
            term_id, idf = self.lexicon.term_id(term), self.lexicon.idf(term)
            if term_id is None or idf is None:
                continue
            found = found + np.where(self.lexicon.holds(term_id, where), idf, 0.0)
            total += idf
        return found / total if total else np.zeros(len(where))

    def bm25(self, query_terms: Sequence[str], positions: Sequence[int]) -> np.ndarray:
        """Okapi BM25 of each position for the question's content stems."""
        return self.lexicon.bm25(query_terms, positions)

    def best_lexical(
        self, query_terms: Sequence[str], document: int | None, count: int
    ) -> list[int]:
        """The `count` in-scope positions of highest BM25 above 0 (ties to the earlier): the
        best of every match by `bm25`, without scoring each match one by one."""
        scope = None
        if document is not None:
            first, last = self.structure.arrays["doc_sentences"][document : document + 2]
            scope = range(int(first), int(last))
        return self.lexicon.best_bm25(query_terms, count, scope)

    def token_weights(self, ids: np.ndarray) -> np.ndarray:
        """IDF of each token id; an id the index never saw is as rare as can be."""
        rarest = float(np.log(self.structure.sentence_count + 1) + np.log(2))
        known = ids < len(self.token_idf)
        return np.where(known, self.token_idf[np.minimum(ids, len(self.token_idf) - 1)], rarest)

    def leans_on_previous(self, position: int) -> bool:
        return bool(self.structure.arrays["leans"][position])

    def relative_position(self, position: int) -> float:
        """How far into its document the sentence's paragraph lies, 0 to 1."""
        document = self.document_of(position)
        first, last = self.structure.arrays["doc_paragraphs"][document : document + 2]
        number = self.paragraph_row(position) - int(first) + 1
        return (number - 1) / max(int(last - first) - 1, 1)

    def relative_positions(self, positions: Sequence[int]) -> np.ndarray:
        """`relative_position` of each position, in a few array operations: one by one, its
        scalar searches were ~0.3 ms of a question's 40-60 candidates."""
        arrays = self.structure.arrays
        where = np.asarray(positions, dtype=np.int64)
        documents = np.searchsorted(arrays["doc_sentences"], where, side="right") - 1
        rows = np.searchsorted(arrays["par_sentences"], where, side="right") - 1
        first, last = arrays["doc_paragraphs"][documents], arrays["doc_paragraphs"][documents + 1]
        relative: np.ndarray = (rows - first) / np.maximum(last - first - 1, 1)
        return relative

    def roles(self, positions: Sequence[int]) -> list[str]:
        """`role` of each position, the paragraphs found in one search."""
        rows = np.searchsorted(
            self.structure.arrays["par_sentences"], np.asarray(positions, np.int64), "right"
        )
        return [ROLES[code] for code in self.structure.arrays["par_role"][rows - 1].tolist()]

    def positions_with_role(
        self, roles: Sequence[str], document: int | None, limit: int | None = None
    ) -> list[int]:
        """In-scope positions whose paragraph has one of `roles`, in order; the first `limit`.
        Only the scope's paragraphs are read, and only until `limit` are found: an archive
        has a title per document (listing them all took 0.5 ms at 350 documents, and 1.5 ms
        when one document was asked about)."""
        first_row, last_row = (
            (0, self.structure.paragraph_count)
            if document is None
            else self.paragraph_rows_of(document)
        )
        arrays = self.structure.arrays
        codes = [ROLES.index(r) for r in roles]
        rows = np.flatnonzero(np.isin(arrays["par_role"][first_row:last_row], codes)) + first_row
        starts, found = arrays["par_sentences"], list[int]()
        for row in rows.tolist():
            found += range(int(starts[row]), int(starts[row + 1]))
            if limit is not None and len(found) >= limit:
                break
        return found[:limit]


class Sentences(Sequence[Sentence]):
    """The sentences of every document by position, each made when it is asked for."""

    def __init__(self, structure: Tables) -> None:
        self.structure = structure
        # a question reads each candidate several times (features, spans, context); the
        # sentences of recent questions are kept, a bounded few of an archive's millions
        self._made = BoundedMemo(structure.sentence, MAX_REMEMBERED_SENTENCES)

    def __len__(self) -> int:
        return self.structure.sentence_count

    @overload
    def __getitem__(self, position: int) -> Sentence: ...

    @overload
    def __getitem__(self, position: slice) -> list[Sentence]: ...

    def __getitem__(self, position: int | slice) -> Sentence | list[Sentence]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        index = range(len(self))[position]
        return self._made(index)

    def __iter__(self) -> Iterator[Sentence]:
        return (self[i] for i in range(len(self)))
