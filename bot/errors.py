"""One exception tree; every message is fit to show a user as it is.

ArticlebotError
├── InputError             the question cannot be asked
├── ArticleError           the article cannot be read
│   └── FetchError         a URL cannot be fetched (or may not be: a private address)
├── IndexStoreError        the index directory cannot be used
│   ├── IndexCorruptError  the files are there but damaged (read around when possible)
│   ├── IndexFormatError   written by an older articlebot: rebuild it
│   └── StoreError         the paragraph store (Milvus) cannot be reached or used
├── ModelError             the embedding model cannot be loaded
├── LLMError               the optional LLM cannot be loaded (failures while answering fall back)
├── ConfigError            a setting or secret is missing or malformed
└── OutputError            the answer cannot be written (a full disk, a closed pipe)
"""

from __future__ import annotations


class ArticlebotError(Exception):
    """Base class: `str(error)` is a one-line message for the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(ArticlebotError):
    """A question that is empty, too long or not text."""

    exit_code = 2


class ArticleError(ArticlebotError):
    """A missing, binary or undecodable article file."""

    exit_code = 3


class FetchError(ArticleError):
    """A URL that times out, is too big, is not HTML or text, or points somewhere private."""


class IndexStoreError(ArticlebotError):
    """An index directory that cannot be read or written."""

    exit_code = 4


class IndexCorruptError(IndexStoreError):
    """Index files that are truncated or inconsistent."""


class IndexFormatError(IndexStoreError):
    """An index in an older format: an archive is too big to convert silently at start-up."""


class StoreError(IndexStoreError):
    """A Milvus server that cannot be reached in time, a Milvus Lite file another process
    holds, a Milvus call that fails, or the `[milvus]` extra not installed."""


class ModelError(ArticlebotError):
    """An embedding model that cannot be found or loaded."""

    exit_code = 5


class LLMError(ArticlebotError):
    """An LLM model file that is missing or not a model, or an extra that is not installed."""

    exit_code = 6


class ConfigError(ArticlebotError):
    """A missing token, a malformed allowlist, an unreadable token file."""

    exit_code = 2


class OutputError(ArticlebotError):
    """Standard output that cannot be written: a full disk, or a reader that went away."""

    exit_code = 7

    def __init__(self, message: str, *, broken_pipe: bool = False) -> None:
        super().__init__(message)
        self.broken_pipe = broken_pipe
