"""Answers as Telegram HTML, split under the message limit without breaking a tag or an entity.

A message is built from blocks of raw text, each with an optional tag. Text is escaped only
when a block is rendered, so splitting happens on raw text and can never cut `&amp;` in two.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.layout import NOT_AN_ANSWER, Layout, Quote, layout
from bot.types import Answer

TELEGRAM_LIMIT = 4096
OPEN_AT_SENTENCE = "🔗 Open the page at this sentence"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_TAG = re.compile(r"(<[^<>]*>)")
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    text: str
    tag: str = ""  # "", "b", "i", "blockquote", or "a" (a link to `href`)
    bold: tuple[int, int] | None = None  # a span of `text` shown in bold
    href: str = ""

    def render(self) -> str:
        if self.bold is None:
            escaped = html.escape(self.text, quote=False)
        else:
            start, end = self.bold
            escaped = "".join(
                (
                    html.escape(self.text[:start], quote=False),
                    f"<b>{html.escape(self.text[start:end], quote=False)}</b>",
                    html.escape(self.text[end:], quote=False),
                )
            )
        if self.tag == "a":
            return f'<a href="{html.escape(self.href, quote=True)}">{escaped}</a>'
        return f"<{self.tag}>{escaped}</{self.tag}>" if self.tag else escaped


def answer_blocks(answer: Answer, name_documents: bool = False) -> list[Block]:
    """The quote once (bot.layout): each cited sentence in a blockquote under its place,
    its answering phrase in bold, a web page's link below it; a generated answer's own
    text above its sources."""
    shown = layout(answer, name_documents)
    if not shown.answered:
        return refusal_blocks(shown)
    blocks = [Block(shown.lead), Block("Sources", "b")] if shown.lead else []
    for item in shown.quotes:
        label = f"[{item.citation.n}] {item.where}" if item.numbered else item.where
        blocks += [Block(label[0].upper() + label[1:], "i"), quote_block(item)]
        if item.link:
            blocks.append(Block(OPEN_AT_SENTENCE, "a", href=item.link))
    return blocks


def refusal_blocks(shown: Layout) -> list[Block]:
    blocks = [Block(f"🤷 {shown.lead}")]
    if shown.quotes:
        blocks.append(Block(NOT_AN_ANSWER, "i"))
        for item in shown.quotes:
            blocks += [Block(item.where, "i"), quote_block(item)]
    return blocks


def quote_block(item: Quote) -> Block:
    text = item.before + item.phrase + item.after
    bold = (len(item.before), len(item.before) + len(item.phrase)) if item.phrase else None
    return Block(text, "blockquote", bold)


def render_messages(blocks: list[Block], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack rendered blocks into messages of at most `limit` UTF-16 units each."""
    messages: list[str] = []
    current = ""
    for block in _fit(blocks, limit):
        rendered = block.render()
        joined = f"{current}\n{rendered}" if current else rendered
        if current and utf16_length(joined) > limit:
            messages.append(current)
            joined = rendered
        current = joined
    if current:
        messages.append(current)
    return messages


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _fit(blocks: list[Block], limit: int) -> list[Block]:
    """Blocks too long for one message are split at sentence, then word, then character
    boundaries; the answering phrase stays bold in whichever pieces it falls."""
    fitted: list[Block] = []
    for block in blocks:
        if utf16_length(block.render()) <= limit:
            fitted.append(block)
            continue
        fitted += [_piece(block, start, end) for start, end in _cuts(block, limit)]
    return fitted


def _piece(block: Block, start: int, end: int) -> Block:
    """`block.text[start:end]` with its share of the bold span."""
    bold = None
    if block.bold is not None:
        first, last = max(block.bold[0], start), min(block.bold[1], end)
        bold = (first - start, last - start) if first < last else None
    return Block(block.text[start:end], block.tag, bold, block.href)


