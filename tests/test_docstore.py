"""Documents kept by content: written whole or not at all, read back as they were, and a
damaged one is an error that names it, never a wrong answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.docstore import DocumentStore
from bot.errors import IndexCorruptError, IndexStoreError
from bot.index_load import Vectors
from bot.readers import document_from, raw_from_bytes
from bot.types import Document

TEXT = b"Pottery notes\n\nThe kiln reached 900 degrees.\n\nIt cooled overnight. Then it cracked."


def document() -> Document:
    return document_from(raw_from_bytes(TEXT, "notes.txt"))


def vectors(document: Document) -> Vectors:
    """Stand-in vectors of the right shapes (the store does not care what they mean)."""
    paragraphs = len(document.paragraphs)
    sentences = sum(len(p.sentences) for p in document.paragraphs)
    return Vectors(
        np.full((paragraphs, 4), 0.5, np.float32),
        np.arange(sentences * 4, dtype=np.float32).reshape(sentences, 4),
        np.ones((sentences * 3, 4), np.float16),
        np.arange(sentences * 3, dtype=np.int32),
        np.full(sentences, 3, np.int32),
    )


def test_a_document_and_its_vectors_come_back_as_they_went_in(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    doc = document()
    size = store.put(doc, vectors(doc))
    assert size == store.size(doc.sha256) > len(TEXT) and store.shas() == {doc.sha256}
    again, stored = store.get(doc.sha256)
    assert again.text == doc.text and again.title == "Pottery notes"
    assert [p.text for p in again.paragraphs] == [p.text for p in doc.paragraphs]
    assert np.array_equal(stored.sentences, vectors(doc).sentences)
    assert store.put(doc, vectors(doc)) == size  # stored once: a second put keeps it


def test_a_write_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    doc = document()
    # the last array cannot be saved: the files before it were written, then it fails
    broken = Vectors(*[np.zeros(1)] * 4, token_counts=np.array([object()]))
    with pytest.raises(ValueError):
        store.put(doc, broken)
    assert not store.has(doc.sha256) and list(tmp_path.iterdir()) == []


def test_a_damaged_document_is_an_error_naming_it(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    doc = document()
    store.put(doc, vectors(doc))
    (tmp_path / doc.sha256 / "sentences.npy").write_bytes(b"not numpy")
    with pytest.raises(IndexCorruptError, match=doc.sha256[:12]):
        store.get(doc.sha256)
    store.remove(doc.sha256)
    assert store.shas() == set() and store.size(doc.sha256) == 0


def test_only_a_sha256_names_a_directory(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents")
    for bad in ("../../etc", "a" * 63, "A" * 64, ""):
        with pytest.raises(IndexStoreError, match="is not a document's sha256"):
            store.path(bad)
    (tmp_path / "documents" / ".new-half-written").mkdir()
    (tmp_path / "documents" / "unrelated").mkdir()
    store.remove_leftovers()
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == ["unrelated"]
    assert store.shas() == set()


def test_a_directory_that_cannot_be_made_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(IndexStoreError, match="Cannot keep articles in"):
        DocumentStore(tmp_path / "file" / "documents")
