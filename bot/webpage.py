"""HTML pages to plain text in which every sentence is on the page, whitespace aside.

trafilatura finds the main text and drops navigation, footers and scripts. We read its XML
output, not its Markdown: Markdown escapes `[`, `*`, `_` and `<`, and text such as
`&lt;fast&gt;` comes back looking like a tag, so a page saying `[sic]` or `<fast>` would be
misquoted. Each heading, paragraph, list item, table row and quotation becomes one block.

As a last check, a block that is not in the page's visible text, with only whitespace
normalised, is left out, so an extractor's slip can never put words in a citation: neither
a character it escaped or dropped, nor a word it made by joining two list items. The title,
byline and date that lead the document pass the same check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from bot.decoding import INVISIBLE

# trafilatura's XML: elements whose children are blocks, and blocks that are not prose
_CONTAINERS = {"doc", "main", "body", "div", "list", "table", "quote"}
_BLOCKS = {"p", "head", "item", "row", "code", *_CONTAINERS}
_SKIPPED = {"code", "comments", "graphic"}
# trafilatura writes inline code ("install the <code>labplot</code> package") as it writes a
# code block, and an inline <q> as a quotation block; inside a paragraph, item or heading
# they are part of the sentence
_PROSE = {"p", "item", "head", "cell", "hi"}
_INLINE_IN_PROSE = {"code", "quote"}
# inline elements whose words trafilatura drops ("passed on <time>2 January</time>" became
# "passed on .", which the verbatim check then left out whole): unwrapped before it reads
_UNWRAPPED = re.compile(r"</?(?:time|label|output)\b[^>]*>", re.I)
# two or more <br> in a row show a blank line, a paragraph break, but trafilatura merges them
# into one <lb/> ("rain<br><br>Temperatures" read as one sentence). A noncharacter between
# them keeps them apart; trafilatura drops it as unprintable, leaving <lb/><lb/>, which
# _blocks reads as the end of a block. [^<>], not [^>]: a run of "<br" stays linear. A
# comment or a no-break space between them shows nothing either ("<br><!-- ad --><br>");
# a comment's length is capped, so a run of "<br><!--" with no end stays linear too.
_BREAK_GAP = r"(?:\s|&nbsp;?|&#0*160;|&#x0*a0;|<!--(?:[^-]|-(?!->)){0,500}-->)*"
_BREAK_RUN = re.compile(rf"<br\b[^<>]*>(?:{_BREAK_GAP}<br\b[^<>]*>)+", re.I)
_BREAK_MARK = "\ufdd0"
_INVISIBLE = ("script", "style", "template", "noscript")
_JOINER_MARK = "\u034f"  # see _held_joiners
_NON_JOINER = re.compile(r"\u200c|&zwnj;|&#0*8204;|&#x0*200c;", re.I)
_JOINER = re.compile(r"\u200d|&zwj;|&#0*8205;|&#x0*200d;", re.I)
# elements a browser sets apart from their neighbours: text on either side never joins
_APART = (
    *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details"),
    *("dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "option"),
    *("p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead"),
    *("title", "tr", "ul", "img", "iframe", "select", "textarea", "button", "input"),
)
# a cell holding paragraphs of this much text is a page laid out in a table, not data
_LAYOUT_CELL_CHARS = 300
# how many times over the page the verbatim check may search, for blocks out of page order
_SEARCH_BUDGET = 4


def html_to_text(page: str) -> tuple[str, str]:
    """The main text of a page as blocks separated by blank lines, headed by its title,
    byline and date where the page shows them, and the page's title ('' if none)."""
    import trafilatura

    held = _held_joiners(page)
    xml = trafilatura.extract(
        _BREAK_RUN.sub(f"<br>{_BREAK_MARK}<br>", _UNWRAPPED.sub("", held)),
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_recall=True,
    )
    metadata = trafilatura.extract_metadata(held, extensive=False)
    title = _restored_joiners(" ".join((metadata.title or "").split())) if metadata else ""
    header = [title]
    if metadata and metadata.author:
        header.append(f"By {' '.join(metadata.author.split())}")
    on_page = PageText(visible_text(page))
    if metadata and metadata.date:
        header.append(shown_date(metadata.date, on_page))
    blocks = xml_blocks(_restored_joiners(xml.replace(_BREAK_MARK, ""))) if xml else []
    if blocks and blocks[0] == title:
        blocks = blocks[1:]  # the page's own headline: it leads the header instead
    kept = [line for line in header if line and on_page.anywhere(line)]
    # a byline or date the page also sets as a paragraph ("<p><time>...</time></p>") leads once
    body = [block for block in blocks if block not in kept and on_page.holds(block)]
    if not body:
        return "", title if on_page.anywhere(title) else ""
    return "\n\n".join(kept + body), title if on_page.anywhere(title) else ""


