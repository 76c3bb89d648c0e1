"""The same LangChain VectorStore on Milvus: Milvus Lite in process, or a server or cluster.

`langchain_milvus.Milvus` holds the connection, makes the collection and searches; this
class wraps it so that it behaves as `FaissStore` does (and as LangChain's standard tests
ask): ids are the documents' own and come back as `Document.id`, adding an id that is
there replaces it, scores are cosine similarities, and an empty store finds nothing. Every
failure to reach or use Milvus is a StoreError, one line. Imported only when a Milvus
store is chosen: the default faiss path never pays for pymilvus.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from bot.errors import StoreError
from bot.settings import StoreSpec
from bot.vector_store_base import VectorsFirstStore

PRIMARY, TEXT, VECTOR = "pk", "text", "vector"
MAX_TEXT_BYTES = 65_535  # Milvus's longest VARCHAR
INSTALL_HINT = "Milvus needs the [milvus] extra: pip install 'articlebot[milvus]'."
# Loggers that print whole tracebacks for what a StoreError says in one line: pymilvus
# (its own handler, set up when it is imported) for every failed call, Milvus Lite when it
# cannot start (a file another process holds), and Lite's in-process gRPC server for a call
# it does not implement (pymilvus asks for a timestamp while waiting on a new index).
QUIETED = ("pymilvus", "milvus_lite", "grpc._server")


class MilvusStore(VectorsFirstStore):
    """Documents in one Milvus collection: cosine similarity, ids kept, no pickle."""

    def __init__(
        self,
        embedding: Embeddings,
        spec: StoreSpec,
        collection: str,
        *,
        timeout: float = 10.0,
        token: str = "",
    ) -> None:
        try:
            from langchain_milvus import Milvus
        except ImportError:
            raise StoreError(INSTALL_HINT) from None
        for name in QUIETED:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._embedding, self._spec, self._timeout = embedding, spec, timeout
        # whether the collection is known to exist: once it does, a search costs one call,
        # and a collection dropped under a running process is an error, not an empty result
        self._present = False
        # FLAT is exact, as faiss is; a server picks its own index (HNSW, approximate)
        index_type = "FLAT" if spec.kind == "milvus-lite" else "AUTOINDEX"
        with self._calls("connect to"):
            self._milvus = Milvus(
                embedding,
                collection_name=collection,
                connection_args={"uri": spec.uri, "token": token, "timeout": timeout},
                # the collection is read by other processes as soon as the manifest names it
                consistency_level="Strong",
                index_params={"index_type": index_type, "metric_type": "COSINE"},
                search_params={"metric_type": "COSINE"},
                primary_field=PRIMARY,
                text_field=TEXT,
                vector_field=VECTOR,
                enable_dynamic_field=True,
                # no timeout= here: langchain-milvus 0.4 then passes it twice on the first
                # insert; every call below is given its own
            )

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    @property
    def collection(self) -> str:
        return str(self._milvus.collection_name)

    @contextmanager
    def _calls(self, action: str) -> Iterator[None]:
        """A Milvus failure as one line that says where and what; no traceback."""
        from pymilvus.exceptions import MilvusException

        try:
            yield
        except MilvusException as error:
            raise StoreError(describe(error, action, self._spec, self._timeout)) from None

    def exists(self) -> bool:
        with self._calls("read"):
            self._present = bool(
                self._milvus.client.has_collection(self.collection, timeout=self._timeout)
            )
        return self._present

    def _made(self) -> bool:
        """Whether there is a collection yet (a new store has none until its first add)."""
        return self._present or self.exists()

    def __len__(self) -> int:
        if not self._made():
            return 0
        with self._calls("read"):
            rows = self._milvus.client.query(
                self.collection, filter="", output_fields=["count(*)"], timeout=self._timeout
            )
        return int(rows[0]["count(*)"])

    def _store_vectors(
        self,
        texts: list[str],
        vectors: np.ndarray,
        metadatas: list[dict[str, Any]],
        ids: list[str],
    ) -> None:
        self.delete(ids)
        with self._calls("write to"):
            self._milvus.add_embeddings(
                [_clip(t) for t in texts],
                np.asarray(vectors, dtype=np.float32).tolist(),
                [dict(m) for m in metadatas],
                timeout=self._timeout,
                ids=ids,
            )
        self._present = True

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete these ids (missing ones are no error); with none, every document."""
        if not self._made():
            return True
        if ids is None:
            self.drop()
            return True
        with self._calls("write to"):
            if ids:
                self._milvus.client.delete(self.collection, ids=list(ids), timeout=self._timeout)
        return True

    def drop(self) -> None:
        """Remove the collection itself."""
        with self._calls("write to"):
            self._milvus.drop()
        self._present = False

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        if not ids or not self._made():
            return []
        with self._calls("read"):
            rows = self._milvus.client.get(
                self.collection, ids=list(ids), output_fields=["*"], timeout=self._timeout
            )
        found = {str(row[PRIMARY]): _as_document(dict(row)) for row in rows}
        return [found[i] for i in ids if i in found]

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float] | np.ndarray, k: int = 4
    ) -> list[tuple[Document, float]]:
        """Documents with their cosine similarity, best first; no score threshold."""
        if not self._made():
            return []
        query = np.asarray(embedding, dtype=np.float32).reshape(-1).tolist()
        with self._calls("search"):
            hits = self._milvus.client.search(
                self.collection,
                data=[query],
                anns_field=VECTOR,
                search_params={"metric_type": "COSINE"},
                limit=k,
                output_fields=["*"],
                timeout=self._timeout,
            )
        return [(_as_document(dict(hit["entity"])), float(hit["distance"])) for hit in hits[0]]

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MilvusStore:
        """Needs `spec=` and `collection=` among the keyword arguments."""
        store = cls(embedding, kwargs.pop("spec"), kwargs.pop("collection"), **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store


def describe(error: Exception, action: str, spec: StoreSpec, timeout: float) -> str:
    """What went wrong, in one line: the server, the file held elsewhere, or Milvus's word."""
    reason = str(getattr(error, "message", "") or error).strip().splitlines()
    said = reason[0] if reason else type(error).__name__
    if spec.kind == "milvus-lite":
        where = f"the Milvus Lite file {spec.uri}"
        hint = " (another process may hold it: Milvus Lite serves one process at a time)"
    else:
        where = f"the Milvus server at {spec.uri.removeprefix('http://')}"
        hint = f" (waited at most {timeout:g} s)"
    return f"Cannot {action} {where}: {said}{hint if action == 'connect to' else ''}."


def _as_document(row: dict[str, Any]) -> Document:
    row.pop(VECTOR, None)
    doc_id, text = str(row.pop(PRIMARY)), str(row.pop(TEXT, ""))
    return Document(id=doc_id, page_content=text, metadata=row)


def _clip(text: str) -> str:
    """At most Milvus's VARCHAR limit, cut at a character. The index's own paragraphs are
    cited from its tables, never from this copy, so a cut there cannot reach an answer."""
    data = text.encode("utf-8")
    return text if len(data) <= MAX_TEXT_BYTES else data[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
