"""Reading an index: what it holds, as written, or recovered from its own files.

Nothing here writes to the index (an export of the query encoder may be added to the shared
encoder cache). Loading maps the generation's arrays into memory (bot.arrays) and reads
nothing in proportion to the archive. A manifest that is missing or damaged gives way to the
newest complete generation's own description (bot.index_files); documents are taken as
stored, local files read again where they changed; and a document that can be recovered
neither way is an error that names it, never a silent loss.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.arrays import EveryFew, read_arrays
from bot.decoding import read_bytes
from bot.embeddings import Encoder, EncoderEmbeddings, OnnxEncoder, SentenceTransformerEncoder
from bot.errors import (
    ArticleError,
    IndexCorruptError,
    IndexFormatError,
    IndexStoreError,
    InputError,
)
from bot.index_files import FORMAT_VERSION, complete_generations, files_intact, read_manifest
from bot.onnx_export import cache_query_encoder, cached_encoder
from bot.paragraph_store import open_paragraphs
from bot.readers import load_document
from bot.settings import Settings
from bot.tables import SEPARATOR, StoredDocuments, Tables, build_tables, offsets_in_order
from bot.token_codes import VECTOR_DTYPE, similarity_to, vector_arrays
from bot.types import Document

log = logging.getLogger(__name__)
RELEASE_EVERY = 4  # questions; 4 to 16 answered alike at 12,000 paragraphs, 4 holds least
Notify = Callable[[str], None]


@dataclass(frozen=True)
class ArticleIndex:
    """Everything a question needs, loaded once per process: the arrays are memory-mapped
    once saved, so loading reads nothing in proportion to the archive."""

    documents: Sequence[Document]
    # a LangChain VectorStore of the paragraphs: bot.store.FaissStore by default, or
    # bot.store_milvus.MilvusStore (bot.paragraph_store); None when only vectors were wanted
    store: Any
    encoder: Encoder
    manifest: dict[str, Any]
    tables: Tables
    paragraph_vectors: np.ndarray  # float16, one row per paragraph of every document
    # the map is released after every few questions, not each (bot.arrays.EveryFew)
    release: EveryFew = field(
        default_factory=lambda: EveryFew(RELEASE_EVERY), compare=False, repr=False
    )

    @property
    def document(self) -> Document:
        """The first document: the article, when there is one."""
        return self.documents[0]

    @property
    def token_offsets(self) -> np.ndarray:
        """Sentence i's tokens are rows offsets[i]:offsets[i + 1]."""
        return self.tables.arrays["token_offsets"]

    @property
    def token_ids(self) -> np.ndarray:
        return self.tables.arrays["token_ids"]

    def token_similarity(self, rows: np.ndarray, query_tokens: np.ndarray) -> np.ndarray:
        """Dot products of the given token rows (decoded from the map, bot.token_codes) with
        each of a question's token vectors: (rows, question tokens)."""
        similarity = similarity_to(self.tables.arrays["token_codes"][rows], query_tokens)
        # the largest read of a question, done: unmap what it and the few before it
        # touched (bot.arrays.release), so RSS does not grow with the archive
        self.release(self.tables.arrays["token_codes"])
        return similarity

    def sentence_rows(self, positions: Sequence[int]) -> np.ndarray:
        """The sentence vectors at `positions` (float32, stored as float16)."""
        rows = self.tables.arrays["sentence_vectors"][list(positions)]
        return np.asarray(rows, dtype=np.float32)

    @property
    def sentence_vectors(self) -> np.ndarray:
        """Every sentence vector (reads them all: for building and tests)."""
        return self.sentence_rows(range(self.tables.sentence_count))

    def find(self, name: str) -> int:
        """The document a user means by `name`: its source, file name or title, exactly or
        as a unique part (case ignored)."""
        wanted = name.strip().lower()
        keys = [
            (str(m["source"]).lower(), Path(str(m["source"])).name.lower(), str(m["title"]).lower())
            for m in self.tables.meta
        ]
        exact = [i for i, k in enumerate(keys) if wanted in k]
        partial = [i for i, k in enumerate(keys) if wanted and any(wanted in part for part in k)]
        matches = exact or partial
        if len(matches) == 1:
            return matches[0]
        listed = "; ".join(str(m["title"]) for m in self.tables.meta)
        if not matches:
            raise InputError(f"No indexed document matches {name!r}. Indexed: {listed}")
        raise InputError(f"{name!r} matches several documents; be more specific. Indexed: {listed}")


