"""Reading an index: what it holds, as written, or recovered from its own files.

Nothing here writes to the index (an export of the query encoder may be added to the shared
encoder cache). A manifest that is missing or damaged gives way to the newest complete
generation's own description (bot.index_files); documents are taken as stored, local files
read again where they changed; and a document that can be recovered neither way is an
error that names it, never a silent loss.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.article import document_from_json, read_bytes
from bot.embeddings import (
    Encoder,
    EncoderEmbeddings,
    OnnxEncoder,
    SentenceTransformerEncoder,
)
from bot.errors import ArticleError, IndexCorruptError, IndexStoreError, InputError
from bot.index_files import FORMAT_VERSION, complete_generations, files_intact, read_manifest
from bot.onnx_export import cache_query_encoder, cached_encoder
from bot.readers import load_document, load_documents
from bot.settings import Settings
from bot.store import FaissStore
from bot.types import Document

log = logging.getLogger(__name__)
Notify = Callable[[str], None]


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


def article_index(
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


def previous_vectors(
    settings: Settings, manifest: dict[str, Any] | None = None
) -> dict[str, Vectors]:
    """Vectors of an index by document sha256, when it was built the same way and is whole."""
    try:
        manifest = manifest or read_manifest(settings.index_dir)
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
    A document that can be recovered neither way is an error, never a silent loss."""
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
    return documents or load_documents([settings.article])  # format 1 listed no documents


def _stored_documents(directory: Path, manifest: dict[str, Any]) -> dict[str, Document]:
    """Documents as the manifest's generation stored them, else as the newest whole one did."""
    names = [str(manifest.get("generation", ""))]
    names += [m["generation"] for m in complete_generations(directory)]
    for name in names:
        try:
            return {d.source: d for d in _read_documents(directory / name / "documents.json")}
        except (ValueError, KeyError, TypeError, OSError):
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
) -> ArticleIndex:
    """Load the live generation; without `with_encoder`, only documents and vectors are
    wanted (an incremental build), so the query encoder is not loaded."""
    directory = settings.index_dir
    if not files_intact(directory, manifest):
        raise IndexCorruptError(f"The index in {directory} is damaged (a file is missing or cut).")
    generation = directory / str(manifest["generation"])
    try:
        documents = _read_documents(generation / "documents.json")
        vectors = _load_vectors(generation)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
    encoder: Any = _query_encoder(settings, manifest, notify) if with_encoder else None
    store = FaissStore.load(generation, EncoderEmbeddings(encoder))
    if not documents or not _sizes_match(documents, vectors, store, manifest["dimension"]):
        raise IndexCorruptError(f"The index in {directory} is damaged (sizes do not match).")
    return article_index(documents, store, vectors, encoder, manifest)


def _sizes_match(
    documents: list[Document], vectors: Vectors, store: FaissStore, dimension: int
) -> bool:
    sentences = sum(len(d.sentences) for d in documents)
    paragraphs = sum(len(d.paragraphs) for d in documents)
    return (
        vectors.sentences.shape == (sentences, dimension)
        and vectors.paragraphs.shape == (paragraphs, dimension)
        and vectors.token_counts.shape == (sentences,)
        and vectors.tokens.shape == (int(vectors.token_counts.sum()), dimension)
        and vectors.token_ids.shape == (len(vectors.tokens),)
        and len(store) == paragraphs
    )


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
