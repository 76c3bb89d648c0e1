"""Reading an article: its text (decoded by bot.decoding) to a Document of paragraphs and
sentences with stable ids.

Offsets are into `Document.text` (the decoded file), so `text[start:end]` is always the exact
source of a sentence; `Sentence.text` is that slice with hard line breaks folded to spaces.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from bot.errors import ArticleError
from bot.text_tables import box_rows, is_box_table, is_table, table_rows, trimmed
from bot.types import Document, Paragraph, Sentence

# Words that end in a period without ending a sentence.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm maj gov sen rep rev hon pres jan
    feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun inc ltd co corp
    plc bros dept est approx vs etc no nos vol fig al ft mt u.s u.k u.n e.g i.e a.m p.m d.c
    u.s.a cf viz ca pp ibid resp incl esp ie eg
    """.split()
)

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_LINE_END = re.compile(r"\r?\n\s*")
UNWRAPPED_LINE = 120  # a line longer than this was not hard-wrapped
# A terminator, any closing quotes or brackets, then whitespace. The lookbehind starts a
# match only at the first of a run of dots, so a long run costs linear time, not quadratic.
# Chinese and Japanese full stops ("。", "！", "？", "．" but before a digit) end a sentence
# with no space or capital after; a closing quote after one ends it only before a space, an
# opening quote or the end ("「行く。」と言った。" is one sentence, as '"Go." he said' is).
_CJK_ENDS = "。！？．"
_CJK_CLOSERS = "」』）〕】》〉”’\"')\\]］"
_CJK_OPENERS = "「『（〔【《〈“‘\"'(\\[［"
_TERMINATOR = re.compile(
    r"(?<![.!?])[.!?]+[\"'”’)\]]*(?=\s)"
    rf"|(?<![{_CJK_ENDS}])(?:[。！？]|．(?![0-9０-９]))++"
    rf"(?:[{_CJK_CLOSERS}]++(?=[\s{_CJK_OPENERS}]|\Z)|(?![{_CJK_CLOSERS}]))"
)
_SPACE = re.compile(r"\s*")
MAX_JOINED = 6  # pieces one quotation or bracket may hold together
_SENTENCE_START = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9À-Ý]")
_ONE_WORD = re.compile(r"[\"'“‘(\[]*[A-Za-z]+[.!?]+[\"'”’)\]]*\s*")
# "... to use zlib in Java. zlib is already included": a name written in lower case starts a
# sentence after a lone full stop that ends a plain word (not "L.A." or "zlib.h"), but not
# an aside ("[bug present since 1.2]", "(thanks to X)")
_LOWER_START = re.compile(r"\s+[a-z]")
# Chinese, Japanese and Korean have no capitals: after a Latin or Korean full stop, one of their
# letters starts the next sentence ("He left. 彼は帰った。" is two), but not after Chinese or
# Japanese that uses an ASCII "?" or "." inside its sentence ("何だろう? のページを参照")
_CJK_START = re.compile(
    rf"\s+[\"'“‘(\[{_CJK_OPENERS}]*"
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff10-\uff19\uff21-\uff3a]"
)
_HAN_OR_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_LINE_BREAK = re.compile(r"[^\S\n]*\r?\n[^\S\n]*")
_DATELINE = re.compile(
    r"^(?:(?:updated|published|posted|revised|last updated|first published)\b:?\s*)?"
    r"(?:[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})",
    re.IGNORECASE,
)
# "By Jane Roe", "Written by Ian A. Murdock", "Photo: Reuters", "with agencies"
# "Photo by: AFP" credits a picture, not the text: a credit line all the same, but no answer
# to who wrote the article
PICTURE_CREDIT = re.compile(r"^(?:photo|image|picture|video)s?(?: by)?\s*:", re.I)
_CREDIT = re.compile(
    PICTURE_CREDIT.pattern
    + r"|^(?:(?:written|compiled|edited|drafted|reported|text)\s+)?by\s+(?-i:[A-Z])|\bagencies\b",
    re.I,
)
_END_PUNCTUATION = re.compile(rf"[.!?{_CJK_ENDS}][\"'”’)\]{_CJK_CLOSERS}]*$")
_RULE = re.compile(r"^\s*(?:[_\-=*~#]\s*){3,}$")
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|[-*•+])\s+")
# a gap of 3+ spaces between words, not after a sentence's end ("dates.  zlib" is prose)
MIN_RECORD_LINES = 6  # lines of a block with no full stop that are read one by one
# a bullet, unlike a number ("1. Debian will remain 100% free"), does not head a clause
_BULLET = re.compile(r"^\s*[-*•+]\s+")


