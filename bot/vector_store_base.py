"""What the faiss and Milvus stores share: texts become vectors, then `add_vectors` stores them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore


class VectorsFirstStore(VectorStore):
    """A LangChain VectorStore whose one way in is `add_vectors` (an index build hands it
    vectors it has already embedded); texts and documents are embedded, then added so."""

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
        raise NotImplementedError
