"""The persisted index of one article: build it, check it, load it. Never pickle.

index/
  manifest.json        format version, model and dimension, article sha256, file sizes
  document.json        the article text, paragraphs and sentences with ids and offsets
  paragraphs.faiss     paragraph vectors (FaissStore)
  paragraphs.json      paragraph records (FaissStore)
  sentences.npy        sentence vectors, in document order
  query_encoder/       the model exported to ONNX for fast, torch-free queries
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.article import Document, Paragraph, Sentence, read_article
from bot.embeddings import (
    ENCODER_DIR,
    Encoder,
    EncoderEmbeddings,
    LazyOnnxEncoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    export_onnx,
)
from bot.errors import ArticleError, IndexCorruptError, IndexStoreError
from bot.settings import Settings
from bot.store import FaissStore

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_FILES = ("document.json", "paragraphs.faiss", "paragraphs.json", "sentences.npy")


@dataclass(frozen=True)
class ArticleIndex:
    """Everything a question needs, loaded once per process."""

    document: Document
    store: FaissStore
    sentence_vectors: np.ndarray
    encoder: Encoder
    manifest: dict[str, Any]


def build_index(
    settings: Settings,
    source: Path | None = None,
    encoder: SentenceTransformerEncoder | None = None,
) -> ArticleIndex:
    """Embed an article's paragraphs (and their sentences) and write the index atomically.

    Pass an `encoder` already loaded to build several indexes without reloading the model.
    """
    document = read_article(source or settings.article)
    encoder = encoder or SentenceTransformerEncoder(settings.model)
    encodings = encoder.encode_paragraphs(
        [document.text[p.start : p.end] for p in document.paragraphs],
        [[(s.start - p.start, s.end - p.start) for s in p.sentences] for p in document.paragraphs],
    )
    store = FaissStore(EncoderEmbeddings(encoder), encoder.dimension)
    store.add_vectors(
        [p.text for p in document.paragraphs],
        np.stack([e.paragraph for e in encodings]),
        [{"paragraph": p.number, "source": document.source} for p in document.paragraphs],
        ids=[f"{document.sha256[:8]}:p{p.number}" for p in document.paragraphs],
    )
    sentence_vectors = np.concatenate([e.sentences for e in encodings]).astype(np.float32)
    directory = _writable(settings.index_dir)
    onnx_ready = _ensure_query_encoder(encoder, directory, settings.model)
    manifest = _write_files(directory, document, store, sentence_vectors, settings, onnx_ready)
    log.info("indexed %s: %d paragraphs", document.source, len(document.paragraphs))
    query_encoder: Encoder = (
        LazyOnnxEncoder(directory / ENCODER_DIR, encoder.dimension) if onnx_ready else encoder
    )
    return ArticleIndex(document, store, sentence_vectors, query_encoder, manifest)


def open_index(settings: Settings, notify: Callable[[str], None] = log.warning) -> ArticleIndex:
    """Load the index, rebuilding it when it is missing, stale, for another model or damaged."""
    directory = settings.index_dir
    try:
        manifest = read_manifest(directory)
    except IndexCorruptError as error:
        notify(f"{error.message} Rebuilding it.")
        return build_index(settings, _rebuild_source(None, settings))
    if manifest is None:
        notify(f"Building the index in {directory} (first run)...")
        return build_index(settings, _rebuild_source(None, settings))
    reason = stale_reason(manifest, settings)
    if reason:
        notify(f"The index is out of date ({reason}); rebuilding it.")
        return build_index(settings, _rebuild_source(manifest, settings))
    try:
        return load_index(settings, manifest)
    except IndexCorruptError as error:
        notify(f"{error.message} Rebuilding it.")
        return build_index(settings, _rebuild_source(manifest, settings))


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


def stale_reason(manifest: dict[str, Any], settings: Settings) -> str:
    """Why the index must be rebuilt, or '' when it is current."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return "it was written by another version"
    if manifest.get("model") != settings.model:
        return f"it was built with model {manifest.get('model')!r}"
    source = Path(manifest.get("source", ""))
    if source.is_file() and _sha256(source) != manifest.get("article_sha256"):
        return f"{source} has changed"
    return ""


