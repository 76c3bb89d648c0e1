"""Any source to a Document: plain text, Markdown and HTML files (optionally gzipped) and URLs.

Every reader ends in the same plain-text parser, so a sentence is always a slice of
`Document.text`: for text files that is the file itself; for Markdown and HTML it is the
readable text we render from them (markup gone, headings and list items kept as lines).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import html
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import zip_longest
from pathlib import Path, PurePath
from typing import Any

from bot.article import parse_article
from bot.decoding import MAX_ARTICLE_BYTES, decode_article, read_bytes, without_controls
from bot.errors import ArticleError
from bot.inflate import inflate
from bot.logsafety import redact_url
from bot.types import Document, Raw
from bot.webpage import html_to_text

MAX_TITLE_CHARS = 200
STDIN = "/dev/stdin"
STDIN_NAMES = ("-", STDIN)
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_META_CHARSET = re.compile(rb"""<meta[^<>]+charset=["']?([A-Za-z0-9_\-]+)""", re.I)
_MD_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
# "[ref]: http://..." defines a link and shows nothing; "[^1]: Text." is a footnote's text
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[(?!\^)[^\[\]]+\]:\s*\S")
_FOOTNOTE = re.compile(r"^\s{0,3}\[\^[^\[\]]+\]:\s*(.*)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
# a table's separator row, "| --- | :-: |": a pipe and nothing but these characters (one
# character class: the old single pattern took quadratic time over a line of pipes)
_TABLE_CHARS = re.compile(r"[\s:|-]*")
_SETEXT = re.compile(r"\s*(?:=+|-+)\s*")
# whitespace and comments before a page's doctype; a comment with no end is not skipped
_LEADING_COMMENTS = re.compile(rb"(?:\s|<!--(?:[^-]|-(?!->))*-->)*")
_XML_ENCODING = re.compile(rb"""^<\?xml[^<>]+encoding=["']([A-Za-z0-9_\-]+)""")
# codecs Python knows that are not character sets a page may declare: they transform text
# (IDNA, escapes) or, as UTF-7, hide markup; decoding a page with them is refused
_NOT_CHARSETS = {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "utf-7"}


def is_url(source: str) -> bool:
    return re.match(r"^https?://", source, re.I) is not None


def load_document(source: str, policy: Any = None) -> Document:
    """A file path or an http(s) URL (fetched under `policy`, a FetchPolicy) as a Document."""
    if is_url(source):
        from bot.fetch import FetchPolicy, fetch

        return document_from(fetch(source, policy or FetchPolicy()))
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", source):
        shown = redact_url(source)
        raise ArticleError(f"Only http:// and https:// URLs can be indexed, not {shown!r}.")
    if source in STDIN_NAMES and not _stdin_is_a_file():
        data = read_stdin()
        if not data.strip():
            raise ArticleError(
                "Standard input is empty: pipe an article in (cat story.txt | articlebot index -)."
            )
        if data.startswith(b"\x1f\x8b"):  # gzip ('gzip -c story.txt | ...'), as a .gz file is
            data = _gunzip(data, "Standard input")
        # named by its text, as it has no path: a second story piped with --add is added
        # beside the first, not put in its place, and the same story again is unchanged
        return document_from(raw_from_bytes(data, f"stdin:{hashlib.sha256(data).hexdigest()[:12]}"))
    # stdin redirected from a file ("< story.txt") is that file, read again when it changes
    path = Path(STDIN if source == "-" else source).expanduser()
    # a loop of symbolic links cannot be resolved: opening it then says so, in one line
    with contextlib.suppress(RuntimeError, OSError):
        path = path.resolve()
    return document_from(read_file(path))


def load_documents(
    sources: Sequence[str | Path], policy: Any = None, notify: Callable[[str], None] | None = None
) -> list[Document]:
    """Read every source first, so a bad one fails before the index is touched. A source
    with the same bytes as one before it is indexed once, and `notify` is told."""
    documents: dict[str, Document] = {}
    stdin_read = False
    for source in sources:
        if str(source) in STDIN_NAMES:
            # stdin is read once: '- -' (or '- /dev/stdin') read a drained pipe the second
            # time and refused the empty story ("stdin:e3b0c44298fc has no text")
            if stdin_read:
                continue
            stdin_read = True
        document = load_document(str(source), policy)
        first = documents.setdefault(document.sha256, document)
        if first is not document and notify is not None:
            notify(f"{document.source} has the same bytes as {first.source}: indexed once.")
    return list(documents.values())


def merge_documents(current: Sequence[Document], new: Sequence[Document]) -> list[Document]:
    """New documents replace those with the same source; the order of first indexing stays."""
    fresh = {d.source: d for d in new}
    merged = [fresh.pop(d.source, d) for d in current]
    return merged + [d for d in new if d.source in fresh]


def read_stdin(limit: int = MAX_ARTICLE_BYTES) -> bytes:
    """What is piped to stdin ('cat story.txt | articlebot index -'), at most `limit` bytes.
    The one pipe or device we read, for the user connected it; a terminal is refused, as
    waiting for typing would look like a hang."""
    if sys.stdin is None:
        raise ArticleError("There is no standard input to read an article from.")
    if sys.stdin.isatty():
        raise ArticleError(
            "Standard input is a terminal: pipe an article in (cat story.txt | "
            "articlebot index -) or name its file."
        )
    try:
        data = sys.stdin.buffer.read(limit + 1)  # one byte more tells us it is too big
    except (OSError, ValueError) as error:  # ValueError: a closed stream
        raise ArticleError(f"Standard input cannot be read ({error}).") from None
    if len(data) > limit:
        raise ArticleError(f"Standard input is larger than {limit // 2**20} MB.")
    return data


def _stdin_is_a_file() -> bool:
    try:
        return sys.stdin is not None and stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError):  # io.UnsupportedOperation: a stream with no descriptor
        return False