@dataclass(frozen=True)
class Vectors:
    """One document's vectors, or the index's (documents one after another)."""

    paragraphs: np.ndarray
    sentences: np.ndarray
    tokens: np.ndarray
    token_ids: np.ndarray
    token_counts: np.ndarray  # tokens per sentence

    @staticmethod
    def concatenate(parts: Sequence[Vectors]) -> Vectors:
        return Vectors(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("paragraphs", "sentences", "tokens", "token_ids", "token_counts")
            )
        )


def article_index(
    documents: Sequence[Document],
    store: Any,
    vectors: Vectors,
    encoder: Encoder,
    manifest: dict[str, Any],
) -> ArticleIndex:
    """An index in memory, with the arrays a saved one maps (bot.tables, bot.token_codes)."""
    # the paragraph vectors as encoded: the store's copy is normalised again, which can
    # move the last bit, and the features read these
    paragraphs = np.asarray(vectors.paragraphs, dtype=VECTOR_DTYPE)
    arrays = build_tables(documents) | vector_arrays(
        vectors.sentences, vectors.tokens, vectors.token_ids, vectors.token_counts
    )
    arrays["paragraph_vectors"] = paragraphs.reshape(len(paragraphs), -1)
    tables = Tables(arrays, [document_meta(d) for d in documents])
    return ArticleIndex(tuple(documents), store, encoder, manifest, tables, paragraphs)


def document_meta(document: Document) -> dict[str, Any]:
    return {"source": document.source, "title": document.title, "sha256": document.sha256}


def previous_vectors(
    settings: Settings, manifest: dict[str, Any] | None = None
) -> dict[str, Vectors]:
    """Vectors of an index by document sha256, when it was built the same way and is whole.
    Token vectors come as the stored int8 codes (views of the map, not copies): encoding is
    scale-free, so they encode to themselves (bot.token_codes)."""
    try:
        manifest = manifest or read_manifest(settings.index_dir)
        if manifest is None or stale_reason(manifest, settings, check_files=False):
            return {}
        index = load_index(settings, manifest, with_encoder=False, with_store=False)
    except (IndexStoreError, ArticleError):
        return {}
    arrays, found = index.tables.arrays, {}
    offsets = index.token_offsets
    for number, meta in enumerate(index.tables.meta):
        p_from, p_to = (int(n) for n in arrays["doc_paragraphs"][number : number + 2])
        s_from, s_to = (int(n) for n in arrays["doc_sentences"][number : number + 2])
        t_from, t_to = int(offsets[s_from]), int(offsets[s_to])
        found[str(meta["sha256"])] = Vectors(
            np.array(index.paragraph_vectors[p_from:p_to], dtype=np.float32),
            index.sentence_rows(range(s_from, s_to)),
            np.asarray(arrays["token_codes"][t_from:t_to]),  # encode to themselves
            np.asarray(index.token_ids[t_from:t_to], dtype=np.int32),
            np.diff(offsets[s_from : s_to + 1]),
        )
    return found


def indexed_documents(settings: Settings, notify: Notify = log.warning) -> list[Document]:
    """The documents of the existing index, none when there is no index yet; recovered from
    the generation's own files when the manifest is damaged. Raises rather than drop one."""
    manifest = live_manifest(settings.index_dir, notify)
    return [] if manifest is None else documents_of(settings, manifest, notify)