def parse_article(text: str, *, source: str = "article", sha256: str = "") -> Document:
    """Split text into paragraphs (blank lines) and sentences, with offsets and roles.
    `sha256` identifies the source (by default, the hash of `text`)."""
    sha = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    paragraphs = []
    for number, (start, end) in enumerate(_paragraph_spans(text), start=1):
        role = _paragraph_role(text[start:end], number)
        sentences = tuple(
            Sentence(
                id=f"{sha[:8]}:p{number}s{index}",
                paragraph=number,
                number=index,
                text=fold_lines(text[s_start:s_end]),
                start=s_start,
                end=s_end,
                role=role,
            )
            for index, (s_start, s_end) in enumerate(_sentence_spans(text, start, end), start=1)
        )
        paragraphs.append(
            Paragraph(number, fold_lines(text[start:end]), start, end, sentences, role)
        )
    if not paragraphs:
        raise ArticleError(f"{source} has no text.")
    title = paragraphs[0].text if paragraphs[0].role == "title" else _fallback_title(source)
    return Document(source, title, text, sha, tuple(paragraphs))


def fold_lines(raw: str) -> str:
    """Join hard-wrapped lines: a line break and the spaces around it become one space."""
    text = raw.strip()
    # most texts have no line break to join, and the search for one took 3-4 us a sentence
    return _LINE_BREAK.sub(" ", text) if "\n" in text else text


def _fallback_title(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1]
    name = re.sub(r"(?:\.[A-Za-z0-9]{1,8})+$", "", name)
    return name.replace("_", " ").replace("-", " ").strip() or "Untitled"


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs end at blank lines; in a text with none whose lines are too long to be
    hard-wrapped, each line is a paragraph. Within a block, list items, rules and headings
    over an indented body start paragraphs of their own."""
    breaks = _PARAGRAPH_BREAK if _has_blank_lines_or_wraps(text) else _LINE_END
    position = 0
    for match in [*breaks.finditer(text), None]:
        stop = match.start() if match else len(text)
        chunk = text[position:stop]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            yield from _block_spans(text, position + lead, position + lead + len(stripped))
        if match:
            position = match.end()


def _block_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split one block at its structure lines; plain prose comes back whole."""
    # each line from its true start, so the first keeps its indentation
    block_start = text.rfind("\n", 0, start) + 1
    lines = [
        (m.start() + block_start, m.end() + block_start)
        for m in re.finditer(r"[^\n]+", text[block_start:end])
    ]
    if is_box_table(text, lines):
        yield from box_rows(text, lines)
        return
    if is_table(text, lines):
        yield from table_rows(text, lines)
        return
    if len(lines) >= MIN_RECORD_LINES and not _TERMINATOR.search(text[start:end] + " "):
        # a list of records with no full stop anywhere: joined, they were one "sentence"
        # of thousands of characters, cited whole
        yield from (trimmed(text, *line) for line in lines)
        return
    current: tuple[int, int] | None = None
    for i, (line_start, line_end) in enumerate(lines):
        line = text[line_start:line_end]
        if current is not None and (_RULE.match(line) or _opens_item(text, current, line)):
            yield trimmed(text, *current)
            current = None
        if _RULE.match(line):
            continue
        current = (line_start, line_end) if current is None else (current[0], line_end)
        next_line = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else ""
        if current == (line_start, line_end) and _heads_indented_body(line, next_line):
            yield trimmed(text, *current)
            current = None
    if current is not None:
        yield trimmed(text, *current)


def _opens_item(text: str, current: tuple[int, int], line: str) -> bool:
    """Whether a line starts a list item. '(7) to work with OpenSSH 8.4.' under a line cut
    mid-sentence ('must support the current API version') is the rest of that sentence."""
    marker = _LIST_MARKER.match(line)
    if marker is None:
        return False
    before = text[current[0] : current[1]].rstrip()
    numbered_before = _LIST_MARKER.match(before) and not _BULLET.match(before)
    in_sentence = not _BULLET.match(line) and not numbered_before and before[-1:].isalnum()
    return not (in_sentence and line[marker.end() :].lstrip()[:1].islower())


def _heads_indented_body(line: str, next_line: str) -> bool:
    """'    1. Debian will remain 100% free' over a more indented body is a heading (only a
    paragraph's first line can be one); a line whose next one goes on in lower case ("says
    that deflate is / performing a conditional jump") is a wrapped sentence, not a heading."""
    if not next_line.strip() or _END_PUNCTUATION.search(line.rstrip()):
        return False
    if next_line.lstrip()[:1].islower() or _BULLET.match(line):
        return False  # a bullet's indented lines are the rest of its item
    indent = len(line) - len(line.lstrip())
    body_indent = len(next_line) - len(next_line.lstrip())
    return body_indent > indent and len(line.split()) <= 12 and not _LIST_MARKER.match(next_line)


