"""The persisted index of one or more documents: build it, check it, load it. Never pickle.

index/
  manifest.json        format version, model, dimension, documents, the live generation
  gen-XXXXXXXX/        one complete build; a new build is written beside it, and the
                       manifest is replaced atomically to switch, so a failed build or a
                       reader mid-load never sees half an index
    generation.json    the generation's own manifest, for recovery (bot.index_files)
    documents.json     each document's source, title and sha256
    paragraphs.faiss   paragraph vectors (FaissStore: a flat index, one row per paragraph
                       in document order, memory-mapped; its records come from the tables);
                       with --store milvus..., a Milvus collection that the manifest names
                       instead (bot.paragraph_store)
    tables.bin         every other array, memory-mapped (bot.arrays): the text, where each
                       paragraph and sentence lies in it, the lexicon as CSR postings
                       (bot.lexicon), the speakers (bot.speakers), paragraph and sentence
                       vectors (float16) and every sentence's token ids and token vectors
                       (int8, scaled per token) with each token id's IDF (bot.token_codes)
The query encoder, exported to ONNX, lives once per model in the shared encoder cache
(settings.cache_dir, bot.onnx_export); the manifest names it by the model's hash.

Only a build writes, and it holds the index's lock from reading what is indexed to the
switch, so two `index --add` at once both land. Reading never writes: an index that is
stale, damaged or for another model is rebuilt in memory from its own files, with a notice,
and a document that cannot be recovered is an error, never a silent loss.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.arrays import write_arrays
from bot.embeddings import (
    Encoder,
    EncoderEmbeddings,
    LazyOnnxEncoder,
    SentenceTransformerEncoder,
)
from bot.errors import ArticleError, IndexCorruptError, IndexStoreError
from bot.index_files import (
    DATA_FILES,
    FORMAT_VERSION,
    disk_errors,
    foreign_entries,
    index_lock,
    new_generation,
    read_manifest,
    switch_to,
)
from bot.index_load import (
    ArticleIndex,
    Notify,
    Vectors,
    article_index,
    check_format,
    document_meta,
    documents_of,
    indexed_documents,
    live_manifest,
    load_index,
    previous_vectors,
    stale_reason,
)
from bot.late_chunking import ParagraphEncoding
from bot.onnx_export import cache_query_encoder, encoder_directory
from bot.paragraph_store import check_store, discard, drop_replaced, save_paragraphs
from bot.progress import Progress
from bot.readers import load_documents, merge_documents
from bot.settings import Settings
from bot.store import FaissStore
from bot.types import Document, Paragraph

log = logging.getLogger(__name__)
GROUP_PARAGRAPHS = 512  # embedded in one pass: long enough to sort by length, short for the bar
READ_ATTEMPTS = 3  # a writer may switch generations while we read; look again this often

__all__ = [
    "FORMAT_VERSION",
    "ArticleIndex",
    "Vectors",
    "build_index",
    "embed_document",
    "indexed_documents",
    "memory_index",
    "open_index",
    "read_manifest",
]


def build_index(
    settings: Settings,
    source: Path | Sequence[Document] | None = None,
    encoder: SentenceTransformerEncoder | None = None,
    *,
    reuse: bool = True,
    add: bool = False,
    known: Mapping[str, Vectors] | None = None,
    notify: Notify = log.info,
) -> ArticleIndex:
    """Embed the documents' paragraphs (and their sentences) and switch the index to them.

    `source` is a file, documents already read, or None for the default article. With
    `add`, they join (or replace, by source) the documents already indexed. With `reuse`, a
    document whose sha256 is in the current index is not embedded again. Pass an `encoder`
    already loaded to build several indexes without reloading the model, and `known`
    vectors by sha256 that a caller already has (the archive benchmark).
    """
    directory = _writable(settings.index_dir)
    check_store(settings)
    with index_lock(directory):  # from reading what is indexed to the switch
        documents = _as_documents(source, settings)
        if add:
            documents = merge_documents(indexed_documents(settings, notify), documents)
        if not documents:
            raise ArticleError("Nothing to index: give at least one article.")
        encoder = encoder or SentenceTransformerEncoder(settings.model)
        previous = {**(previous_vectors(settings) if reuse else {}), **(known or {})}
        index = assemble(documents, encoder, previous, notify, show_progress=True)
        digest = cache_query_encoder(encoder, settings.cache_dir)
        index = _write_generation(directory, index, settings, digest)
    dimension = int(index.paragraph_vectors.shape[1])
    query_encoder: Encoder = (
        LazyOnnxEncoder(encoder_directory(settings.cache_dir, digest), dimension)
        if digest
        else encoder
    )
    return replace(index, encoder=query_encoder)


def assemble(
    documents: Sequence[Document],
    encoder: SentenceTransformerEncoder,
    previous: dict[str, Vectors],
    notify: Notify = log.info,
    *,
    show_progress: bool = False,
) -> ArticleIndex:
    """An index in memory: documents whose sha256 is in `previous` keep those vectors, the
    others are embedded (with a bar on a terminal's stderr when `show_progress`)."""
    fresh = list({d.sha256: d for d in documents if d.sha256 not in previous}.values())
    total = sum(len(d.paragraphs) for d in fresh) if show_progress else 0
    progress = Progress("Embedding paragraphs", total)
    embedded: dict[str, Vectors] = dict(previous)
    for group in _groups(fresh):
        for document, found in zip(group, embed_documents(encoder, group), strict=True):
            embedded[document.sha256] = found
        progress.advance(sum(len(d.paragraphs) for d in group))
    progress.close()
    vectors = [embedded[d.sha256] for d in documents]
    reused = sum(1 for d in documents if d.sha256 in previous)
    if reused:
        notify(f"Reused the embeddings of {reused} unchanged document(s).")
    dimension = int(vectors[0].sentences.shape[1])
    store = _paragraph_store(documents, vectors, EncoderEmbeddings(encoder), dimension)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": encoder.model_name,
        "dimension": dimension,
    }
    return article_index(documents, store, Vectors.concatenate(vectors), encoder, manifest)