def load_index(settings: Settings, manifest: dict[str, Any]) -> ArticleIndex:
    directory = settings.index_dir
    _check_sizes(directory, manifest)
    try:
        document = _document_from_json(json.loads((directory / "document.json").read_text("utf-8")))
        vectors = np.load(directory / "sentences.npy", allow_pickle=False)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise IndexCorruptError(f"The index in {directory} is damaged ({error}).") from None
    encoder = _query_encoder(directory, settings, manifest)
    store = FaissStore.load(directory, EncoderEmbeddings(encoder))
    if vectors.shape != (len(document.sentences), manifest["dimension"]) or len(store) != len(
        document.paragraphs
    ):
        raise IndexCorruptError(f"The index in {directory} is damaged (sizes do not match).")
    return ArticleIndex(document, store, vectors.astype(np.float32), encoder, manifest)


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


def _rebuild_source(manifest: dict[str, Any] | None, settings: Settings) -> Path:
    if manifest and Path(manifest.get("source", "")).is_file():
        return Path(manifest["source"])
    if not settings.article.is_file():
        raise ArticleError(f"Cannot build the index: article file not found: {settings.article}")
    return settings.article


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


def _ensure_query_encoder(encoder: SentenceTransformerEncoder, directory: Path, model: str) -> bool:
    """Export the ONNX query encoder once per model; an intact export is reused across articles."""
    target = directory / ENCODER_DIR
    if _export_stamp(target) == {"model": model, "sizes": _export_sizes(target)}:
        return (target / "encoder.json").is_file()
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".encoder-"))
    ok = export_onnx(encoder, staging)
    stamp = {"model": model, "sizes": _export_sizes(staging)}
    (staging / "model.json").write_text(json.dumps(stamp), "utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return ok


def _export_stamp(target: Path) -> Any:
    try:
        return json.loads((target / "model.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _export_sizes(target: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(target.glob("*")) if p.name != "model.json"}


def _write_files(
    directory: Path,
    document: Document,
    store: FaissStore,
    sentence_vectors: np.ndarray,
    settings: Settings,
    onnx_ready: bool,
) -> dict[str, Any]:
    """Write into a staging folder, then move each file in; the manifest goes last."""
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".build-"))
    try:
        (staging / "document.json").write_text(
            json.dumps(_document_to_json(document), ensure_ascii=False), "utf-8"
        )
        store.save(staging)
        np.save(staging / "sentences.npy", sentence_vectors, allow_pickle=False)
        files = {name: (staging / name).stat().st_size for name in DATA_FILES}
        if onnx_ready:
            files |= {
                f"{ENCODER_DIR}/{n}": (directory / ENCODER_DIR / n).stat().st_size
                for n in ("model.onnx", "tokenizer.json", "encoder.json")
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": settings.model,
            "dimension": int(sentence_vectors.shape[1]),
            "source": str(Path(document.source).resolve()),
            "title": document.title,
            "article_sha256": document.sha256,
            "onnx": onnx_ready,
            "files": files,
        }
        (directory / MANIFEST).unlink(missing_ok=True)
        for name in DATA_FILES:
            (staging / name).replace(directory / name)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), "utf-8")
        (staging / MANIFEST).replace(directory / MANIFEST)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(
        path.read_bytes().decode("utf-8-sig", "replace").encode("utf-8")
    ).hexdigest()


def _document_to_json(document: Document) -> dict[str, Any]:
    return {
        "source": document.source,
        "title": document.title,
        "text": document.text,
        "sha256": document.sha256,
        # vars(), not asdict(): asdict deep-copies and costs seconds on long documents
        "paragraphs": [
            {
                **{k: v for k, v in vars(p).items() if k != "sentences"},
                "sentences": [vars(s) for s in p.sentences],
            }
            for p in document.paragraphs
        ],
    }


def _document_from_json(data: dict[str, Any]) -> Document:
    paragraphs = tuple(
        Paragraph(
            number=p["number"],
            text=p["text"],
            start=p["start"],
            end=p["end"],
            role=p["role"],
            sentences=tuple(Sentence(**s) for s in p["sentences"]),
        )
        for p in data["paragraphs"]
    )
    return Document(data["source"], data["title"], data["text"], data["sha256"], paragraphs)