def _cuts(block: Block, limit: int) -> list[tuple[int, int]]:
    """Spans of `block.text` that each fit: as many whole sentences as fit, else as many
    words, else as many characters; the blanks between pieces are dropped."""
    text = block.text
    sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    word_ends = [m.start() for m in _BLANKS.finditer(text)] + [len(text)]
    cuts: list[tuple[int, int]] = []
    start = _after_blanks(text, 0)
    while start < len(text):

        def fits(end: int, start: int = start) -> bool:
            return utf16_length(_piece(block, start, end).render()) <= limit

        end = _farthest(sentence_ends, start, fits) or _farthest(word_ends, start, fits)
        if end is None:
            end = _farthest(list(range(start + 1, len(text) + 1)), start, fits) or start + 1
        cuts.append((start, end))
        start = _after_blanks(text, end)
    return cuts


def _farthest(ends: list[int], start: int, fits: Callable[[int], bool]) -> int | None:
    """The largest of the sorted `ends` past `start` that fits (fitting shrinks as the end
    grows, so a binary search), or None."""
    low, high = bisect.bisect_right(ends, start), len(ends) - 1
    found = None
    while low <= high:
        middle = (low + high) // 2
        if fits(ends[middle]):
            found, low = ends[middle], middle + 1
        else:
            high = middle - 1
    return found


def _after_blanks(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def format_answer(
    answer: Answer, limit: int = TELEGRAM_LIMIT, name_documents: bool = False
) -> list[str]:
    """An Answer as one or more HTML messages."""
    return render_messages(answer_blocks(answer, name_documents), limit)


def plain(text: str) -> str:
    """User or article text made safe for parse_mode=HTML."""
    return html.escape(text, quote=False)


def split_html(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Telegram HTML of any length as messages of at most `limit` UTF-16 units: cut at a
    line or word break where one fits, never inside a tag or an entity; a tag open at a cut
    is closed there and opened again in the next message."""
    if utf16_length(text) <= limit:
        return [text]
    messages: list[str] = []
    current, stack = "", list[str]()  # stack: the opening tags in force, as written
    for token in _TAG.split(text):
        if token.startswith("<"):
            stack = _after_tag(stack, token)
            current += token
            continue
        while token:
            room = limit - utf16_length(current) - utf16_length(_closing(stack))
            fresh = current == "".join(stack)
            piece = _fitting(token, room, words=not fresh)
            if not piece and not fresh:
                messages.append(_closed(current, stack))
                current = "".join(stack)
                continue
            piece = piece or token[: max(1, _prefix_within(token, room))]  # no room at all
            current, token = current + piece, token[len(piece) :]
    if current.strip():
        messages.append(current)
    return messages


def _after_tag(stack: list[str], tag: str) -> list[str]:
    name = tag.strip("</>").split()[0].lower() if tag.strip("</>") else ""
    if tag.startswith("</"):
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][1:].split(">")[0].split()[0].lower() == name:
                return stack[:i]
        return stack
    return stack if tag.endswith("/>") else [*stack, tag]


def _closed(current: str, stack: list[str]) -> str:
    """`current` with its open tags closed; a tag opened just before the cut moves on whole
    to the next message instead of leaving an empty pair here."""
    still_open = list(stack)
    while still_open and current.endswith(still_open[-1]):
        current = current[: -len(still_open.pop())]
    return current + _closing(still_open)


def _closing(stack: list[str]) -> str:
    return "".join(f"</{tag[1:].split('>')[0].split()[0]}>" for tag in reversed(stack))


def _fitting(text: str, room: int, words: bool) -> str:
    """The longest start of `text` within `room` units, ending at a line or word break if
    it does not take all of `text` ('' if there is none and `words`), and never inside an
    entity such as &amp;."""
    cut = _prefix_within(text, room)
    if cut >= len(text):
        return text
    breaks = max(text.rfind("\n", 0, cut), text.rfind(" ", 0, cut))
    if breaks > 0:
        cut = breaks + 1
    elif words:
        return ""
    entity = text.rfind("&", 0, cut)
    if entity >= 0 and ";" not in text[entity:cut]:
        cut = entity
    return text[:cut]


def _prefix_within(text: str, room: int) -> int:
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_length(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    return low