def memory_index(
    documents: Sequence[Document],
    encoder: SentenceTransformerEncoder,
    query_encoder: Encoder | None = None,
    vectors: Sequence[Vectors] | None = None,
) -> ArticleIndex:
    """An index held only in memory (evaluation, training): nothing is written. `vectors`,
    one per document, skip the embedding (see `embed_document`)."""
    known = {d.sha256: v for d, v in zip(documents, vectors or (), strict=False)}
    index = assemble(documents, encoder, known, notify=log.debug)
    return replace(index, encoder=query_encoder or encoder)


def _paragraph_store(
    documents: Sequence[Document], vectors: Sequence[Vectors], embeddings: Any, dimension: int
) -> FaissStore:
    store = FaissStore(embeddings, dimension)
    for document, vector in zip(documents, vectors, strict=True):
        store.add_vectors(
            [p.text for p in document.paragraphs],
            vector.paragraphs,
            [_paragraph_record(document, p) for p in document.paragraphs],
            ids=[f"{document.sha256[:8]}:p{p.number}" for p in document.paragraphs],
        )
    return store


def _as_documents(source: Path | Sequence[Document] | None, settings: Settings) -> list[Document]:
    """The documents to index (none, with `add`: what is indexed is kept as it is)."""
    if source is None or isinstance(source, Path):
        return load_documents([source or settings.article])
    return list(source)


def _paragraph_record(document: Document, paragraph: Paragraph) -> dict[str, Any]:
    return {"paragraph": paragraph.number, "source": document.source, "sha": document.sha256}


def _groups(documents: Sequence[Document]) -> Iterator[list[Document]]:
    """Whole documents, about GROUP_PARAGRAPHS paragraphs at a time."""
    group: list[Document] = []
    for document in documents:
        group.append(document)
        if sum(len(d.paragraphs) for d in group) >= GROUP_PARAGRAPHS:
            yield group
            group = []
    if group:
        yield group


def embed_documents(
    encoder: SentenceTransformerEncoder, documents: Sequence[Document]
) -> list[Vectors]:
    """The documents' vectors from one pass over all their paragraphs: the encoder sorts
    them by token count into batches (bot.late_chunking). One pass per document padded each
    short document's batch to its longest paragraph, which cost a build a third of its time."""
    paragraphs = [(d, p) for d in documents for p in d.paragraphs]
    encodings = encoder.encode_paragraphs(
        [d.text[p.start : p.end] for d, p in paragraphs],
        [[(s.start - p.start, s.end - p.start) for s in p.sentences] for _, p in paragraphs],
    )
    found, at = [], 0
    for document in documents:
        count = len(document.paragraphs)
        found.append(_vectors(encodings[at : at + count]))
        at += count
        log.info("embedded %s: %d paragraphs", document.source, count)
    return found


def embed_document(encoder: SentenceTransformerEncoder, document: Document) -> Vectors:
    (found,) = embed_documents(encoder, [document])
    return found


def _vectors(encodings: Sequence[ParagraphEncoding]) -> Vectors:
    return Vectors(
        np.stack([e.paragraph for e in encodings]).astype(np.float32),
        np.concatenate([e.sentences for e in encodings]).astype(np.float32),
        np.concatenate([e.tokens for e in encodings]).astype(np.float16),
        np.concatenate([e.token_ids for e in encodings]).astype(np.int32),
        np.asarray([n for e in encodings for n in e.token_counts], dtype=np.int64),
    )


