"""Embedded documents kept on disk by content: one directory per sha256, written whole.

The articles that chats hand the Telegram bot live here, each embedded once whichever
chats sent it. A document is written into a temporary directory beside the others, every
file flushed to disk, and renamed into place in one step, so a crash leaves either the
whole document or none of it. Nothing here knows about chats (see bot.chat_state).

state/documents/<sha256>/
  document.json       the document: text, paragraphs and sentences with ids and offsets
  paragraphs.npy, sentences.npy, tokens.npy, token_ids.npy, token_counts.npy
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bot.article import document_from_json, document_to_json
from bot.errors import IndexCorruptError, IndexStoreError
from bot.index_files import fsync_file
from bot.index_load import Vectors
from bot.types import Document

_SHA = re.compile(r"[0-9a-f]{64}")
_ARRAYS = ("paragraphs", "sentences", "tokens", "token_ids", "token_counts")


class DocumentStore:
    """Documents and their vectors by sha256, in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._error(error) from None

    def path(self, sha256: str) -> Path:
        if _SHA.fullmatch(sha256) is None:  # never a path of someone's choosing
            raise IndexStoreError(f"{sha256[:80]!r} is not a document's sha256.")
        return self.directory / sha256

    def has(self, sha256: str) -> bool:
        return (self.path(sha256) / "document.json").is_file()

    def shas(self) -> set[str]:
        return {p.name for p in self.directory.iterdir() if _SHA.fullmatch(p.name)}

    def put(self, document: Document, vectors: Vectors) -> int:
        """Store `document` (whole, or not at all) and return its size on disk in bytes.
        A document already stored is kept as it is."""
        final = self.path(document.sha256)
        if self.has(document.sha256):
            return self.size(document.sha256)
        try:
            staged = Path(tempfile.mkdtemp(dir=self.directory, prefix=".new-"))
            try:
                self._write(staged, document, vectors)
                os.replace(staged, final)
            finally:
                shutil.rmtree(staged, ignore_errors=True)  # gone when the rename succeeded
            fsync_file(self.directory)
        except OSError as error:
            if self.has(document.sha256):  # another thread stored it first
                return self.size(document.sha256)
            raise self._error(error) from None
        return self.size(document.sha256)

    def get(self, sha256: str) -> tuple[Document, Vectors]:
        """The document and its vectors; IndexCorruptError when they cannot be read."""
        path = self.path(sha256)
        try:
            data = json.loads((path / "document.json").read_text("utf-8"))
            document = document_from_json(data)
            arrays = [
                np.load(path / f"{name}.npy", allow_pickle=False, mmap_mode="r")
                if name == "tokens"
                else np.load(path / f"{name}.npy", allow_pickle=False)
                for name in _ARRAYS
            ]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexCorruptError(
                f"A stored article ({sha256[:12]}) is damaged: {error}"
            ) from None
        return document, Vectors(*arrays)

    def size(self, sha256: str) -> int:
        path = self.path(sha256)
        try:
            return sum(f.stat().st_size for f in path.iterdir())
        except OSError:
            return 0

    def remove(self, sha256: str) -> None:
        shutil.rmtree(self.path(sha256), ignore_errors=True)

    def remove_leftovers(self) -> None:
        """Directories a crash left half written."""
        for staged in self.directory.glob(".new-*"):
            shutil.rmtree(staged, ignore_errors=True)

    def _write(self, staged: Path, document: Document, vectors: Vectors) -> None:
        text = json.dumps(document_to_json(document), ensure_ascii=False)
        (staged / "document.json").write_text(text, "utf-8")
        for name in _ARRAYS:
            np.save(staged / f"{name}.npy", np.asarray(getattr(vectors, name)), allow_pickle=False)
        for path in staged.iterdir():
            fsync_file(path)
        fsync_file(staged)

    def _error(self, error: OSError) -> IndexStoreError:
        reason = error.strerror or type(error).__name__
        return IndexStoreError(f"Cannot keep articles in {self.directory} ({reason}).")
