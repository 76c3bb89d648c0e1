"""Tables in plain text, read a row at a time: rows set out in columns of spaces, and
tables drawn with box characters. Joined as prose, a table was one "sentence" of thousands
of characters; a row is what a question about it wants."""

from __future__ import annotations

import re
from collections.abc import Iterator

_COLUMN_GAP = re.compile(r"[^\s.!?:;,]\s{3,}\S")
MIN_TABLE_ROWS = 3
# tables drawn with box-drawing characters (groff's text output): rows between rule lines
_BOX_RULE = re.compile(r"^\s*[\u2500-\u257f][\u2500-\u257f\s]*$")
_BOX_BAR = re.compile(r"[\u2502\u2503\u2551]")  # │ ┃ ║


def is_table(text: str, lines: list[tuple[int, int]]) -> bool:
    """Rows set out in columns ("README        =>  This file"): most lines have a gap of
    several spaces inside them that no sentence end explains (read by `table_rows`)."""
    rows = [text[start:end].strip() for start, end in lines]
    columned = sum(1 for row in rows if _COLUMN_GAP.search(row))
    return len(rows) >= MIN_TABLE_ROWS and columned >= 0.6 * len(rows)


def is_box_table(text: str, lines: list[tuple[int, int]]) -> bool:
    """A table drawn with box characters: most lines are rules or hold a vertical bar."""
    drawn = sum(
        1
        for start, end in lines
        if _BOX_BAR.search(text[start:end]) or _BOX_RULE.match(text[start:end])
    )
    return len(lines) >= MIN_TABLE_ROWS and drawn >= 0.6 * len(lines)


def box_rows(text: str, lines: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """A drawn table a row at a time: the lines between two rules ("├────┼───┤") are one
    row, its wrapped cells with it; joined, a table was one sentence of thousands of
    characters."""
    row: tuple[int, int] | None = None
    for start, end in lines:
        if _BOX_RULE.match(text[start:end]):
            if row is not None:
                yield trimmed(text, *row)
            row = None
            continue
        row = (start, end) if row is None else (row[0], end)
    if row is not None:
        yield trimmed(text, *row)


def table_rows(text: str, lines: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """A row per line with columns; a line without (a wrapped cell) goes on the row above."""
    row: tuple[int, int] | None = None
    for start, end in lines:
        if row is not None and not _COLUMN_GAP.search(text[start:end].strip()):
            row = (row[0], end)
            continue
        if row is not None:
            yield trimmed(text, *row)
        row = (start, end)
    if row is not None:
        yield trimmed(text, *row)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the whitespace at either end."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    return start + lead, start + lead + len(chunk.strip())