def live_manifest(directory: Path, notify: Notify) -> dict[str, Any] | None:
    """The manifest; when it is missing or damaged but a complete generation is left, that
    generation's own manifest. None only when there is no index at all."""
    try:
        manifest = read_manifest(directory)
    except IndexCorruptError as error:
        manifest, problem = None, error.message
    else:
        problem = f"The index manifest in {directory} is missing."
    if manifest is not None or not directory.is_dir():
        return manifest
    recovered = complete_generations(directory)
    if recovered:
        notify(f"{problem} Reading its last complete build, {recovered[0]['generation']}.")
        return recovered[0]
    if problem.endswith("is missing."):
        return None
    raise IndexCorruptError(
        f"{problem} No complete build is left to recover from: index the sources again."
    )


def documents_of(settings: Settings, manifest: dict[str, Any], notify: Notify) -> list[Document]:
    """What the index held: documents as stored, local files read again where they changed.
    A document that can be recovered neither way is an error, never a silent loss. An index
    in another format is an error that says to rebuild it (an archive is too big to convert
    silently at every start)."""
    check_format(settings.index_dir, manifest)
    stored = _stored_documents(settings.index_dir, manifest)
    documents, lost = [], []
    for entry in manifest.get("documents", []):
        source = str(entry.get("source", ""))
        document = stored.get(source)
        if entry.get("local") and (document is None or _changed(entry)):
            document = _read_again(source, document, notify)
        if document is None:
            lost.append(source)
        else:
            documents.append(document)
    if lost:
        raise IndexCorruptError(
            f"The index in {settings.index_dir} is damaged and cannot give back "
            f"{', '.join(lost)}: index {'it' if len(lost) == 1 else 'them'} again."
        )
    return documents


def check_format(directory: Path, manifest: dict[str, Any]) -> None:
    version = manifest.get("format_version")
    if version == FORMAT_VERSION:
        return
    older = isinstance(version, int) and version < FORMAT_VERSION
    raise IndexFormatError(
        f"The index in {directory} was written by {'an older' if older else 'another'} "
        f"articlebot (format {version}; this one reads format {FORMAT_VERSION}): rebuild it "
        "with `articlebot index SOURCE ...`, or delete it."
    )


def _stored_documents(directory: Path, manifest: dict[str, Any]) -> dict[str, Document]:
    """Documents as the manifest's generation stored them, else as the newest whole one did."""
    names = [str(manifest.get("generation", ""))]
    names += [m["generation"] for m in complete_generations(directory)]
    for name in names:
        try:
            return {d.source: d for d in _read_documents(directory / name)}
        except (ValueError, KeyError, TypeError, IndexError, OSError):
            continue
    return {}


def _read_again(source: str, stored: Document | None, notify: Notify) -> Document | None:
    try:
        return load_document(source, None)
    except ArticleError as error:
        if stored is not None:
            notify(f"{error.message} Keeping {source} as it was indexed.")
        return stored


def _changed(entry: dict[str, Any]) -> bool:
    """Whether a local file differs from what was indexed: by its size and time when they
    were recorded and are unchanged (no read), else by its sha256."""
    try:
        status = Path(str(entry.get("source", ""))).stat()
    except OSError:
        return False  # gone: the stored copy stands
    if (entry.get("size"), entry.get("mtime_ns")) == (status.st_size, status.st_mtime_ns):
        return False
    try:
        data = read_bytes(Path(str(entry.get("source", ""))))
    except ArticleError:
        return False  # gone or unreadable: the stored copy stands
    return hashlib.sha256(data).hexdigest() != entry.get("sha256")


