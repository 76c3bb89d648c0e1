"""Answers as Telegram HTML, split under the message limit without breaking a tag or an entity.

A message is built from blocks of raw text, each with an optional tag. Text is escaped only
when a block is rendered, so splitting happens on raw text and can never cut `&amp;` in two.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.types import Answer, Citation

TELEGRAM_LIMIT = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class Block:
    text: str
    tag: str = ""  # "", "b", "i" or "blockquote"

    def render(self) -> str:
        escaped = html.escape(self.text, quote=False)
        return f"<{self.tag}>{escaped}</{self.tag}>" if self.tag else escaped


def answer_blocks(answer: Answer, name_documents: bool = False) -> list[Block]:
    """The answer first, with its [n] markers, then the quoted sources with paragraph numbers
    (and their document, when there are several)."""
    if not answer.answered:
        return refusal_blocks(answer, name_documents)
    blocks = [Block(answer.text), Block("Sources", "b")]
    for c in answer.citations:
        blocks += [Block(f"[{c.n}] {where(c, name_documents)}", "i"), quote(c)]
    return blocks


def refusal_blocks(answer: Answer, name_documents: bool = False) -> list[Block]:
    blocks = [Block(f"🤷 {answer.text}")]
    if answer.closest:
        blocks.append(Block("Closest passages (not an answer):", "i"))
        for citation in answer.closest:
            blocks += [Block(where(citation, name_documents), "i"), quote(citation)]
    return blocks


def where(citation: Citation, name_documents: bool) -> str:
    document = f"{citation.document} ({citation.source}), " if name_documents else ""
    return f"{document}paragraph {citation.paragraph}"


def quote(citation: Citation) -> Block:
    return Block(citation.text, "blockquote")


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
    """Blocks too long for one message are split at sentence, then word, boundaries."""
    fitted: list[Block] = []
    for block in blocks:
        if utf16_length(block.render()) <= limit:
            fitted.append(block)
            continue
        fitted += [Block(piece, block.tag) for piece in _split_text(block, limit)]
    return fitted


def _split_text(block: Block, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for unit in _units(block.text):
        candidate = f"{current} {unit}".strip() if current else unit
        if current and utf16_length(Block(candidate, block.tag).render()) > limit:
            pieces.append(current)
            candidate = unit
        current = candidate
    if current:
        pieces.append(current)
    return [p for piece in pieces for p in _hard_split(piece, block.tag, limit)]


def _units(text: str) -> list[str]:
    """Sentences and lines; `_hard_split` deals with any that is still too long."""
    return [u for u in _SENTENCE_END.split(text) if u]


def _hard_split(text: str, tag: str, limit: int) -> list[str]:
    """Last resort for a single sentence over the limit: cut between words, then characters."""
    if utf16_length(Block(text, tag).render()) <= limit:
        return [text]
    pieces, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_length(Block(candidate, tag).render()) > limit:
            if current:
                pieces.append(current)
            while utf16_length(Block(word, tag).render()) > limit:
                cut = _longest_prefix(word, tag, limit)
                pieces.append(word[:cut])
                word = word[cut:]
            candidate = word
        current = candidate
    return [*pieces, current] if current else pieces


def _longest_prefix(word: str, tag: str, limit: int) -> int:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_length(Block(word[:middle], tag).render()) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def format_answer(
    answer: Answer, limit: int = TELEGRAM_LIMIT, name_documents: bool = False
) -> list[str]:
    """An Answer as one or more HTML messages."""
    return render_messages(answer_blocks(answer, name_documents), limit)


def plain(text: str) -> str:
    """User or article text made safe for parse_mode=HTML."""
    return html.escape(text, quote=False)
