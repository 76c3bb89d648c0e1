"""The persisted index of one or more documents: build it, check it, load it. Never pickle.

index/
  manifest.json        format version, model, dimension, documents, the live generation
  gen-XXXXXXXX/        one complete build; a new build is written beside it, and the
                       manifest is replaced atomically to switch, so a failed build or a
                       reader mid-load never sees half an index
    documents.json     each document's text, paragraphs and sentences with ids and offsets
    paragraphs.faiss   paragraph vectors (FaissStore), with paragraphs.json records
    paragraphs.npy     the same vectors in document order, reused by incremental builds
    sentences.npy      sentence vectors, in document order
    tokens.npy         every sentence's token vectors (float16, unit length), for MaxSim;
                       token_ids.npy holds their ids and token_offsets.npy where each
                       sentence's tokens start (n_sentences + 1 entries)
  query_encoder/       the model exported to ONNX for fast, torch-free queries
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.article import document_from_json, document_to_json
from bot.embeddings import (
    ENCODER_DIR,
    Encoder,
    EncoderEmbeddings,
    LazyOnnxEncoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    ensure_query_encoder,
)
from bot.errors import ArticleError, IndexCorruptError, IndexStoreError, InputError
from bot.readers import load_document, load_documents
from bot.settings import Settings
from bot.store import FaissStore
from bot.types import Document, Paragraph

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
DATA_FILES = (
    "documents.json",
    "paragraphs.faiss",
    "paragraphs.json",
    "paragraphs.npy",
    "sentences.npy",
    "tokens.npy",
    "token_ids.npy",
    "token_offsets.npy",
)


@dataclass(frozen=True)
class ArticleIndex:
    """Everything a question needs, loaded once per process."""

    documents: tuple[Document, ...]
    store: FaissStore
    sentence_vectors: np.ndarray
    encoder: Encoder
    manifest: dict[str, Any]
    paragraph_vectors: np.ndarray
    tokens: np.ndarray  # float16 (n_tokens, dimension), memory-mapped once saved
    token_ids: np.ndarray
    token_offsets: np.ndarray  # sentence i's tokens are tokens[offsets[i]:offsets[i + 1]]

    @property
    def document(self) -> Document:
        """The first document: the article, when there is one."""
        return self.documents[0]

    def find(self, name: str) -> int:
        """The document a user means by `name`: its source, file name or title, exactly or
        as a unique part (case ignored)."""
        wanted = name.strip().lower()
        keys = [
            (d.source.lower(), Path(d.source).name.lower(), d.title.lower()) for d in self.documents
        ]
        exact = [i for i, k in enumerate(keys) if wanted in k]
        partial = [i for i, k in enumerate(keys) if wanted and any(wanted in part for part in k)]
        matches = exact or partial
        if len(matches) == 1:
            return matches[0]
        listed = "; ".join(d.title for d in self.documents)
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


def indexed_documents(settings: Settings) -> list[Document]:
    """The documents of the existing index, or none when there is no index yet."""
    manifest = read_manifest(settings.index_dir)
    if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
        return []
    return list(load_index(settings, manifest, with_encoder=False).documents)


def build_index(
    settings: Settings,
    source: Path | Sequence[Document] | None = None,
    encoder: SentenceTransformerEncoder | None = None,
    *,
    reuse: bool = True,
    notify: Callable[[str], None] = log.info,
) -> ArticleIndex:
    """Embed the documents' paragraphs (and their sentences) and switch the index to them.

    `source` is a file, documents already read, or None for the default article. With
    `reuse`, a document whose sha256 is in the current index is not embedded again. Pass an
    `encoder` already loaded to build several indexes without reloading the model.
    """
    documents = _as_documents(source, settings)
    directory = _writable(settings.index_dir)
    previous = _previous_vectors(settings) if reuse else {}
    encoder = encoder or SentenceTransformerEncoder(settings.model)
    vectors = [previous.get(d.sha256) or embed_document(encoder, d) for d in documents]
    reused = sum(1 for d in documents if d.sha256 in previous)
    if reused:
        notify(f"Reused the embeddings of {reused} unchanged document(s).")
    dimension = int(vectors[0].sentences.shape[1])
    store = _paragraph_store(documents, vectors, EncoderEmbeddings(encoder), dimension)
    merged = Vectors.concatenate(vectors)
    with _build_lock(directory):  # two writers must not delete each other's generations
        onnx_ready = ensure_query_encoder(encoder, directory, settings.model)
        manifest = _write_generation(directory, documents, store, merged, settings, onnx_ready)
    query_encoder: Encoder = (
        LazyOnnxEncoder(directory / ENCODER_DIR, dimension) if onnx_ready else encoder
    )
    return _article_index(documents, store, merged, query_encoder, manifest)


def memory_index(
    documents: Sequence[Document],
    encoder: SentenceTransformerEncoder,
    query_encoder: Encoder | None = None,
    vectors: Sequence[Vectors] | None = None,
) -> ArticleIndex:
    """An index held only in memory (evaluation, training): nothing is written. `vectors`,
    one per document, skip the embedding (see `embed_document`)."""
    parts = (
        list(vectors) if vectors is not None else [embed_document(encoder, d) for d in documents]
    )
    dimension = int(parts[0].sentences.shape[1])
    store = _paragraph_store(documents, parts, EncoderEmbeddings(encoder), dimension)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": encoder.model_name,
        "dimension": dimension,
    }
    return _article_index(
        documents, store, Vectors.concatenate(parts), query_encoder or encoder, manifest
    )


def _article_index(
    documents: Sequence[Document],
    store: FaissStore,
    vectors: Vectors,
    encoder: Encoder,
    manifest: dict[str, Any],
) -> ArticleIndex:
    offsets = np.concatenate([[0], np.cumsum(vectors.token_counts)]).astype(np.int64)
    return ArticleIndex(
        tuple(documents),
        store,
        np.asarray(vectors.sentences, dtype=np.float32),
        encoder,
        manifest,
        np.asarray(vectors.paragraphs, dtype=np.float32),
        vectors.tokens,
        vectors.token_ids,
        offsets,
    )


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
    if source is None or isinstance(source, Path):
        return load_documents([source or settings.article])
    if not source:
        raise ArticleError("Nothing to index: give at least one article.")
    return list(source)


def _paragraph_record(document: Document, paragraph: Paragraph) -> dict[str, Any]:
    return {"paragraph": paragraph.number, "source": document.source, "sha": document.sha256}


def embed_document(encoder: SentenceTransformerEncoder, document: Document) -> Vectors:
    encodings = encoder.encode_paragraphs(
        [document.text[p.start : p.end] for p in document.paragraphs],
        [[(s.start - p.start, s.end - p.start) for s in p.sentences] for p in document.paragraphs],
    )
    log.info("embedded %s: %d paragraphs", document.source, len(document.paragraphs))
    return Vectors(
        np.stack([e.paragraph for e in encodings]).astype(np.float32),
        np.concatenate([e.sentences for e in encodings]).astype(np.float32),
        np.concatenate([e.tokens for e in encodings]).astype(np.float16),
        np.concatenate([e.token_ids for e in encodings]).astype(np.int32),
        np.asarray([n for e in encodings for n in e.token_counts], dtype=np.int64),
    )


def _previous_vectors(settings: Settings) -> dict[str, Vectors]:
    """Vectors of the current index by document sha256, when it was built the same way."""
    try:
        manifest = read_manifest(settings.index_dir)
        if manifest is None or stale_reason(manifest, settings, check_files=False):
            return {}
        index = load_index(settings, manifest, with_encoder=False)
    except (IndexStoreError, ArticleError):
        return {}
    found: dict[str, Vectors] = {}
    p_at = s_at = 0
    offsets = index.token_offsets
    for document in index.documents:
        p_count, s_count = len(document.paragraphs), len(document.sentences)
        t_from, t_to = int(offsets[s_at]), int(offsets[s_at + s_count])
        found[document.sha256] = Vectors(
            index.paragraph_vectors[p_at : p_at + p_count],
            index.sentence_vectors[s_at : s_at + s_count],
            np.asarray(index.tokens[t_from:t_to]),
            np.asarray(index.token_ids[t_from:t_to]),
            np.diff(offsets[s_at : s_at + s_count + 1]),
        )
        p_at, s_at = p_at + p_count, s_at + s_count
    return found


def open_index(settings: Settings, notify: Callable[[str], None] = log.warning) -> ArticleIndex:
    """Load the index, rebuilding it when it is missing, stale, for another model or damaged."""
    directory = settings.index_dir
    try:
        manifest = read_manifest(directory)
    except IndexCorruptError as error:
        notify(f"{error.message} Rebuilding it.")
        return build_index(settings, None, notify=notify)
    if manifest is None:
        notify(f"Building the index in {directory} (first run)...")
        return build_index(settings, None, notify=notify)
    reason = stale_reason(manifest, settings)
    if reason:
        notify(f"The index is out of date ({reason}); rebuilding it.")
        return build_index(settings, _rebuild_documents(settings, manifest, notify), notify=notify)
    try:
        return load_index(settings, manifest)
    except IndexCorruptError as error:
        notify(f"{error.message} Rebuilding it.")
        return build_index(settings, _rebuild_documents(settings, manifest, notify), notify=notify)


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest, None when there is no index yet; raises when it can't be used."""
    path = directory / MANIFEST
    try:
        if directory.exists() and not directory.is_dir():
            raise IndexStoreError(f"The index path {directory} is not a directory.")
        if not path.exists():
            return None
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except PermissionError:
        raise IndexStoreError(
            f"Cannot read the index in {directory} (permission denied)."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise IndexCorruptError(f"The index manifest in {directory} is damaged.") from None
    except OSError as error:
        raise IndexStoreError(f"Cannot read the index in {directory} ({error.strerror}).") from None
    if not isinstance(manifest, dict) or "files" not in manifest:
        raise IndexCorruptError(f"The index manifest in {directory} is damaged.")
    return manifest


def stale_reason(manifest: dict[str, Any], settings: Settings, check_files: bool = True) -> str:
    """Why the index must be rebuilt, or '' when it is current."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return "it was written by another version"
    if manifest.get("model") != settings.model:
        return f"it was built with model {manifest.get('model')!r}"
    for entry in manifest.get("documents", []) if check_files else []:
        source = Path(entry.get("source", ""))
        if entry.get("local") and source.is_file() and _sha256(source) != entry.get("sha256"):
            return f"{source} has changed"
    return ""


def _rebuild_documents(
    settings: Settings, manifest: dict[str, Any], notify: Callable[[str], None]
) -> list[Document]:
    """What the index held: local files read again, fetched pages as they were stored."""
    generation = settings.index_dir / str(manifest.get("generation", ""))
    try:
        stored = {d.source: d for d in _read_documents(generation / "documents.json")}
    except (ValueError, KeyError, TypeError, OSError):
        stored = {}
    documents = []
    for entry in manifest.get("documents", []):
        source = entry.get("source", "")
        if entry.get("local") and Path(source).is_file():
            documents.append(load_document(source, None))
        elif source in stored:
            documents.append(stored[source])
        else:
            notify(f"{source} is gone; it is left out of the index.")
    if not documents:
        return _as_documents(None, settings)
    return documents


def load_index(
    settings: Settings, manifest: dict[str, Any], with_encoder: bool = True
) -> ArticleIndex:
    """Load the live generation; without `with_encoder`, only documents and vectors are
    wanted (an incremental build), so the query encoder is not loaded."""
    directory = settings.index_dir
    _check_sizes(directory, manifest)
    generation = directory / str(manifest.get("generation", ""))
    try:
        documents = _read_documents(generation / "documents.json")
        vectors = _load_vectors(generation)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
    query_encoder: Any = _query_encoder(directory, settings, manifest) if with_encoder else None
    store = FaissStore.load(generation, EncoderEmbeddings(query_encoder))
    sentences = sum(len(d.sentences) for d in documents)
    paragraphs = sum(len(d.paragraphs) for d in documents)
    dimension = manifest["dimension"]
    if (
        not documents
        or vectors.sentences.shape != (sentences, dimension)
        or vectors.paragraphs.shape != (paragraphs, dimension)
        or vectors.token_counts.shape != (sentences,)
        or vectors.tokens.shape != (int(vectors.token_counts.sum()), dimension)
        or vectors.token_ids.shape != (len(vectors.tokens),)
        or len(store) != paragraphs
    ):
        raise IndexCorruptError(f"The index in {directory} is damaged (sizes do not match).")
    return _article_index(documents, store, vectors, query_encoder, manifest)


def _load_vectors(generation: Path) -> Vectors:
    """Token vectors are memory-mapped: only the candidates' rows are ever read."""

    def load(name: str, mapped: bool = False) -> np.ndarray:
        array: np.ndarray = np.load(
            generation / name, allow_pickle=False, mmap_mode="r" if mapped else None
        )
        return array

    offsets = load("token_offsets.npy")
    if offsets.ndim != 1 or not len(offsets) or offsets[0] != 0 or (np.diff(offsets) < 0).any():
        raise ValueError("token offsets out of order")
    return Vectors(
        load("paragraphs.npy"),
        load("sentences.npy"),
        load("tokens.npy", mapped=True),
        load("token_ids.npy", mapped=True),
        np.diff(offsets),
    )


def _read_documents(path: Path) -> list[Document]:
    data = json.loads(path.read_text("utf-8"))
    return [document_from_json(entry) for entry in data["documents"]]


def _query_encoder(directory: Path, settings: Settings, manifest: dict[str, Any]) -> Encoder:
    if not manifest.get("onnx"):
        return SentenceTransformerEncoder(settings.model)
    try:
        return OnnxEncoder(directory / ENCODER_DIR)
    except Exception as error:  # onnxruntime raises its own types for damaged models
        raise IndexCorruptError(f"The query encoder in {directory} is damaged ({error}).") from None


def _check_sizes(directory: Path, manifest: dict[str, Any]) -> None:
    for name, size in manifest["files"].items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size:
            raise IndexCorruptError(
                f"The index in {directory} is damaged ({name} is missing or truncated)."
            )


def _writable(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as error:
        raise IndexStoreError(
            f"Cannot write the index in {directory} ({error.strerror})."
        ) from None
    return directory


@contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on index/.lock for the write-and-switch; readers never wait."""
    with open(directory / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_generation(
    directory: Path,
    documents: Sequence[Document],
    store: FaissStore,
    vectors: Vectors,
    settings: Settings,
    onnx_ready: bool,
) -> dict[str, Any]:
    """Write a complete generation beside the live one, then switch the manifest to it
    atomically (os.replace) and only then remove the old generation."""
    generation = Path(tempfile.mkdtemp(dir=directory, prefix="gen-"))
    try:
        payload = {"documents": [document_to_json(d) for d in documents]}
        (generation / "documents.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        store.save(generation)
        offsets = np.concatenate([[0], np.cumsum(vectors.token_counts)]).astype(np.int64)
        for name, array in (
            ("paragraphs.npy", vectors.paragraphs),
            ("sentences.npy", vectors.sentences),
            ("tokens.npy", np.asarray(vectors.tokens, dtype=np.float16)),
            ("token_ids.npy", np.asarray(vectors.token_ids, dtype=np.int32)),
            ("token_offsets.npy", offsets),
        ):
            np.save(generation / name, array, allow_pickle=False)
        files = {f"{generation.name}/{n}": (generation / n).stat().st_size for n in DATA_FILES}
        if onnx_ready:
            files |= {
                f"{ENCODER_DIR}/{n}": (directory / ENCODER_DIR / n).stat().st_size
                for n in ("model.onnx", "tokenizer.json", "encoder.json")
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": settings.model,
            "dimension": int(vectors.sentences.shape[1]),
            "generation": generation.name,
            "documents": [_manifest_entry(d) for d in documents],
            "onnx": onnx_ready,
            "files": files,
        }
        staged = directory / f".{MANIFEST}.{generation.name}"
        staged.write_text(json.dumps(manifest, indent=2), "utf-8")
        os.replace(staged, directory / MANIFEST)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _remove_old_generations(directory, keep=generation.name)
    return manifest


def _manifest_entry(document: Document) -> dict[str, Any]:
    local = Path(document.source).is_file()
    return {
        "source": str(Path(document.source).resolve()) if local else document.source,
        "title": document.title,
        "sha256": document.sha256,
        "local": local,
        "paragraphs": len(document.paragraphs),
        "sentences": len(document.sentences),
    }


def _remove_old_generations(directory: Path, keep: str) -> None:
    for old in directory.glob("gen-*"):
        if old.name != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    for leftover in ("document.json", *DATA_FILES):  # files of format version 1
        (directory / leftover).unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
