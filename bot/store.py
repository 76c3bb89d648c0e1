"""A small LangChain VectorStore on faiss-cpu: cosine similarity, persisted without pickle.

On disk: `<name>.faiss` (faiss's own binary format) and `<name>.json` (ids, texts, metadata).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from bot.embeddings import normalise
from bot.errors import IndexCorruptError


class FaissStore(VectorStore):
    """Normalised inner product over an IndexIDMap2, so documents can be replaced and deleted."""

    def __init__(self, embedding: Embeddings, dimension: int | None = None) -> None:
        self._embedding = embedding
        self._index: Any = None if dimension is None else _new_index(dimension)
        self._records: dict[str, tuple[str, dict[str, Any]]] = {}
        self._faiss_ids: dict[str, int] = {}
        self._ids_by_faiss: dict[int, str] = {}
        self._next_faiss_id = 0

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def __len__(self) -> int:
        return len(self._records)

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        vectors = np.asarray(self._embedding.embed_documents(texts), dtype=np.float32)
        return self.add_vectors(texts, vectors, metadatas, ids=ids)

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = kwargs.pop("ids", None) or [doc.id or str(uuid.uuid4()) for doc in documents]
        texts = [doc.page_content for doc in documents]
        metadatas = [dict(doc.metadata) for doc in documents]
        return self.add_texts(texts, metadatas, ids=list(ids), **kwargs)

    def add_vectors(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]] | None = None,
        *,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Add precomputed vectors; an existing id is replaced, not duplicated."""
        if not texts:
            return []
        ids = list(ids) if ids is not None else [str(uuid.uuid4()) for _ in texts]
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if not len(ids) == len(texts) == len(metadatas) == len(vectors):
            raise ValueError("texts, vectors, metadatas and ids must have the same length")
        if self._index is None:
            self._index = _new_index(vectors.shape[1])
        self.delete([i for i in ids if i in self._records])
        faiss_ids = np.arange(self._next_faiss_id, self._next_faiss_id + len(ids), dtype=np.int64)
        self._next_faiss_id += len(ids)
        self._index.add_with_ids(normalise(vectors), faiss_ids)
        for doc_id, faiss_id, text, metadata in zip(ids, faiss_ids, texts, metadatas, strict=True):
            self._records[doc_id] = (text, dict(metadata))
            self._faiss_ids[doc_id] = int(faiss_id)
            self._ids_by_faiss[int(faiss_id)] = doc_id
        return ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if ids is None:
            ids = list(self._records)
        present = [i for i in ids if i in self._records]
        if present and self._index is not None:
            self._index.remove_ids(np.array([self._faiss_ids[i] for i in present], dtype=np.int64))
        for doc_id in present:
            del self._records[doc_id]
            del self._ids_by_faiss[self._faiss_ids.pop(doc_id)]
        return True

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return [self._document(i) for i in ids if i in self._records]

    def _document(self, doc_id: str) -> Document:
        text, metadata = self._records[doc_id]
        return Document(id=doc_id, page_content=text, metadata=dict(metadata))

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity, best first; no score threshold."""
        if not self._records or self._index is None:
            return []
        query = normalise(np.asarray(embedding, dtype=np.float32).reshape(1, -1))
        scores, faiss_ids = self._index.search(query, min(k, len(self._records)))
        return [
            (self._document(self._ids_by_faiss[int(i)]), float(score))
            for score, i in zip(scores[0], faiss_ids[0], strict=True)
            if i >= 0
        ]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return self.similarity_search_with_score_by_vector(self._embedding.embed_query(query), k)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k)]

    def _select_relevance_score_fn(self) -> Any:
        return lambda score: (score + 1.0) / 2.0

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> FaissStore:
        store = cls(embedding)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    def save(self, directory: Path, name: str = "paragraphs") -> list[Path]:
        """Write `<name>.faiss` and `<name>.json`; returns the paths written."""
        index = self._index if self._index is not None else _new_index(1)
        faiss_path, records_path = directory / f"{name}.faiss", directory / f"{name}.json"
        faiss.write_index(index, str(faiss_path))
        records = [
            {"id": i, "faiss_id": self._faiss_ids[i], "text": text, "metadata": metadata}
            for i, (text, metadata) in self._records.items()
        ]
        records_path.write_text(json.dumps({"records": records}, ensure_ascii=False), "utf-8")
        return [faiss_path, records_path]

    @classmethod
    def load(cls, directory: Path, embedding: Embeddings, name: str = "paragraphs") -> FaissStore:
        """Read a saved store; damaged or inconsistent files raise IndexCorruptError."""
        try:
            index = faiss.read_index(str(directory / f"{name}.faiss"))
            records = json.loads((directory / f"{name}.json").read_text("utf-8"))["records"]
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
        if index.ntotal != len(records):
            raise IndexCorruptError(f"The index in {directory} is damaged (record count differs).")
        store = cls(embedding)
        store._index = index
        for record in records:
            doc_id, faiss_id = record["id"], int(record["faiss_id"])
            store._records[doc_id] = (record["text"], record["metadata"])
            store._faiss_ids[doc_id] = faiss_id
            store._ids_by_faiss[faiss_id] = doc_id
        store._next_faiss_id = max(store._ids_by_faiss, default=-1) + 1
        return store


def _new_index(dimension: int) -> Any:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