def stale_reason(manifest: dict[str, Any], settings: Settings, check_files: bool = True) -> str:
    """Why the index must be rebuilt, or '' when it is current."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return "it was written by another version"
    if manifest.get("model") != settings.model:
        return f"it was built with model {manifest.get('model')!r}"
    for entry in manifest.get("documents", []) if check_files else []:
        if entry.get("local") and Path(str(entry.get("source"))).is_file() and _changed(entry):
            return f"{entry.get('source')} has changed"
    return ""


def load_index(
    settings: Settings,
    manifest: dict[str, Any],
    with_encoder: bool = True,
    notify: Notify = log.warning,
    with_store: bool = True,
) -> ArticleIndex:
    """Map the live generation into memory; without `with_encoder` and `with_store`, only
    documents and vectors are wanted (an incremental build, which may move the index to
    another store), so neither the query encoder nor the paragraph store is opened."""
    directory = settings.index_dir
    if not files_intact(directory, manifest):
        raise IndexCorruptError(f"The index in {directory} is damaged (a file is missing or cut).")
    generation = directory / str(manifest["generation"])
    try:
        tables = _read_tables(generation)
    except (ValueError, KeyError, TypeError, IndexError, OSError) as error:
        raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
    encoder: Any = _query_encoder(settings, manifest, notify) if with_encoder else None
    store = (
        open_paragraphs(settings, manifest, generation, EncoderEmbeddings(encoder), tables)
        if with_store
        else None
    )
    if not tables.meta or not _sizes_match(tables, store, manifest["dimension"]):
        raise IndexCorruptError(f"The index in {directory} is damaged (sizes do not match).")
    if not offsets_in_order(tables.arrays):
        raise IndexCorruptError(f"The index in {directory} is damaged (offsets out of order).")
    documents = StoredDocuments(tables)
    paragraphs = tables.arrays["paragraph_vectors"]
    return ArticleIndex(documents, store, encoder, manifest, tables, paragraphs)


def _sizes_match(tables: Tables, store: Any, dimension: int) -> bool:
    """The arrays agree with each other: checked on their shapes and last entries only."""
    a = tables.arrays
    sentences, paragraphs, tokens = (
        tables.sentence_count,
        tables.paragraph_count,
        len(a["token_ids"]),
    )
    return (
        len(a["doc_sentences"]) == len(a["doc_paragraphs"]) == len(tables.meta) + 1
        and a["par_sentences"].shape == (paragraphs + 1,)
        and int(a["par_sentences"][-1]) == sentences
        and a["sen_bytes"].shape == a["sen_chars"].shape == (sentences, 2)
        and a["leans"].shape == a["length_norm"].shape == (sentences,)
        and a["sentence_vectors"].shape == (sentences, dimension)
        and a["paragraph_vectors"].shape == (paragraphs, dimension)
        and a["token_offsets"].shape == (sentences + 1,)
        and int(a["token_offsets"][-1]) == tokens
        and a["token_codes"].shape == (tokens, dimension)
        and int(a["doc_bytes"][-1]) == len(a["text"]) + len(SEPARATOR)
        and (store is None or len(store) == paragraphs)
    )


def _read_tables(generation: Path) -> Tables:
    meta = json.loads((generation / "documents.json").read_text("utf-8"))["documents"]
    if not all(isinstance(m, dict) and {"source", "title", "sha256"} <= set(m) for m in meta):
        raise ValueError("documents.json is malformed")
    return Tables(read_arrays(generation / "tables.bin"), meta)


def _read_documents(generation: Path) -> list[Document]:
    tables = _read_tables(generation)
    return [tables.document(i) for i in range(len(tables.meta))]


def _query_encoder(settings: Settings, manifest: dict[str, Any], notify: Notify) -> Encoder:
    """The ONNX export the index names, from the shared cache when it is whole there, else
    made there now from the model (once); else torch (slower, the same vectors)."""
    digest = manifest.get("encoder")
    found = cached_encoder(settings.cache_dir, digest if isinstance(digest, str) else None)
    if found is None and isinstance(digest, str):
        reference = SentenceTransformerEncoder(settings.model)
        notify(
            f"The query encoder in {settings.cache_dir} is missing or damaged; "
            "exporting it again (once)."
        )
        if cache_query_encoder(reference, settings.cache_dir) == digest:
            found = cached_encoder(settings.cache_dir, digest)
        if found is None:
            notify(
                f"The query encoder for {settings.model} is missing; using torch, which is slower."
            )
            return reference
    if found is not None:
        try:
            return OnnxEncoder(found)
        except Exception:  # onnxruntime raises its own types for damaged models
            notify("The query encoder is damaged; using torch, which is slower.")
    return SentenceTransformerEncoder(settings.model)
