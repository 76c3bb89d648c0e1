"""An index's documents as arrays: text, paragraphs, sentences, terms, speakers, tokens.

Everything a question needs is computed here once, when the index is built, and stored in
one array file (bot.arrays) that loading maps into memory without reading it. `Tables`
answers questions about the structure (which document and paragraph a sentence is in, its
text, its id) by looking at a few entries, and gives back whole `Document`s on demand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from bot.article import fold_lines
from bot.errors import IndexCorruptError
from bot.lexicon import build_lexicon
from bot.memo import BoundedMemo
from bot.speakers import build_speakers, byte_offsets
from bot.text import SPEECH_VERBS
from bot.types import Document, Paragraph, Sentence

ROLES = ("body", "title", "dateline", "credit", "caption", "heading", "standfirst")
SEPARATOR = "\n\n"  # between documents in the text, as questions about speakers read it
_ANAPHOR = re.compile(r"^[\"'“‘]?(?:he|she|they|it|this|these|that|his|her|their|its)\b", re.I)
Arrays = dict[str, np.ndarray]


def build_tables(documents: Sequence[Document]) -> Arrays:
    """The text and structure arrays, the lexicon and the speakers of `documents`."""
    joined = SEPARATOR.join(d.text for d in documents)
    arrays = _structure(documents)
    arrays["text"] = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
    sentences = [s for d in documents for s in d.sentences]
    arrays["leans"] = _leaning(documents)
    arrays |= build_lexicon([s.text for s in sentences])
    arrays |= build_speakers(joined)
    return arrays


def _structure(documents: Sequence[Document]) -> Arrays:
    doc_bytes, par_chars, par_bytes, par_role, sen_chars, sen_bytes = [0], [], [], [], [], []
    par_first, doc_pars, doc_sens = [0], [0], [0]
    for document in documents:
        start = doc_bytes[-1]
        spans = [(p.start, p.end) for p in document.paragraphs]
        spans += [(s.start, s.end) for s in document.sentences]
        offsets = byte_offsets(document.text, [n for span in spans for n in span]) + start
        pairs = offsets.reshape(-1, 2)
        par_bytes += pairs[: len(document.paragraphs)].tolist()
        sen_bytes += pairs[len(document.paragraphs) :].tolist()
        for paragraph in document.paragraphs:
            _check_paragraph(document, paragraph)
            par_chars.append((paragraph.start, paragraph.end))
            par_role.append(ROLES.index(paragraph.role))
            sen_chars += [(s.start, s.end) for s in paragraph.sentences]
            par_first.append(par_first[-1] + len(paragraph.sentences))
        doc_pars.append(doc_pars[-1] + len(document.paragraphs))
        doc_sens.append(doc_sens[-1] + len(document.sentences))
        doc_bytes.append(start + len(document.text.encode("utf-8")) + len(SEPARATOR))
    return {
        "doc_bytes": np.array(doc_bytes, dtype=np.int64),
        "doc_paragraphs": np.array(doc_pars, dtype=np.int64),
        "doc_sentences": np.array(doc_sens, dtype=np.int64),
        "par_chars": np.array(par_chars, dtype=np.int64).reshape(-1, 2),
        "par_bytes": np.array(par_bytes, dtype=np.int64).reshape(-1, 2),
        "par_role": np.array(par_role, dtype=np.int8),
        "par_sentences": np.array(par_first, dtype=np.int64),
        "sen_chars": np.array(sen_chars, dtype=np.int64).reshape(-1, 2),
        "sen_bytes": np.array(sen_bytes, dtype=np.int64).reshape(-1, 2),
    }


def _check_paragraph(document: Document, paragraph: Paragraph) -> None:
    """The arrays give back what the reader made (bot.article): say so if it ever differs."""
    for number, sentence in enumerate(paragraph.sentences, start=1):
        expected = f"{document.sha256[:8]}:p{paragraph.number}s{number}"
        raw = document.text[sentence.start : sentence.end]
        if (
            sentence.id != expected
            or sentence.text != fold_lines(raw)
            or (sentence.role, sentence.paragraph) != (paragraph.role, paragraph.number)
        ):
            raise ValueError(f"sentence {sentence.id} cannot be stored as arrays")


def _leaning(documents: Sequence[Document]) -> np.ndarray:
    """A sentence that needs the one before it (in its paragraph): it opens with a pronoun,
    or it is a bare quotation whose speaker was named just before."""
    leans = []
    for document in documents:
        for paragraph in document.paragraphs:
            for i, sentence in enumerate(paragraph.sentences):
                text = sentence.text
                bare_quote = text[:1] in '"“' and not re.search(SPEECH_VERBS, text)
                leans.append(i > 0 and (bool(_ANAPHOR.match(text)) or bare_quote))
    return np.array(leans, dtype=bool)


_OFFSETS = (
    "doc_bytes",
    "doc_paragraphs",
    "doc_sentences",
    "par_sentences",
    "token_offsets",
    "post_offsets",
    "tf_offsets",
    "vocab_offsets",
)
_SPANS = ("par_bytes", "sen_bytes", "par_chars", "sen_chars")


def offsets_in_order(arrays: Arrays) -> bool:
    """Every offset array starts at 0 and never goes back, and every span lies forward and
    (in bytes) inside the text: what a question reads to find its way. A damaged file fails
    here in one line at load, instead of in a question (a few arrays of a few entries a
    sentence: 0.7 ms at 12,000 paragraphs)."""
    for name in _OFFSETS:
        offsets = arrays[name]
        if len(offsets) == 0 or offsets[0] != 0 or (np.diff(offsets) < 0).any():
            return False
    for name in _SPANS:
        spans = arrays[name]
        if len(spans) and ((spans[:, 0] < 0).any() or (spans[:, 1] < spans[:, 0]).any()):
            return False
    text = len(arrays["text"])
    return all(len(arrays[n]) == 0 or int(arrays[n][:, 1].max()) <= text for n in _SPANS[:2])


class Tables:
    """The structure of a built index: documents, paragraphs and sentences by position."""

    def __init__(self, arrays: Arrays, meta: Sequence[dict[str, Any]]) -> None:
        self.arrays = arrays
        self.meta = tuple(meta)  # per document: source, title, sha256
        self.by_prefix = {str(m["sha256"])[:8]: i for i, m in enumerate(self.meta)}
        self.sentence_count = int(arrays["doc_sentences"][-1])
        self.paragraph_count = int(arrays["doc_paragraphs"][-1])
        self.intact: set[int] = set()  # documents whose digest was checked

    def digest(self, index: int) -> str:
        """The sha256 of a document's source, title and text as stored: written beside
        them, it tells a damaged file from the article."""
        meta = self.meta[index]
        start, end = (int(n) for n in self.arrays["doc_bytes"][index : index + 2])
        hashed = hashlib.sha256(
            f"{meta['source']}\0{meta['title']}\0".encode("utf-8", "surrogatepass")
        )
        hashed.update(self.arrays["text"][start : end - len(SEPARATOR)].tobytes())
        return hashed.hexdigest()

    def check_intact(self, index: int) -> None:
        """Refuse to quote a document whose stored text or title is not what was written
        (a flipped byte would be cited as the article's words); each checked once, when
        first read, so loading stays free of work proportional to the archive."""
        if index in self.intact:
            return
        expected = self.meta[index].get("digest")
        if expected is not None and expected != self.digest(index):
            raise IndexCorruptError(
                f"The index is damaged: {self.meta[index]['source']} does not read as it was "
                "written. Rebuild it from its sources: articlebot index SOURCE..."
            )
        self.intact.add(index)

    def text_bytes(self, start: int, end: int) -> str:
        return self.arrays["text"][start:end].tobytes().decode("utf-8")

    def document_of(self, position: int) -> int:
        # the array's own method: np.searchsorted's dispatch doubled the cost of these
        # scalar searches, made a few hundred times a question
        return int(self.arrays["doc_sentences"].searchsorted(position, side="right")) - 1

    def paragraph_row(self, position: int) -> int:
        """The sentence's paragraph, counted over every document (a row of the store)."""
        return int(self.arrays["par_sentences"].searchsorted(position, side="right")) - 1

    def paragraph_number(self, position: int) -> int:
        document = self.document_of(position)
        return self.paragraph_row(position) - int(self.arrays["doc_paragraphs"][document]) + 1

    def paragraph_positions(self, document: int, number: int) -> range:
        row = int(self.arrays["doc_paragraphs"][document]) + number - 1
        first = self.arrays["par_sentences"]
        return range(int(first[row]), int(first[row + 1]))

    def role(self, position: int) -> str:
        return ROLES[int(self.arrays["par_role"][self.paragraph_row(position)])]

    def sentence(self, position: int) -> Sentence:
        document, row = self.document_of(position), self.paragraph_row(position)
        self.check_intact(document)
        number = row - int(self.arrays["doc_paragraphs"][document]) + 1
        index = position - int(self.arrays["par_sentences"][row]) + 1
        start, end = (int(n) for n in self.arrays["sen_chars"][position])
        raw = self.text_bytes(*(int(n) for n in self.arrays["sen_bytes"][position]))
        return Sentence(
            id=f"{str(self.meta[document]['sha256'])[:8]}:p{number}s{index}",
            paragraph=number,
            number=index,
            text=fold_lines(raw),
            start=start,
            end=end,
            role=ROLES[int(self.arrays["par_role"][row])],
        )

    def position_of(self, sentence_id: str) -> int | None:
        """The position of a sentence id ("1a2b3c4d:p3s2"), None when it is not here."""
        match = re.fullmatch(r"([0-9a-f]{8}):p(\d+)s(\d+)", sentence_id)
        document = self.by_prefix.get(match.group(1)) if match else None
        if match is None or document is None:
            return None
        paragraph, number = int(match.group(2)), int(match.group(3))
        counts = self.arrays["doc_paragraphs"]
        if not 1 <= paragraph <= counts[document + 1] - counts[document]:
            return None
        positions = self.paragraph_positions(document, paragraph)
        return positions[number - 1] if 1 <= number <= len(positions) else None

    def paragraph_record(self, row: int) -> tuple[str, str, dict[str, Any]]:
        """The store's record of a paragraph row: its id, text and metadata."""
        document = int(self.arrays["doc_paragraphs"].searchsorted(row, side="right")) - 1
        number = row - int(self.arrays["doc_paragraphs"][document]) + 1
        meta = self.meta[document]
        text = fold_lines(self.text_bytes(*(int(n) for n in self.arrays["par_bytes"][row])))
        sha = str(meta["sha256"])
        record = {"paragraph": number, "source": str(meta["source"]), "sha": sha}
        return f"{sha[:8]}:p{number}", text, record

    def document(self, index: int) -> Document:
        """The whole document, as the reader made it."""
        self.check_intact(index)
        start, end = (int(n) for n in self.arrays["doc_bytes"][index : index + 2])
        text = self.text_bytes(start, end - len(SEPARATOR))
        first, last = (int(n) for n in self.arrays["doc_paragraphs"][index : index + 2])
        paragraphs = []
        for row in range(first, last):
            positions = range(*(int(n) for n in self.arrays["par_sentences"][row : row + 2]))
            p_start, p_end = (int(n) for n in self.arrays["par_chars"][row])
            sentences = tuple(self.sentence(p) for p in positions)
            role = ROLES[int(self.arrays["par_role"][row])]
            paragraph = Paragraph(
                row - first + 1, fold_lines(text[p_start:p_end]), p_start, p_end, sentences, role
            )
            paragraphs.append(paragraph)
        meta = self.meta[index]
        return Document(
            str(meta["source"]), str(meta["title"]), text, str(meta["sha256"]), tuple(paragraphs)
        )


class StoredDocuments(Sequence[Document]):
    """The documents of an index, each made whole only when it is asked for."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._made = BoundedMemo(tables.document, 8)  # whole documents are large

    def __len__(self) -> int:
        return len(self.tables.meta)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]
        return self._made(index)

    def __iter__(self) -> Iterator[Document]:
        return (self[i] for i in range(len(self)))