def _has_blank_lines_or_wraps(text: str) -> bool:
    if _PARAGRAPH_BREAK.search(text.strip()):
        return True
    return max((len(line) for line in text.splitlines()), default=0) <= UNWRAPPED_LINE


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence boundaries inside one paragraph: never after an abbreviation, and never
    inside a quotation or brackets that close within a few sentences, so a quotation of
    several sentences is cited whole."""
    paragraph = text[start:end]  # work on the slice: offsets into a long document cost more
    pieces = _one_word_pieces_joined(paragraph, list(_pieces(paragraph)))
    first = 0
    while first < len(pieces):
        last = _closing_piece(paragraph, pieces, first)
        yield start + pieces[first][0], start + pieces[last][1]
        first = last + 1


def _one_word_pieces_joined(paragraph: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A paragraph that opens with a one-word sentence ("Yes.", "No.", "Beware!") cites it
    with the next: alone it says nothing ("Is zlib Y2K-compliant?": "Yes. zlib doesn't
    handle dates."). One lower-case word after a full stop ends the sentence before it."""
    if len(pieces) > 1 and _ONE_WORD.fullmatch(paragraph, pieces[0][0], pieces[0][1]):
        pieces = [(pieces[0][0], pieces[1][1]), *pieces[2:]]
    joined = pieces[:1]
    for first, last in pieces[1:]:
        if paragraph[first].islower() and _ONE_WORD.fullmatch(paragraph, first, last):
            joined[-1] = (joined[-1][0], last)  # "install stable. period.": no sentence
        else:
            joined.append((first, last))
    return joined


def _pieces(paragraph: str) -> Iterator[tuple[int, int]]:
    """Cuts at every sentence end, quotations and brackets ignored."""
    marker = _LIST_MARKER.match(paragraph)
    current = marker.end() if marker and marker.end() < len(paragraph) else 0
    for match in _TERMINATOR.finditer(paragraph, current):
        cut = match.end()
        cjk = paragraph[match.start()] in _CJK_ENDS  # no capital or space to wait for
        if not cjk and (
            not _starts_sentence(paragraph, match.start(), cut)
            or _is_abbreviation(paragraph, current, match.start())
        ):
            continue
        yield current, cut
        current = _SPACE.match(paragraph, cut).end()  # type: ignore[union-attr]
    if current < len(paragraph):
        yield current, len(paragraph)


def _starts_sentence(paragraph: str, terminator: int, cut: int) -> bool:
    if _SENTENCE_START.match(paragraph, cut):
        return True
    if _LOWER_START.match(paragraph, cut):
        return _ends_plain_word(paragraph, terminator)
    before = paragraph[terminator - 1 : terminator]
    return _CJK_START.match(paragraph, cut) is not None and not _HAN_OR_KANA.match(before)


def _ends_plain_word(paragraph: str, terminator: int) -> bool:
    """Whether a lone full stop ends a word of two letters or more with no dot inside."""
    if paragraph[terminator] != "." or paragraph[terminator + 1 : terminator + 2] == ".":
        return False
    start = terminator
    while start > 0 and not paragraph[start - 1].isspace():
        start -= 1
    word = paragraph[start:terminator].lstrip("\"'“‘([")
    return len(word) > 1 and "." not in word and word[-1].isalnum()


def _closing_piece(paragraph: str, pieces: list[tuple[int, int]], first: int) -> int:
    """The piece that closes what `first` opens (a quotation, a bracket), if one does within
    MAX_JOINED pieces; otherwise `first` itself. Each piece is read at most MAX_JOINED times."""
    curly = straight = brackets = 0
    for last in range(first, min(len(pieces), first + MAX_JOINED)):
        chunk = paragraph[pieces[last][0] : pieces[last][1]]
        curly += chunk.count("“") - chunk.count("”")
        straight += chunk.count('"')
        brackets += chunk.count("(") + chunk.count("[") - chunk.count(")") - chunk.count("]")
        if curly <= 0 and straight % 2 == 0 and brackets <= 0:
            return last
    return first


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("\"'“‘([").lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _paragraph_role(raw: str, number: int) -> str:
    """What kind of line this is; all are citable, told apart for questions about the article."""
    line = fold_lines(raw)
    words = len(line.split())
    ends_sentence = bool(_END_PUNCTUATION.search(line))
    if _DATELINE.match(line) and words <= 8:
        return "dateline"
    if _CREDIT.search(line) and words <= 8:
        return "credit"
    if number == 1 and not ends_sentence and words <= 30:
        return "title"
    if number == 2 and not ends_sentence:
        return "standfirst"
    if _BULLET.match(raw.lstrip()):
        return "body"  # a bulleted item ("* Cosmin Truta (current maintainer)") is content
    if not ends_sentence and words <= 10:
        return "heading"
    if not ends_sentence:
        return "caption"
    return "body"


def document_to_json(document: Document) -> dict[str, Any]:
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


def document_from_json(data: dict[str, Any]) -> Document:
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