def open_index(settings: Settings, notify: Notify = log.warning) -> ArticleIndex:
    """Load the index to answer from. When there is none yet, the default article is indexed
    (the first run). Otherwise nothing is written: an index that is stale, for another model
    or damaged is rebuilt in memory from its own files, with a notice."""
    for _ in range(READ_ATTEMPTS):
        manifest = live_manifest(settings.index_dir, notify)
        if manifest is None:
            notify(f"Building the index in {settings.index_dir} (first run)...")
            return build_index(settings, None, notify=notify)
        check_format(settings.index_dir, manifest)
        reason = stale_reason(manifest, settings)
        if reason:
            notice = f"The index is out of date ({reason}); {_IN_MEMORY}"
            return _in_memory(settings, manifest, notify, notice)
        try:
            return load_index(settings, manifest, notify=notify)
        except IndexCorruptError as error:
            if _generation_of(settings.index_dir) != manifest.get("generation"):
                continue  # a build switched generations under us: read the new one
            notice = f"{error.message.rstrip('.')}; {_IN_MEMORY}"  # one sentence
            return _in_memory(settings, manifest, notify, notice)
    raise IndexStoreError(f"The index in {settings.index_dir} kept changing while being read.")


_IN_MEMORY = "answering from a copy rebuilt in memory (`articlebot index` rewrites it)."


def _generation_of(directory: Path) -> Any:
    try:
        manifest = read_manifest(directory)
    except IndexStoreError:
        return None
    return manifest and manifest.get("generation")


def _in_memory(
    settings: Settings, manifest: dict[str, Any], notify: Notify, notice: str
) -> ArticleIndex:
    """The index rebuilt in memory from its own files; vectors that are whole are reused.
    Another model than the index's is loaded before the `notice`: one that cannot load is
    then the only line (the index's own model loads only if some vectors must be remade)."""
    encoder = SentenceTransformerEncoder(settings.model)
    if manifest.get("model") != settings.model:
        _ = encoder.model
    # read first: a document that cannot be recovered is then the only line, not a promise
    # to answer ("rebuilt in memory") followed by the error that it cannot
    documents = documents_of(settings, manifest, notify)
    notify(notice)
    previous = previous_vectors(settings, manifest)
    return assemble(documents, encoder, previous, notify, show_progress=True)


def _writable(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
        foreign = foreign_entries(directory)
    except OSError as error:
        raise IndexStoreError(
            f"Cannot write the index in {directory} ({error.strerror})."
        ) from None
    if foreign:
        raise IndexStoreError(
            f"{directory} is not an index and holds other files ({', '.join(foreign[:3])}); "
            "choose an empty or new directory."
        )
    return directory


def _write_generation(
    directory: Path, index: ArticleIndex, settings: Settings, digest: str | None
) -> ArticleIndex:
    """Write a complete generation beside the live one and switch to it (bot.index_files);
    the index comes back with its manifest and the paragraph store it was written to."""
    generation, replaced = new_generation(directory), _replaced_manifest(directory)
    try:
        with disk_errors(directory):
            payload = {
                "documents": [
                    document_meta(d) | {"digest": index.tables.digest(i)}
                    for i, d in enumerate(index.documents)
                ]
            }
            text = json.dumps(payload, ensure_ascii=False)
            (generation / "documents.json").write_text(text, "utf-8")
            write_arrays(generation / "tables.bin", index.tables.arrays)
        store, store_entry = save_paragraphs(settings, generation, index, replaced)
        with disk_errors(directory):
            names = [n for n in DATA_FILES if (generation / n).exists()]
            files = {f"{generation.name}/{n}": (generation / n).stat().st_size for n in names}
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "dimension": int(index.paragraph_vectors.shape[1]),
        "generation": generation.name,
        "documents": [_manifest_entry(d) for d in index.documents],
        "encoder": digest,
        "files": files,
        "store": store_entry,
    }
    try:
        switch_to(directory, generation, manifest)
    except BaseException:
        discard(settings, store_entry)  # the generation that named it is gone
        raise
    drop_replaced(settings, replaced, manifest)
    return replace(index, store=store, manifest=manifest)


def _replaced_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest a build replaces, for the Milvus collections it names; a damaged one
    names none."""
    try:
        return read_manifest(directory)
    except IndexStoreError:
        return None


def _manifest_entry(document: Document) -> dict[str, Any]:
    local = Path(document.source).is_file()
    entry = {
        "source": str(Path(document.source).resolve()) if local else document.source,
        "title": document.title,
        "sha256": document.sha256,
        "local": local,
        "paragraphs": len(document.paragraphs),
        "sentences": len(document.sentences),
    }
    if local:  # a file whose size and time are unchanged is not read again to check it
        status = Path(document.source).stat()
        entry |= {"size": status.st_size, "mtime_ns": status.st_mtime_ns}
    return entry