def _held_joiners(page: str) -> str:
    """Zero-width (non-)joiners, as characters or entities, as marks trafilatura keeps: it
    drops every unprintable character, and a Persian word ("I want", spelt with one) or an emoji
    sequence came out misspelt. The combining grapheme joiner is printable and shows
    nothing; one found on the page already goes, as the other invisible characters do."""
    page = page.replace(_JOINER_MARK, "")
    page = _NON_JOINER.sub(_JOINER_MARK, page)
    return _JOINER.sub(_JOINER_MARK * 2, page)


def _restored_joiners(text: str) -> str:
    return text.replace(_JOINER_MARK * 2, "\u200d").replace(_JOINER_MARK, "\u200c")


def shown_date(iso: str, on_page: PageText) -> str:
    """The page's date as the page shows it ("May 2, 2024"): metadata gives it as
    2024-05-02, which a citation may not quote unless the page says it so."""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    month = day.strftime("%B")
    shown = (
        iso,
        f"{month} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        f"{month[:3]}. {day.day}, {day.year}",
        f"{month[:3]} {day.day}, {day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{month} {day.day:02d}, {day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
    )
    return next((form for form in shown if on_page.anywhere(form)), iso)


def xml_blocks(xml: str) -> list[str]:
    """The blocks of trafilatura's XML, in order, each on one line."""
    from lxml import etree

    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True))
    except etree.XMLSyntaxError:
        return []
    return [] if root is None else [b for b in _blocks(root) if b]


def _blocks(element: Any) -> Iterator[str]:
    """The element's own words as one block, and each nested block as its own, in order."""
    words: list[str] = [element.text or ""]
    after_break = False  # the last child was a line break with no words after it
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _INLINE_IN_PROSE and element.tag in _PROSE:
            words.append("".join(child.itertext()))
        elif tag in _BLOCKS or (tag == "cell" and _holds_blocks(child)):
            # a cell holding paragraphs or headings is a table used for layout: read as them
            yield _joined(words)
            words = []
            if tag not in _SKIPPED:
                yield from _blocks(child)
        elif tag == "cell":  # cells of a row are apart on the page, though they may touch
            words.append(f" {_cell_text(child)} ")
        elif tag == "lb" and after_break:  # a blank line: the block ends, as on the page
            yield _joined(words)
            words = []
        elif tag == "lb":
            words.append(" ")
        elif tag:
            words.append("".join(child.itertext()))
        words.append(child.tail or "")
        after_break = tag == "lb" and not (child.tail or "").strip()
    yield _joined(words)


def _joined(words: list[str]) -> str:
    return " ".join("".join(words).split())


def _holds_blocks(cell: Any) -> bool:
    """A cell used for layout: it holds headings, lists or tables, or paragraphs of prose.
    A data cell's "<br><br>" also comes out as a paragraph (trafilatura writes <p> for it),
    and that cell stays in its row."""
    tags = {e.tag for e in cell.iterdescendants() if isinstance(e.tag, str)}
    if tags & (_BLOCKS - {"p"}):
        return True
    return "p" in tags and len("".join(cell.itertext())) >= _LAYOUT_CELL_CHARS


def _cell_text(cell: Any) -> str:
    """A data cell's words, its paragraphs ("First release.<p>Shipped ...</p>") apart."""
    words = [cell.text or ""]
    for child in cell:
        tag = child.tag if isinstance(child.tag, str) else ""
        apart = tag in ("p", "lb")
        words += [" " * apart, "".join(child.itertext()), " " * apart, child.tail or ""]
    return "".join(words)


def visible_text(page: str) -> str:
    """The text a reader of the page sees: every text node but scripts, styles and the like,
    with a line break wherever a browser sets elements apart (paragraphs, list items, table
    cells, <br>), and none inside a run of inline elements. The <title> counts."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(page.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    parts: list[str] = []
    hidden = 0  # inside how many invisible elements
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        hidden += (1 if event == "start" else -1) if tag in _INVISIBLE else 0
        parts.append("\n" if tag in _APART else "")
        text = element.text if event == "start" else element.tail
        if text and not hidden:
            parts.append(text)
    return "".join(parts)


def _normal(text: str) -> str:
    # invisible characters aside too: trafilatura drops them ("Mos&#8203;cow" is "Moscow"),
    # and a paragraph holding one was left out as not on the page
    return " ".join(text.translate(INVISIBLE).split())


class PageText:
    """Is a block on the page, whitespace aside? Blocks mostly come in page order, so each
    is looked for from where the last was found; looking again from the top is allowed only
    within a budget, which keeps the check linear in the page's size."""

    def __init__(self, text: str) -> None:
        self._text = _normal(text)
        self._at = 0
        self._budget = _SEARCH_BUDGET * len(self._text)

    def holds(self, block: str) -> bool:
        wanted = _normal(block)
        found = self._text.find(wanted, self._at)
        if found < 0 and self._budget > 0:
            self._budget -= len(self._text)
            found = self._text.find(wanted)
        if found < 0 or not wanted:
            return False
        self._at = found + len(wanted)
        return True

    def anywhere(self, line: str) -> bool:
        """For the few header lines: anywhere on the page, in any order."""
        wanted = _normal(line)
        return bool(wanted) and wanted in self._text
