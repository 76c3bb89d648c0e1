"""What the faiss and Milvus stores share: texts become vectors, then `add_vectors` stores
them; every search is a search by vector, scored by cosine similarity."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore


class VectorsFirstStore(VectorStore):
    """A LangChain VectorStore whose one way in is `add_vectors` (an index build hands it
    vectors it has already embedded) and whose one way out is
    `similarity_search_with_score_by_vector` (cosine similarity, -1 to 1)."""

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        texts = list(texts)
        embedding = self.embeddings
        if embedding is None:
            raise ValueError("this store has no embedding to turn texts into vectors")
        vectors = np.asarray(embedding.embed_documents(texts), dtype=np.float32)
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
        self._store_vectors(list(texts), vectors, metadatas, ids)
        return ids

    def _store_vectors(
        self,
        texts: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
        ids: list[str],
    ) -> None:
        """Store rows whose arguments `add_vectors` has checked and completed."""
        raise NotImplementedError

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity, best first; no score threshold."""
        raise NotImplementedError

    def nearest_rows(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[int, float]] | None:
        """The rows (in record order) of the `k` records nearest `embedding`, best first,
        with their cosine similarity; None when this store cannot name rows (then ask
        `similarity_search_with_score_by_vector`, which makes Documents)."""
        return None

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        embedding = self.embeddings
        if embedding is None:
            raise ValueError("this store has no embedding to turn a query into a vector")
        return self.similarity_search_with_score_by_vector(embedding.embed_query(query), k)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k)]

    def _select_relevance_score_fn(self) -> Any:
        return lambda score: (score + 1.0) / 2.0  # cosine -1..1 as LangChain's 0..1
