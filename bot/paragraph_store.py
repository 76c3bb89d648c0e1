"""Where an index keeps its paragraph vectors for search: its directory (faiss) or Milvus.

Everything else stays in the index directory whichever the store: the manifest,
documents.json and tables.bin (the text, the sentence tables, the lexicon, the sentence and
token vectors MaxSim reads, and the paragraph vectors too, so a collection can always be
rebuilt from them). With Milvus, each generation's paragraphs are one collection that the
manifest names, so processes on several machines search the same vectors while each maps
the tables. The previous generation's collection is kept, so that a process still on it
keeps answering until it reopens the index; the one before is dropped.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bot.errors import ArticlebotError, IndexCorruptError, IndexStoreError
from bot.settings import Settings, parse_store
from bot.store import FaissStore
from bot.tables import Tables

log = logging.getLogger(__name__)
BATCH = 1000  # paragraphs sent to Milvus at once
_COLLECTION = re.compile(r"articlebot_gen_[A-Za-z0-9_]{1,64}")  # nothing else is followed


def save_paragraphs(
    settings: Settings, generation: Path, index: Any, previous: dict[str, Any] | None
) -> tuple[Any, dict[str, Any]]:
    """Write the index's paragraph vectors where settings.store says; returns the store to
    answer from and the manifest's "store" entry. `previous` is the manifest being replaced."""
    spec = parse_store(settings.store)
    if spec.kind == "faiss":
        index.store.save(generation, records=False)
        return index.store, {"kind": "faiss"}
    collection = "articlebot_" + generation.name.replace("-", "_")
    store = _milvus(settings, index.store.embeddings, collection)
    try:
        tables: Tables = index.tables
        for start in range(0, tables.paragraph_count, BATCH):
            rows = range(start, min(start + BATCH, tables.paragraph_count))
            records = [tables.paragraph_record(row) for row in rows]
            store.add_vectors(
                [r[1] for r in records],
                index.paragraph_vectors[start : rows.stop],
                [r[2] for r in records],
                ids=[r[0] for r in records],
            )
    except BaseException:
        _drop(settings, collection)
        raise
    old = _collection_of(previous)
    entry = {"kind": spec.kind, "spec": settings.store, "collection": collection, "previous": old}
    return store, entry


def check_store(settings: Settings) -> None:
    """Reach the Milvus of settings.store now, before a build spends minutes embedding."""
    if parse_store(settings.store).kind != "faiss":
        _milvus(settings, _NoEmbeddings(), "articlebot_gen_probe").exists()


def open_paragraphs(
    settings: Settings,
    manifest: dict[str, Any],
    generation: Path,
    embeddings: Embeddings,
    tables: Tables,
) -> Any:
    """The store of a saved index. Built on another store than settings.store is an error
    that says which to pass; a Milvus collection that is gone is damage (read around)."""
    entry = manifest.get("store") or {"kind": "faiss"}
    kind = entry.get("kind") if isinstance(entry, dict) else None
    wanted = parse_store(settings.store)
    if kind != wanted.kind:
        built = entry.get("spec", kind) if isinstance(entry, dict) else kind
        raise IndexStoreError(
            f"The index in {settings.index_dir} keeps its paragraph vectors in {built}, not "
            f"{settings.store}: pass --store {built} (or set ARTICLEBOT_STORE), or index again."
        )
    if kind == "faiss":
        return FaissStore.load(generation, embeddings, record_at=tables.paragraph_record)
    collection = _collection_of(manifest)
    if collection is None:
        raise IndexCorruptError(f"The index in {settings.index_dir} is damaged (its store entry).")
    store = _milvus(settings, embeddings, collection)
    if not store.exists():
        raise IndexCorruptError(
            f"The index in {settings.index_dir} is damaged (its Milvus collection {collection} "
            f"is not in {settings.store})."
        )
    return store


def drop_replaced(
    settings: Settings, replaced: dict[str, Any] | None, live: dict[str, Any]
) -> None:
    """After a switch: drop the collection two generations back, and the one just replaced
    when the live index no longer keeps it as its previous."""
    entry = replaced.get("store") if replaced else None
    if not isinstance(entry, dict) or entry.get("kind") == "faiss":
        return
    kept = (live.get("store") or {}).get("previous")
    for name in (entry.get("previous"), entry.get("collection")):
        if isinstance(name, str) and _COLLECTION.fullmatch(name) and name != kept:
            _drop(settings, name)


def discard(settings: Settings, entry: dict[str, Any]) -> None:
    """Drop a collection that was written for a generation that never went live."""
    if entry.get("kind") != "faiss" and isinstance(entry.get("collection"), str):
        _drop(settings, entry["collection"])


def _collection_of(manifest: dict[str, Any] | None) -> str | None:
    entry = manifest.get("store") if manifest else None
    name = entry.get("collection") if isinstance(entry, dict) else None
    return name if isinstance(name, str) and _COLLECTION.fullmatch(name) else None


def _milvus(settings: Settings, embeddings: Embeddings, collection: str) -> Any:
    from bot.store_milvus import MilvusStore  # pymilvus only when a Milvus store is chosen

    return MilvusStore(
        embeddings,
        parse_store(settings.store),
        collection,
        timeout=settings.store_timeout_seconds,
        token=settings.milvus_token,
    )


def _drop(settings: Settings, collection: str) -> None:
    """Best effort: a collection left behind costs space, not answers."""
    try:
        _milvus(settings, _NoEmbeddings(), collection).drop()
    except ArticlebotError as error:
        log.warning("Could not drop the Milvus collection %s: %s", collection, error.message)


class _NoEmbeddings(Embeddings):
    """For a store that is only dropped: nothing is embedded."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError
