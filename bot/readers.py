"""Any source to a Document: plain text, Markdown and HTML files (optionally gzipped) and URLs.

Every reader ends in the same plain-text parser, so a sentence is always a slice of
`Document.text`: for text files that is the file itself; for Markdown and HTML it is the
readable text we render from them (markup gone, headings and list items kept as lines).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import html
import re
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.article import MAX_ARTICLE_BYTES, decode_article, parse_article, read_bytes
from bot.errors import ArticleError
from bot.logsafety import redact_url
from bot.types import Document, Raw

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.I)
_MD_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding=["']([A-Za-z0-9_\-]+)""")


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
    return document_from(read_file(Path(source).expanduser().resolve()))


def load_documents(sources: Sequence[str | Path], policy: Any = None) -> list[Document]:
    """Read every source first, so a bad one fails before the index is touched."""
    documents: dict[str, Document] = {}
    for source in sources:
        document = load_document(str(source), policy)
        documents.setdefault(document.sha256, document)  # the same bytes twice count once
    return list(documents.values())


def merge_documents(current: Sequence[Document], new: Sequence[Document]) -> list[Document]:
    """New documents replace those with the same source; the order of first indexing stays."""
    fresh = {d.source: d for d in new}
    merged = [fresh.pop(d.source, d) for d in current]
    return merged + [d for d in new if d.source in fresh]


def read_file(path: Path) -> Raw:
    """A local file, gunzipped when it ends in .gz; its kind comes from its suffix."""
    data = read_bytes(path)
    sha = hashlib.sha256(data).hexdigest()
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        data = _gunzip(data, path)
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and _looks_like_html(data)):
        kind = "html"
    else:
        kind = "markdown" if suffix in MARKDOWN_SUFFIXES else "text"
    return Raw(str(path), data, kind, sha256=sha)


def _gunzip(data: bytes, path: Path) -> bytes:
    """Decompress with a cap, so a small bomb cannot fill memory."""
    try:
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        out = inflater.decompress(data, MAX_ARTICLE_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile):
        raise ArticleError(f"{path} is not a valid gzip file.") from None
    if len(out) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{path} unpacks to more than {MAX_ARTICLE_BYTES // 2**20} MB.")
    return out


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
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
    if not rendered.strip():
        raise ArticleError(f"{raw.source} has no readable text.")
    sha = raw.sha256 or hashlib.sha256(raw.data).hexdigest()
    document = parse_article(rendered, source=raw.source, sha256=sha)
    return replace(document, title=title) if title else document


def decode(raw: Raw) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or the charset the source declares
    (HTTP header, <meta>, XML declaration); anything else is refused clearly."""
    data = raw.data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_article(data.decode("utf-16").encode("utf-8"), name=raw.source)
    declared = (raw.charset or _declared_charset(data)) if raw.kind == "html" else raw.charset
    if declared and _normal(declared) not in ("utf-8", "utf8"):
        try:
            return decode_article(data.decode(declared).encode("utf-8"), name=raw.source)
        except (LookupError, UnicodeDecodeError):
            raise ArticleError(
                f"{raw.source} declares charset {declared!r} but is not valid in it."
            ) from None
    return decode_article(data, name=raw.source)


def _declared_charset(data: bytes) -> str:
    match = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.search(data[:200])
    return match.group(1).decode("ascii") if match else ""


def _normal(charset: str) -> str:
    return charset.strip().lower().replace("_", "-")


def html_to_text(page: str) -> tuple[str, str]:
    """The main text of a page (trafilatura, which drops navigation and boilerplate) as
    Markdown-rendered lines, headed by its title, byline and date where the page has them."""
    import trafilatura

    body = trafilatura.extract(
        page,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_recall=True,
    )
    metadata = trafilatura.extract_metadata(page, extensive=False)
    title = (metadata.title or "").strip() if metadata else ""
    header = [title]
    if metadata and metadata.author:
        header.append(f"By {metadata.author}")
    if metadata and metadata.date:
        header.append(metadata.date)
    rendered = markdown_to_text(body or "")
    if not rendered.strip():
        return "", title
    first, _, rest = rendered.partition("\n\n")
    if title and first.strip() == title:
        rendered = rest  # the page's own headline: it leads the header instead
    visible = _words(html.unescape(re.sub(r"<[^>]*>", " ", page)))
    anywhere = _words(html.unescape(page)) | {"by"}  # metadata lives in attributes
    kept = [line for line in header if line and _words(line) <= anywhere]
    kept += [block for block in rendered.split("\n\n") if _words(block) <= visible]
    return "\n\n".join(kept), title if _words(title) <= anywhere else ""


def _words(text: str) -> set[str]:
    """Words for the check that extraction invented nothing: a block whose words are not
    all on the page (an extractor may drop characters and join what was apart) is left out."""
    return set(re.findall(r"[^\W_]+", text.lower()))


def markdown_to_text(markdown: str) -> str:
    """Markdown as readable text: one block per heading, list item or paragraph, separated
    by blank lines; inline markup, images, code blocks and front matter dropped."""
    blocks: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_inline(" ".join(paragraph)))
            paragraph.clear()

    lines = _without_front_matter(markdown.splitlines())
    in_code = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            flush()
            continue
        if in_code or _MD_RULE.match(line) or _TABLE_RULE.match(line):
            flush()
            continue
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        next_line = lines[i + 1] if i + 1 < len(lines) else ""
        if heading or (stripped and re.match(r"^\s*(?:=+|-+)\s*$", next_line) and not paragraph):
            flush()
            blocks.append(_inline(heading.group(1) if heading else stripped))
            continue
        if not stripped:
            flush()
            continue
        item = re.match(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$", line)
        if item:
            flush()
            paragraph.append(item.group(1))
            continue
        paragraph.append(re.sub(r"^\s*(?:>\s?)+", "", stripped))
    flush()
    return "\n\n".join(block for block in blocks if block.strip())


def _without_front_matter(lines: list[str]) -> list[str]:
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                return lines[end + 1 :]
    return lines


def _inline(text: str) -> str:
    """Inline Markdown to plain text: links keep their words, images and tags go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", "", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = text.replace("|", " ")
    return " ".join(html.unescape(text).split())