def read_file(path: Path) -> Raw:
    """A local file, gunzipped when it ends in .gz; its kind comes from its suffix."""
    return raw_from_bytes(read_bytes(path), str(path))


def raw_from_bytes(data: bytes, name: str) -> Raw:
    """The bytes of a file called `name` (a path, or the name a file was sent under),
    gunzipped when it ends in .gz; its kind comes from its suffix."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{name} is larger than {MAX_ARTICLE_BYTES // 2**20} MB.")
    sha = hashlib.sha256(data).hexdigest()
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        data = _gunzip(data, name)
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and _looks_like_html(data)):
        kind = "html"
    elif suffix in MARKDOWN_SUFFIXES or (not suffix and _opens_with_a_markdown_heading(data)):
        kind = "markdown"
    else:
        kind = "text"
    return Raw(name, data, kind, sha256=sha)


_MARKDOWN_HEADING = re.compile(rb"\s*#{1,6}[ \t]+\S")


def _opens_with_a_markdown_heading(data: bytes) -> bool:
    """Markdown with no suffix to say so (piped to stdin: "# Town news" was read as a title
    with its hash mark): its first line is an ATX heading."""
    return _MARKDOWN_HEADING.match(data[:512].removeprefix(codecs.BOM_UTF8)) is not None


def _gunzip(data: bytes, name: str) -> bytes:
    """Every member, with a cap, so a small bomb cannot fill memory; a file cut short is
    refused rather than read in part."""
    if not data.startswith(b"\x1f\x8b"):
        raise ArticleError(f"{name} is not a valid gzip file.")
    return inflate([data], ["gzip"], MAX_ARTICLE_BYTES, name)


def _looks_like_html(data: bytes) -> bool:
    """A page with no .html suffix (piped to stdin, saved without one): it opens with a
    doctype, <html> or an XML declaration, after a byte order mark and any comments (a
    browser's "Save page as" writes '<!-- saved from url=... -->' first)."""
    head = data[:2048].removeprefix(codecs.BOM_UTF8)
    head = head[_LEADING_COMMENTS.match(head).end() :].lower()  # type: ignore[union-attr]
    return (
        head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower()
    )


def document_from(raw: Raw) -> Document:
    """Parse raw bytes of any kind; the document's sha256 is of the bytes, for re-indexing."""
    text = decode(raw)
    if raw.kind == "html":
        rendered, title = html_to_text(text)
    elif raw.kind == "markdown":
        rendered, title = markdown_to_text(text), ""
    else:
        rendered, title = text, ""
    # entities are decoded after the bytes were cleaned ("&#8203;", "&lrm;", "&#x202e;"):
    # what they stand for is removed as it would have been from the bytes
    rendered, title = without_controls(rendered), without_controls(title)
    if not rendered.strip():
        raise ArticleError(f"{raw.source} has no readable text.")
    sha = raw.sha256 or hashlib.sha256(raw.data).hexdigest()
    document = parse_article(rendered, source=raw.source, sha256=sha)
    return replace(document, title=capped(title or document.title))


def capped(title: str) -> str:
    """A title short enough to name a document in a line: pages put anything in <title>."""
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def decode(raw: Raw) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or the charset the source declares
    (HTTP header, <meta>, XML declaration); anything else is refused clearly."""
    data = raw.data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_article(data.decode("utf-16").encode("utf-8"), name=raw.source)
    declared = (raw.charset or _declared_charset(data)) if raw.kind == "html" else raw.charset
    if declared and _normal(declared) not in ("utf-8", "utf8"):
        return decode_article(_recode(data, declared, raw.source), name=raw.source)
    return decode_article(data, name=raw.source)


def _recode(data: bytes, charset: str, source: str) -> bytes:
    """`data` in the declared charset, as UTF-8; a charset that is unknown, not a charset,
    or that the bytes are not valid in, is refused in one line."""
    try:
        name = codecs.lookup(charset).name
        if name.replace("_", "-") in _NOT_CHARSETS:
            raise LookupError(name)
        return data.decode(name).encode("utf-8")
    except (LookupError, UnicodeError, ValueError):  # UnicodeError: punycode's and idna's
        raise ArticleError(
            f"{source} declares charset {charset!r} but is not valid in it."
        ) from None


def _declared_charset(data: bytes) -> str:
    match = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:200])
    return match.group(1).decode("ascii") if match else ""


def _normal(charset: str) -> str:
    return charset.strip().lower().replace("_", "-")


def markdown_to_text(markdown: str) -> str:
    """Markdown as readable text: one block per heading, list item or paragraph, separated
    by blank lines; inline markup, images, code blocks and front matter dropped."""
    lines = _without_front_matter(markdown.splitlines())
    reader = _MarkdownBlocks()
    for i, line in enumerate(lines):
        reader.read(line, lines[i + 1] if i + 1 < len(lines) else "")
    reader.flush()
    return "\n\n".join(block for block in reader.blocks if block.strip())


class _MarkdownBlocks:
    """Markdown's blocks, a line at a time: code fences, tables and paragraphs span lines."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.paragraph: list[str] = []
        self.in_code = False
        self.header: list[str] = []  # the column names of the table being read

    def flush(self) -> None:
        if self.paragraph:
            self.blocks.append(_inline(" ".join(self.paragraph)))
            self.paragraph.clear()

    def read(self, line: str, following: str) -> None:
        if line.strip().startswith(("```", "~~~")):
            self.in_code = not self.in_code
            self.flush()
        elif not self.in_code and _is_table_rule(following) and "|" in line:
            self.flush()
            self.header = _cells(line)
        elif self.in_code or _MD_RULE.match(line) or _is_table_rule(line):
            self.flush()
        elif self.header and "|" in line:
            self.blocks.append(_table_row(self.header, _cells(line)))
        else:
            self.header = []
            self._read_prose(line, following)

    def _read_prose(self, line: str, following: str) -> None:
        heading = _heading(line, following, bool(self.paragraph))
        if heading is not None:
            self.flush()
            self.blocks.append(_inline(heading))
        elif not line.strip() or _LINK_DEFINITION.match(line):
            self.flush()
        elif opening := _FOOTNOTE.match(line) or _LIST_ITEM.match(line):
            self.flush()
            self.paragraph.append(opening.group(1))
        else:
            self.paragraph.append(re.sub(r"^\s*(?:>\s?)+", "", line.strip()))


def _cells(line: str) -> list[str]:
    return [_inline(cell) for cell in line.strip().strip("|").split("|")]


def _table_row(header: list[str], cells: list[str]) -> str:
    """A table row as a sentence of its own that names each cell's column ("Department:
    Parks, Budget: $1.1 million, Head: Tom Reed."): all rows in one block made one sentence
    of the whole table, and a question asks with the column's words ("who heads ...")."""
    pairs = zip_longest(header[: len(cells)], cells, fillvalue="")
    named = [f"{name}: {cell}" if name else cell for name, cell in pairs if cell]
    row = ", ".join(named)
    return row if not row or row.endswith((".", "!", "?")) else row + "."


def _is_table_rule(line: str) -> bool:
    return "|" in line and _TABLE_CHARS.fullmatch(line) is not None


def _heading(line: str, next_line: str, in_paragraph: bool) -> str | None:
    """The text of a heading ('## Title ##', or a line over '===' or '---'), None for any
    other line. String methods, not one regular expression, which took quadratic time over
    a long run of spaces."""
    match = re.match(r"\s{0,3}#{1,6}(?:\s|$)", line)
    if match is None:
        underlined = line.strip() and not in_paragraph and _SETEXT.fullmatch(next_line)
        return line.strip() if underlined else None
    text = line[match.end() :].strip()
    closed = text.rstrip("#")
    return closed.rstrip() if closed == "" or closed[-1].isspace() else text


def _without_front_matter(lines: list[str]) -> list[str]:
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                return lines[end + 1 :]
    return lines


def _inline(text: str) -> str:
    """Inline Markdown to plain text: links keep their words, images and tags go. No span
    may hold its own opening character, so a line of a thousand `[` or `**` costs linear
    time, not quadratic: each attempt stops at the next opener."""
    holding = not _HELD.search(text)  # "\\*" is a literal "*": held out of the patterns' way
    if holding:
        text = "".join(
            part if part.startswith("`") else _ESCAPED.sub(_hold, part)
            for part in _CODE_SPAN.split(text)
        )
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    if holding:
        text = _HELD.sub(lambda held: chr(ord(held.group(0)) - _HOLD), text)
    text = text.replace("|", " ")
    return " ".join(html.unescape(text).split())


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation
_CODE_SPAN = re.compile(r"(`[^`]*`)")  # where a backslash is itself
_HOLD = 0xE000  # private-use stand-ins for escaped characters while the patterns run
_HELD = re.compile("[\ue021-\ue07e]")


def _hold(escaped: re.Match[str]) -> str:
    return chr(_HOLD + ord(escaped.group(1)))


_TARGET = r"(?:\([^()]*\)|\[[^\[\]]*\])"  # where a link or image points: "(url)" or "[ref]"
_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)"""
_INLINE = [
    (re.compile(r"\[\^[^\[\]]+\]"), ""),  # footnote references
    # a linked image (a badge: "[![License](l.svg)](#license)") goes whole, link and all
    (re.compile(r"\[!\[[^\[\]]*\]" + _TARGET + r"\]" + _TARGET), ""),
    (re.compile(r"!\[[^\[\]]*\]" + _TARGET), ""),  # images
    (re.compile(r"\[([^\[\]]+)\]\([^()]*\)"), r"\1"),  # links
    (re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^<>]+)>"), r"\1"),  # autolinks
    # tags, as CommonMark reads them: "<LICENSE or https://x>" is text, not a tag
    (re.compile(r"</?[A-Za-z][\w-]*" + _ATTRIBUTE + r"*\s*/?>"), ""),
    (re.compile(r"\*\*(?=[^\s*])([^*]+?)(?<=\S)\*\*"), r"\1"),  # **strong**
    (re.compile(r"__(?=[^\s_])([^_]+?)(?<=\S)__"), r"\1"),  # __strong__
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(r"(?<![\w_])_(?=[^\s_])([^_]+?)(?<=\S)_(?![\w_])"), r"\1"),  # _emphasis_
    (re.compile(r"`([^`]*)`"), r"\1"),  # `code`
]
