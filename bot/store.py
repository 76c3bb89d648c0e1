"""A small LangChain VectorStore on faiss-cpu: cosine similarity, persisted without pickle.

On disk: `<name>.faiss` (faiss's own format: a flat index, one row per record, in order; from
APPROXIMATE_FROM records an inverted file, IVF, with the same rows) and `<name>.json` (ids,
texts, metadata), which an owner that knows its records may leave out.
A saved store is loaded memory-mapped and read-only: loading costs nothing, whatever its
size, and records are made only for the hits. The first change to a loaded store copies it
into memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from bot.errors import IndexCorruptError
from bot.pooling import normalise
from bot.vector_store_base import VectorsFirstStore

Record = tuple[str, str, dict[str, Any]]  # id, text, metadata
# A flat scan of every vector takes 13-18 ms at 100k paragraphs on one thread, more than a
# whole answer: from this size the saved store is an IVF that scans the lists nearest the
# question, PROBED of them (recall of the top 8 on real text: 0.95 at 5%, 0.99 at 18%).
# Below it the scan is exact and under 2 ms.
APPROXIMATE_FROM = 50_000
PROBED = 0.15


class FaissStore(VectorsFirstStore):
    """Normalised inner product over an IndexIDMap2, so documents can be replaced and deleted."""

    def __init__(self, embedding: Embeddings, dimension: int | None = None) -> None:
        self._embedding = embedding
        self._index: Any = None if dimension is None else _new_index(dimension)
        self._records: dict[str, tuple[str, dict[str, Any]]] = {}
        self._faiss_ids: dict[str, int] = {}
        self._ids_by_faiss: dict[int, str] = {}
        self._next_faiss_id = 0
        self._frozen: Any = None  # a loaded flat index, rows in record order
        self._record_at: Callable[[int], Record] | None = None

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def __len__(self) -> int:
        return int(self._frozen.ntotal) if self._frozen is not None else len(self._records)

    def vectors(self) -> np.ndarray:
        """The loaded store's vectors, one row per record: a view of the memory map when flat,
        a copy out of the lists when an IVF."""
        import faiss

        if self._frozen is None:
            raise ValueError("only a loaded store lends its vectors")
        if isinstance(self._frozen, faiss.IndexIVF):
            self._frozen.make_direct_map()
            rows: np.ndarray = self._frozen.reconstruct_n(0, len(self))
            return rows
        flat = faiss.rev_swig_ptr(self._frozen.get_xb(), len(self) * self._frozen.d)
        return np.asarray(flat).reshape(len(self), self._frozen.d)

    def _thaw(self) -> None:
        """Copy a loaded store into the mutable form, once, before its first change."""
        if self._frozen is None or self._record_at is None:
            return
        vectors, record_at = np.array(self.vectors()), self._record_at
        self._frozen = self._record_at = None
        self._index = _new_index(vectors.shape[1])
        records = [record_at(row) for row in range(len(vectors))]
        self.add_vectors(
            [r[1] for r in records], vectors, [r[2] for r in records], ids=[r[0] for r in records]
        )

    def _store_vectors(
        self,
        texts: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
        ids: list[str],
    ) -> None:
        self._thaw()
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

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        self._thaw()
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
        self._thaw()
        return [self._document(i) for i in ids if i in self._records]

    def _document(self, doc_id: str) -> Document:
        text, metadata = self._records[doc_id]
        return Document(id=doc_id, page_content=text, metadata=dict(metadata))

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity, best first; no score threshold."""
        found = self.nearest_rows(embedding, k)
        if found is not None and self._record_at is not None:
            return [(_as_document(self._record_at(row)), score) for row, score in found]
        query = normalise(np.asarray(embedding, dtype=np.float32).reshape(1, -1))
        if not self._records or self._index is None:
            return []
        scores, faiss_ids = self._index.search(query, min(k, len(self._records)))
        return [
            (self._document(self._ids_by_faiss[int(i)]), float(score))
            for score, i in zip(scores[0], faiss_ids[0], strict=True)
            if i >= 0
        ]

    def nearest_rows(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[int, float]] | None:
        """A loaded store's rows, for an owner that knows its records by row: making the
        Documents (folded paragraph text, metadata) took 0.4-0.6 ms of a question at
        12,000 paragraphs, and the features read only which paragraphs they are."""
        if self._frozen is None or self._record_at is None:
            return None
        query = normalise(np.asarray(embedding, dtype=np.float32).reshape(1, -1))
        scores, rows = self._frozen.search(query, min(k, len(self)))
        return [(int(r), float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

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

    def save(self, directory: Path, name: str = "paragraphs", records: bool = True) -> list[Path]:
        """Write `<name>.faiss` (rows in record order) and, with `records`, `<name>.json`;
        returns the paths written."""
        self._thaw()
        ids = list(self._records)
        dimension = self._index.d if self._index is not None else 1
        vectors = np.zeros((0, dimension), dtype=np.float32)
        if ids:
            rows = np.array([self._faiss_ids[i] for i in ids], dtype=np.int64)
            vectors = np.vstack([self._index.reconstruct(int(row)) for row in rows])
        faiss_path, records_path = directory / f"{name}.faiss", directory / f"{name}.json"
        faiss.write_index(_saved_index(vectors), str(faiss_path))
        if not records:
            return [faiss_path]
        listed = [
            {"id": i, "text": self._records[i][0], "metadata": self._records[i][1]} for i in ids
        ]
        records_path.write_text(json.dumps({"records": listed}, ensure_ascii=False), "utf-8")
        return [faiss_path, records_path]

    @classmethod
    def load(
        cls,
        directory: Path,
        embedding: Embeddings,
        name: str = "paragraphs",
        record_at: Callable[[int], Record] | None = None,
    ) -> FaissStore:
        """Map a saved store into memory; `record_at(row)` gives its records when the
        owner knows them (else `<name>.json` is read). Damaged or inconsistent files raise
        IndexCorruptError."""
        faiss.omp_set_num_threads(1)  # one question at a time: threads only wait on 2 cores
        try:
            index = faiss.read_index(str(directory / f"{name}.faiss"), faiss.IO_FLAG_MMAP_IFC)
            if record_at is None:
                listed = json.loads((directory / f"{name}.json").read_text("utf-8"))["records"]
                records = [(r["id"], r["text"], r["metadata"]) for r in listed]
                if index.ntotal != len(records):
                    raise ValueError("record count differs")
                record_at = records.__getitem__
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
        store = cls(embedding)
        store._frozen, store._record_at = index, record_at
        return store


def _as_document(record: Record) -> Document:
    return Document(id=record[0], page_content=record[1], metadata=dict(record[2]))


def _saved_index(vectors: np.ndarray) -> Any:
    """A flat index of `vectors`, in order; an IVF of them from APPROXIMATE_FROM rows."""
    dimension = vectors.shape[1]
    if len(vectors) < APPROXIMATE_FROM:
        flat = faiss.IndexFlatIP(dimension)
        flat.add(vectors)
        return flat
    lists = int(4 * math.sqrt(len(vectors)))
    ivf = faiss.IndexIVFFlat(
        faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT
    )
    # k-means on a fixed sample (faiss seeds its own): the same archive gives the same lists
    sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * lists), False)
    ivf.train(vectors[np.sort(sample)])
    ivf.add(vectors)
    ivf.nprobe = max(1, math.ceil(lists * PROBED))
    return ivf


def _new_index(dimension: int) -> Any:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
