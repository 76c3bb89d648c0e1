"""An article's bytes: read within a size limit, refused when they are not text, decoded and
cleaned of what a reader cannot see (controls, zero-width characters, bidi marks)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from bot.errors import ArticleError

MAX_ARTICLE_BYTES = 20 * 1024 * 1024


def read_bytes(path: Path, limit: int = MAX_ARTICLE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them. Devices, pipes and sockets are
    refused before a byte is read: /dev/zero never ends and a FIFO waits for a writer, and
    neither has a size to trust."""
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer before we can look
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ArticleError(f"Article file not found: {path}") from None
    except PermissionError:
        raise ArticleError(f"Article file cannot be read (permission denied): {path}") from None
    except OSError as error:
        raise ArticleError(f"Article file cannot be read: {path} ({error.strerror})") from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise ArticleError(f"{path} is a directory, not an article file.")
        if not stat.S_ISREG(mode):
            raise ArticleError(f"{path} is not a regular file (a device, pipe or socket).")
        with open(handle, "rb", closefd=False) as file:
            data = file.read(limit + 1)  # one byte more tells us it is too big
    except OSError as error:
        raise ArticleError(f"Article file cannot be read: {path} ({error.strerror})") from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise ArticleError(f"{path} is larger than {limit // 2**20} MB.")
    return data


def decode_article(data: bytes, *, name: str = "article") -> str:
    """Decode UTF-8 text; binary or undecodable input is refused clearly. Control
    characters are removed (line breaks become newlines), so an article can never move a
    terminal's cursor, retitle its window or hide text; so are invisible ones (INVISIBLE)."""
    kind = _document_format(data)
    if kind:
        raise ArticleError(
            f"{name} is {kind} file; articlebot reads plain text, Markdown and HTML: "
            "save it as one of those."
        )
    if b"\x00" in data[:65536] or _control_ratio(data[:65536]) > 0.05:
        raise ArticleError(f"{name} looks like a binary file, not text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(
            f"{name} is not UTF-8 text (bad byte at offset {error.start}); save it as UTF-8."
        ) from None
    text = without_controls(text)
    if not text.strip():
        raise ArticleError(f"{name} has no text.")
    return text


# C0 and C1 controls and DEL, but tab and newline; CR, FF and VT end lines
_CONTROLS: dict[int, str | None] = {c: None for c in (*range(32), *range(127, 160))}
_CONTROLS |= {9: "\t", 10: "\n", 11: "\n", 12: "\n", 13: "\n"}
# Bidi embeddings, overrides and isolates reorder what a terminal or chat shows ("Trojan
# Source"): the letters stay, the reordering goes. Zero-width characters, the soft hyphen
# and the bidi marks, unseen, split a word ("Mos\u200bcow" is not "Moscow") and rode along
# in citations. The HTML reader's check ignores them all (trafilatura drops them).
INVISIBLE = dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200D))
INVISIBLE |= dict.fromkeys(map(ord, "\u00ad\u034f\u061c\u200b\u200c\u200e\u200f\u2060\ufeff"))
_CONTROLS |= {c: None for c in INVISIBLE if c not in (0x200C, 0x200D)}
# a zero-width joiner between two pictures draws one (woman + microscope: a scientist); a
# joiner or non-joiner between two letters of Arabic script or of India's scripts is part of
# the spelling (Persian "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", Hindi
# "\u0915\u094d\u200d\u0937"): without it the word is drawn joined, misspelt. Elsewhere
# both go.
_PICTURES = "\u2300-\u2bff\U0001f000-\U0001faff"
_JOINING = "\u0600-\u077f\u08a0-\u08ff\u0900-\u0dff\ufb50-\ufdff\ufe70-\ufefc"
_LOOSE_JOINER = re.compile(
    f"(?<=[{_JOINING}])([\u200c\u200d])(?=[{_JOINING}])"
    f"|(?<=[{_PICTURES}\ufe0f])(\u200d)(?=[{_PICTURES}])|[\u200c\u200d]"
)


# formats a user may hand over that are not text: named, so the error says what to do
_SIGNATURES = (
    (b"%PDF-", "a PDF"),
    (b"{\\rtf", "an RTF"),
    (b"PK\x03\x04", "a ZIP (Word, EPUB or OpenDocument)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office"),
)


def _document_format(data: bytes) -> str:
    head = data[:8]
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), "")


def without_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").translate(_CONTROLS)
    if "\u200c" not in text and "\u200d" not in text:
        return text
    return _LOOSE_JOINER.sub(lambda joiner: joiner.group(1) or joiner.group(2) or "", text)


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(data)
